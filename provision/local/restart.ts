import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RehearseError } from '../../scenarios/errors.js';
import { httpOk, isAlive, startDaemon, waitFor } from './processes.js';
import { openStack } from './stacks.js';
import { readState, readToken, withStateLock, writeState } from './state.js';

/**
 * Start the local target's JupyterHub again after it died (or was killed): same config, same
 * database (jupyterhub.sqlite), same proxy. Servers that outlived it are found again by the hub
 * (SimpleLocalProcessSpawner polls their pids), so sessions survive and new launches resume.
 * Refuses while the recorded hub process still runs. Bounded: the hub must answer within 90 s.
 */
export async function restartHub(stateDir: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return withStateLock(stateDir, async () => {
    const state = readState(stateDir);
    if (!state) throw new RehearseError('LOCAL_NOT_RUNNING', `no local target in ${stateDir}`);
    const hub = state.processes.find((p) => p.name === 'hub');
    if (hub && isAlive(hub.pid)) {
      throw new RehearseError('HUB_RUNNING', `JupyterHub (pid ${hub.pid}) is still running`);
    }
    const proxyTokenFile = join(stateDir, 'proxy-token');
    if (!existsSync(proxyTokenFile)) {
      throw new RehearseError(
        'PROXY_TOKEN_MISSING',
        `${proxyTokenFile} is missing (a stack from an older rehearse)`,
        {
          hint: 'rehearse down local, then up again',
        },
      );
    }
    const settings = JSON.parse(readFileSync(join(stateDir, 'hub-settings.json'), 'utf8')) as {
      reposDir: string;
    };
    const stack = openStack(state.stack?.name ?? 'debian12', env);
    const cmd = stack.command(
      [state.python, '-m', 'jupyterhub', '-f', join(stateDir, 'jupyterhub_config.py')],
      [stateDir, settings.reposDir],
    );
    const logFile = join(stateDir, 'hub.log');
    const pid = startDaemon({
      name: 'hub',
      command: cmd.command,
      args: cmd.args,
      cwd: stateDir,
      logFile,
      env: {
        ...env,
        REHEARSE_STACK_ID: state.stackId,
        CONFIGPROXY_AUTH_TOKEN: readFileSync(proxyTokenFile, 'utf8').trim(),
        REHEARSE_HUB_TOKEN: readToken(state),
      },
    });
    state.processes = [...state.processes.filter((p) => p.name !== 'hub'), { name: 'hub', pid, logFile }];
    writeState(stateDir, state);
    await waitFor('JupyterHub', () => httpOk(state.hubApiUrl, (s) => s === 200), {
      timeoutMs: 90_000,
      alive: () => isAlive(pid),
    });
    return pid;
  });
}
