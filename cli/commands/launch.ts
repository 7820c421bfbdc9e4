import { join } from 'node:path';
import { parseDuration } from '../../core/duration.js';
import { ExitCode, InputError, RehearseError, TargetError } from '../../core/errors.js';
import type { LaunchOnceReport } from '../../loadgen/launch-once.js';
import type { CodeCell } from '../../loadgen/notebook.js';
import type { CliIO } from '../main.js';

/** `rehearse launch <spec> --target local|<binderhub-url>`: one attendee end to end, with a phase-timing table. */

export interface LaunchFlags {
  target: string;
  notebook?: string;
  cell: string;
  allCells?: boolean;
  protocol: string;
  hubTokenEnv?: string;
  stateDir?: string;
  timeout: string;
  json?: boolean;
}

export async function launch(io: CliIO, spec: string, flags: LaunchFlags): Promise<number> {
  const [{ readCodeCells }, { packageRoot }] = await Promise.all([
    import('../../loadgen/notebook.js'),
    import('../../provision/local/paths.js'),
  ]);
  if (flags.protocol !== 'v1' && flags.protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${flags.protocol}"`);
  }
  const notebook = flags.notebook ?? join(packageRoot(), 'scenarios', 'notebooks', 'dask-xarray-intro.ipynb');
  const all = readCodeCells(notebook);
  const index = Number(flags.cell);
  const one = all[index];
  if (!flags.allCells && (!Number.isInteger(index) || !one)) {
    throw new InputError(
      'FLAG_INVALID',
      `--cell must be 0..${all.length - 1} (the code cells of ${notebook}), got "${flags.cell}"`,
    );
  }
  const target = await resolveTarget(io, flags);
  return runAttendee(io, {
    ...target,
    spec,
    notebook,
    cells: flags.allCells ? all : [one as CodeCell],
    protocol: flags.protocol,
    timeoutMs: parseDuration(flags.timeout),
    json: flags.json === true,
  });
}

export interface AttendeeRun {
  binderUrl: string;
  hubToken?: string;
  spec: string;
  notebook: string;
  cells: CodeCell[];
  protocol: 'v1' | 'legacy';
  timeoutMs: number;
  json: boolean;
}

/** Runs one attendee, prints the table (or JSON), and turns failures into the CLI's errors. */
export async function runAttendee(io: CliIO, a: AttendeeRun): Promise<number> {
  const { launchOnce } = await import('../../loadgen/launch-once.js');
  const ctl = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // second Ctrl-C: leave now, cleaned up or not
    io.stderr.write('\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n');
    ctl.abort(
      new RehearseError(
        'INTERRUPTED',
        'interrupted by Ctrl-C; see the cleanup lines above for what was removed',
      ),
    );
  };
  process.on('SIGINT', onSigint);
  let report: LaunchOnceReport;
  try {
    report = await launchOnce({
      binderUrl: a.binderUrl,
      spec: a.spec,
      cells: a.cells,
      protocol: a.protocol,
      hubToken: a.hubToken,
      launchTimeoutMs: a.timeoutMs,
      stepTimeoutMs: 60_000,
      cellTimeoutMs: a.timeoutMs,
      signal: ctl.signal,
      onProgress: (line) => io.stderr.write(`${line}\n`),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const text = await import('../../loadgen/terminal/launch-text.js');
  if (a.json) io.stdout.write(`${JSON.stringify(text.launchReportJson(report, a.notebook), null, 2)}\n`);
  else io.stdout.write(text.formatLaunchReport(report, a.notebook));
  if (report.error) throw report.error;
  const failed = report.cells.find((c) => c.result.status !== 'ok');
  if (failed) {
    const e = failed.result.error;
    throw new RehearseError(
      'CELL_FAILED',
      `code cell ${failed.index} of ${a.notebook} failed: ${e ? `${e.ename}: ${e.evalue}` : failed.result.status}`,
      {
        hint: 'Cells run in order, as an attendee would; the workshop notebook may have rotted, or the cell needs an earlier one.',
      },
    );
  }
  if (report.cleanup.some((c) => !c.ok)) {
    io.stderr.write('error: some of what the launch created could not be removed (see cleanup above)\n');
    return ExitCode.runtime;
  }
  return ExitCode.ok;
}

async function resolveTarget(
  io: CliIO,
  flags: LaunchFlags,
): Promise<{ binderUrl: string; hubToken?: string }> {
  if (flags.target === 'local') {
    const { defaultStateDir, readState, readToken } = await import('../../provision/local/state.js');
    const dir = flags.stateDir ?? defaultStateDir(io.env);
    const state = readState(dir);
    if (!state) {
      throw new TargetError('LOCAL_NOT_RUNNING', `the local target is not running (no state in ${dir})`, {
        hint: 'Start it with `rehearse up local`, then launch again.',
      });
    }
    const { httpOk } = await import('../../provision/local/processes.js');
    if (!(await httpOk(`${state.binderUrl}health`, (s) => s === 200))) {
      throw new TargetError(
        'LOCAL_NOT_HEALTHY',
        `the local target in ${dir} is not answering at ${state.binderUrl}`,
        {
          hint: 'See `rehearse status local`; repair with `rehearse down local && rehearse up local`.',
        },
      );
    }
    return { binderUrl: state.binderUrl, hubToken: readToken(state) };
  }
  let url: URL;
  try {
    url = new URL(flags.target);
  } catch {
    throw new InputError(
      'TARGET_INVALID',
      `--target must be "local" or a BinderHub URL, got "${flags.target}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError('TARGET_INVALID', `--target URL must be http(s), got "${flags.target}"`);
  }
  let hubToken: string | undefined;
  if (flags.hubTokenEnv) {
    hubToken = io.env[flags.hubTokenEnv];
    if (!hubToken) {
      throw new InputError(
        'TOKEN_MISSING',
        `the environment variable ${flags.hubTokenEnv} (--hub-token-env) is empty or unset`,
      );
    }
  }
  return { binderUrl: url.href.endsWith('/') ? url.href : `${url.href}/`, hubToken };
}
