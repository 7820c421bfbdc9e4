import { join } from 'node:path';
import type { LaunchOnceReport } from '../../loadgen/launch-once.js';
import { parseDuration } from '../../scenarios/duration.js';
import { ExitCode, InputError, RehearseError, TargetError } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';

/** `rehearse launch <spec> --target local|<binderhub-url>`: one attendee end to end, with a phase-timing table. */

export interface LaunchFlags {
  target: string;
  notebook?: string;
  cell: string;
  protocol: string;
  hubTokenEnv?: string;
  stateDir?: string;
  timeout: string;
  json?: boolean;
}

export async function launch(io: CliIO, spec: string, flags: LaunchFlags): Promise<number> {
  const [{ launchOnce }, { readCodeCells }, { packageRoot }] = await Promise.all([
    import('../../loadgen/launch-once.js'),
    import('../../loadgen/notebook.js'),
    import('../../provision/local/paths.js'),
  ]);
  if (flags.protocol !== 'v1' && flags.protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${flags.protocol}"`);
  }
  const cellIndex = Number(flags.cell);
  const notebook = flags.notebook ?? join(packageRoot(), 'scenarios', 'notebooks', 'dask-xarray-intro.ipynb');
  const cells = readCodeCells(notebook);
  const cell = cells[cellIndex];
  if (!Number.isInteger(cellIndex) || !cell) {
    throw new InputError(
      'FLAG_INVALID',
      `--cell must be 0..${cells.length - 1} (code cells of ${notebook}), got "${flags.cell}"`,
    );
  }
  const { binderUrl, hubToken } = await resolveTarget(io, flags);
  const ctl = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // second Ctrl-C: leave now, cleanup or not
    io.stderr.write('\ninterrupted: cleaning up (Ctrl-C again to quit at once)\n');
    ctl.abort();
  };
  process.on('SIGINT', onSigint);
  let report: LaunchOnceReport;
  try {
    const launchTimeoutMs = parseDuration(flags.timeout);
    report = await launchOnce({
      binderUrl,
      spec,
      code: cell.source,
      protocol: flags.protocol,
      hubToken,
      launchTimeoutMs,
      stepTimeoutMs: 60_000,
      cellTimeoutMs: launchTimeoutMs,
      signal: ctl.signal,
      onProgress: (line) => io.stderr.write(`${line}\n`),
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (flags.json) io.stdout.write(`${JSON.stringify(toJson(report, notebook, cellIndex), null, 2)}\n`);
  else io.stdout.write(formatReport(report, notebook, cellIndex));
  if (report.error) throw report.error;
  if (report.cell && report.cell.status !== 'ok') {
    const e = report.cell.error;
    throw new RehearseError(
      'CELL_FAILED',
      `code cell ${cellIndex} of ${notebook} failed: ${e ? `${e.ename}: ${e.evalue}` : report.cell.status}`,
      {
        hint: 'Run the notebook on the target by hand to see the full traceback; the workshop notebook may have rotted.',
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

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

function formatReport(r: LaunchOnceReport, notebook: string, cellIndex: number): string {
  const out: string[] = [];
  out.push(
    `\nlaunch ${r.spec} on ${r.binderUrl}: ${r.outcome}${r.failedStep ? ` (failed at ${r.failedStep})` : ''}`,
  );
  if (r.serverUrl) out.push(`server ${r.serverUrl}`);
  out.push('', `  ${'step'.padEnd(22)}${'at'.padStart(8)}${'took'.padStart(9)}`);
  const phaseAt = (p: string) => r.phases.find((x) => x.phase === p)?.t;
  for (const s of r.steps) {
    out.push(`  ${s.step.padEnd(22)}${sec(s.startMs).padStart(8)}${sec(s.durationMs).padStart(9)}`);
    if (s.step !== 'launch') continue;
    const built = phaseAt('built');
    const launching = phaseAt('launching');
    const ready = phaseAt('ready');
    if (built !== undefined) {
      out.push(
        `    ${(phaseAt('building') !== undefined ? 'build' : 'build (cache hit)').padEnd(20)}${sec(0).padStart(8)}${sec(built).padStart(9)}`,
      );
    }
    if (launching !== undefined && ready !== undefined) {
      out.push(
        `    ${'server start'.padEnd(20)}${sec(launching).padStart(8)}${sec(ready - launching).padStart(9)}`,
      );
    }
  }
  if (r.phases.length > 0)
    out.push('', `  phases first seen: ${r.phases.map((p) => `${p.phase} ${sec(p.t)}`).join(', ')}`);
  if (r.marks.length > 0)
    out.push(`  spawner progress:  ${r.marks.map((m) => `${m.kind} ${sec(m.t)}`).join(', ')}`);
  if (r.retries > 0) out.push(`  launch retries:    ${r.retries}`);
  if (r.cell) {
    out.push('', `  code cell ${cellIndex} of ${notebook}: ${r.cell.status}`);
    const text = (r.cell.stdout + (r.cell.result ? `${r.cell.result}\n` : '')).trimEnd();
    if (text)
      out.push(
        ...text
          .split('\n')
          .slice(0, 10)
          .map((l) => `    | ${l}`),
      );
    if (r.cell.error) out.push(`    ${r.cell.error.ename}: ${r.cell.error.evalue}`);
  }
  if (r.cleanup.length > 0) {
    out.push('', '  cleanup:');
    for (const c of r.cleanup) out.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
  }
  return `${out.join('\n')}\n`;
}

function toJson(r: LaunchOnceReport, notebook: string, cellIndex: number) {
  const { error, ...rest } = r;
  return {
    ...rest,
    notebook,
    cellIndex,
    error: error
      ? { message: error.message, code: error instanceof RehearseError ? error.code : undefined }
      : undefined,
  };
}
