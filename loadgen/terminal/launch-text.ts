/** `rehearse launch`'s report on the terminal (table) or as JSON. */
import { RehearseError } from '../../core/errors.js';
import type { LaunchOnceReport } from '../launch-once.js';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const row = (label: string, at: number, took: number, indent = 2) =>
  `${' '.repeat(indent)}${label.padEnd(24 - indent)}${sec(at).padStart(8)}${sec(took).padStart(9)}`;

/** The phase-timing table of `rehearse launch`: steps, launch phases, cells' output, cleanup. */
export function formatLaunchReport(r: LaunchOnceReport, notebook: string): string {
  const out: string[] = [];
  out.push(
    `\nlaunch ${r.spec} on ${r.binderUrl}: ${r.outcome}${r.failedStep ? ` (failed at ${r.failedStep})` : ''}`,
  );
  if (r.serverUrl) out.push(`server ${r.serverUrl}`);
  out.push('', `  ${'step'.padEnd(22)}${'at'.padStart(8)}${'took'.padStart(9)}`);
  const phaseAt = (p: string) => r.phases.find((x) => x.phase === p)?.t;
  for (const s of r.steps) {
    out.push(row(s.cell === undefined ? s.step : `${s.step} [${s.cell}]`, s.startMs, s.durationMs));
    if (s.step !== 'launch') continue;
    const built = phaseAt('built');
    const launching = phaseAt('launching');
    const ready = phaseAt('ready');
    if (built !== undefined)
      out.push(row(phaseAt('building') === undefined ? 'build (cache hit)' : 'build', 0, built, 4));
    if (launching !== undefined && ready !== undefined)
      out.push(row('server start', launching, ready - launching, 4));
  }
  if (r.phases.length > 0)
    out.push('', `  phases first seen: ${r.phases.map((p) => `${p.phase} ${sec(p.t)}`).join(', ')}`);
  if (r.marks.length > 0)
    out.push(`  spawner progress:  ${r.marks.map((m) => `${m.kind} ${sec(m.t)}`).join(', ')}`);
  if (r.retries > 0) out.push(`  launch retries:    ${r.retries}`);
  for (const c of r.cells) {
    out.push('', `  code cell ${c.index} of ${notebook}: ${c.result.status}`);
    const text = (c.result.stdout + (c.result.result ? `${c.result.result}\n` : '')).trimEnd();
    if (text)
      out.push(
        ...text
          .split('\n')
          .slice(0, 8)
          .map((l) => `    | ${l}`),
      );
    if (c.result.error) out.push(`    ${c.result.error.ename}: ${c.result.error.evalue}`);
  }
  if (r.cleanup.length > 0) {
    out.push('', '  cleanup:');
    for (const c of r.cleanup) out.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}: ${c.detail}`);
  }
  return `${out.join('\n')}\n`;
}

/** `rehearse launch --json`: the report, its error as message and code. */
export function launchReportJson(r: LaunchOnceReport, notebook: string) {
  const { error, ...rest } = r;
  return {
    ...rest,
    notebook,
    error: error
      ? { message: error.message, code: error instanceof RehearseError ? error.code : undefined }
      : undefined,
  };
}
