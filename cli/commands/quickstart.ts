import { join } from 'node:path';
import { ExitCode } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';
import { runAttendee } from './launch.js';

/**
 * `rehearse quickstart` (what `npm run quickstart` runs after set-up): validate the bundled
 * quickstart scenario, bring the local target up, walk one attendee through the scenario's repo and
 * its whole workshop notebook, and take the target down again if this command started it.
 * Until `rehearse run` lands this is the main job on the local target.
 */
export async function quickstart(io: CliIO, flags: { stateDir?: string; keep?: boolean }): Promise<number> {
  const [{ loadScenario }, { readCodeCells }, stack, { packageRoot }, { readToken }] = await Promise.all([
    import('../../scenarios/load.js'),
    import('../../loadgen/notebook.js'),
    import('../../provision/local/stack.js'),
    import('../../provision/local/paths.js'),
    import('../../provision/local/state.js'),
  ]);
  const file = join(packageRoot(), 'scenarios', 'quickstart.yaml');
  const { scenario, notebookPath } = await loadScenario(file);
  io.stderr.write(`scenario ${file}: ok (${scenario.name}, repo ${scenario.repo})\n`);
  const local = scenario.target.kind === 'local' ? scenario.target : undefined;
  const started = await stack.up({
    stateDir: flags.stateDir,
    env: io.env,
    buildSeconds: local?.buildTime === undefined ? undefined : local.buildTime / 1000,
    concurrentSpawnLimit: local?.concurrentSpawnLimit,
    activeServerLimit: local?.activeServerLimit,
    launchQuota: local?.launchQuota,
    log: (line) => io.stderr.write(`${line}\n`),
  });
  io.stderr.write(
    `local target ${started.alreadyRunning ? 'already running' : 'up'}: BinderHub API ${started.state.binderUrl}, JupyterHub ${started.state.hubUrl}\n`,
  );
  const takeDown = async (): Promise<boolean> => {
    if (started.alreadyRunning || flags.keep) return true;
    const res = await stack.down({ stateDir: started.stateDir });
    if (res.leftovers.length === 0) {
      io.stderr.write('local target down: nothing left running.\n');
      return true;
    }
    io.stderr.write(`error: processes of the local target survived: kill -9 ${res.leftovers.join(' ')}\n`);
    return false;
  };
  let code: number;
  try {
    code = await runAttendee(io, {
      binderUrl: started.state.binderUrl,
      hubToken: readToken(started.state),
      spec: scenario.repo,
      notebook: notebookPath,
      cells: readCodeCells(notebookPath),
      protocol: 'v1',
      timeoutMs: 10 * 60_000,
      json: false,
    });
  } catch (err) {
    await takeDown();
    throw err;
  }
  const down = await takeDown();
  if (code === ExitCode.ok) {
    io.stdout.write(
      '\nNext: `rehearse up local`, then `rehearse launch <spec> --target local`; see README.md.\n',
    );
  }
  return down ? code : ExitCode.runtime;
}
