import { ExitCode } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse summary <dir> [--json]`: print a run record's summary. `<dir>` is a record
 * (`runs/<id>`) or a folder of records (`runs`: the latest one). Exit 0, 99 when the verdict is
 * fail (CI can gate on it), 1 when the hub was unreachable during the run or something was left
 * behind (as `rehearse run` exited), 2 when there is no readable record.
 */
export async function summary(io: CliIO, dir: string, flags: { json?: boolean }): Promise<number> {
  const { readRecord, resolveRecordDir } = await import('../../loadgen/record/reader.js');
  const recordDir = resolveRecordDir(dir);
  const record = readRecord(recordDir);
  for (const w of record.warnings) io.stderr.write(`warning: ${w}\n`);
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(record.summary, null, 2)}\n`);
  } else {
    const { formatSummary } = await import('../../loadgen/terminal/summary.js');
    const { colorEnabled } = await import('../../loadgen/terminal/progress.js');
    io.stdout.write(
      `${record.dir}\n${formatSummary(record.summary, { color: colorEnabled(io.stdout, io.env) })}`,
    );
  }
  if (record.summary.verdict === 'fail') return ExitCode.thresholdsFailed;
  const { runHealthError } = await import('../../loadgen/leftovers/run-health.js');
  return runHealthError(record.summary, record.dir) ? ExitCode.runtime : ExitCode.ok;
}
