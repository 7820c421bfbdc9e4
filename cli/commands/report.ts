import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, InputError } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse report <dir> [--json] [--out <dir>]`: write report.html, report.md (+ PNG charts) and
 * junit.xml for a run record. `<dir>` is a record (`runs/<id>`) or a folder of records (`runs`:
 * the latest). Exit 0 once the report is written, whatever the verdict (gate CI on `rehearse run`
 * or `rehearse summary`); a partial record gives a report marked partial, still exit 0; 2 when
 * there is no readable record.
 */
export async function report(
  io: CliIO,
  dir: string,
  flags: { json?: boolean; out?: string },
): Promise<number> {
  const { latestRun } = await import('../../loadgen/record/reader.js');
  const { RECORD_FILES } = await import('../../loadgen/record/writer.js');
  let recordDir = dir;
  const looksLikeRecord = [RECORD_FILES.meta, RECORD_FILES.events].some((f) => existsSync(join(dir, f)));
  if (!looksLikeRecord && existsSync(dir)) {
    const latest = latestRun(dir);
    if (latest === null) {
      throw new InputError('RECORD_INVALID', `${dir} holds no run record`, {
        hint: 'Give a record folder (runs/<id>) or the folder of records (runs); `rehearse run` writes them.',
      });
    }
    recordDir = latest;
  }
  const { writeRunReport } = await import('../../reports/run-report.js');
  const files = await writeRunReport(recordDir, flags.out === undefined ? {} : { outDir: flags.out });
  for (const w of files.warnings) io.stderr.write(`warning: ${w}\n`);
  if (flags.json) {
    const { warnings: _, ...out } = files;
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    const partial = files.partial ? ' (PARTIAL RECORD)' : '';
    io.stdout.write(
      `${files.verdict}${partial}\n  report   ${files.html}\n  markdown ${files.md} (+${files.pngs.length} PNG charts)\n  junit    ${files.junit}\n`,
    );
  }
  return ExitCode.ok;
}
