import { readFileSync } from 'node:fs';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse report <dir> [--json] [--out <dir>] [--plan <plan.json>]` (`--plan`: the JSON of
 * `rehearse plan --json`, adding the candidates' frontier and the chosen plan's node count; `--baseline
 * <record>` for a check record: cells slower than `--slower` × the baseline's are marked in the
 * health grid): write report.html, report.md (+ PNG charts) and
 * junit.xml for a run record. `<dir>` is a record (`runs/<id>`) or a folder of records (`runs`:
 * the latest). Exit 0 once the report is written, whatever the verdict (gate CI on `rehearse run`
 * or `rehearse summary`); a partial record gives a report marked partial, still exit 0; 2 when
 * there is no readable record.
 */
export async function report(
  io: CliIO,
  dir: string,
  flags: { json?: boolean; out?: string; plan?: string; baseline?: string; slower?: string },
): Promise<number> {
  const { readRecord, resolveRecordDir } = await import('../../loadgen/record/reader.js');
  const recordDir = resolveRecordDir(dir);
  const { writeReport } = await import('../../api/records.js');
  const plan = flags.plan === undefined ? undefined : await readPlan(flags.plan);
  const baseline =
    flags.baseline === undefined ? undefined : readRecord(resolveRecordDir(flags.baseline, 'baseline'));
  const slowerFactor = Number(flags.slower ?? '2');
  if (!(slowerFactor > 1))
    throw new InputError('FLAG_INVALID', `--slower must be a factor above 1, got "${flags.slower}"`);
  const files = await writeReport(recordDir, {
    ...(flags.out === undefined ? {} : { outDir: flags.out }),
    plan,
    ...(baseline?.health ? { healthBaseline: baseline.health, slowerFactor } : {}),
  });
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

/** The recommendation in the JSON written by `rehearse plan --json`, as the report's plan input. */
async function readPlan(file: string) {
  const { planInputFromRecommendation } = await import('../../reports/sizing-input.js');
  let json: { recommendation?: Parameters<typeof planInputFromRecommendation>[0] };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as typeof json;
  } catch (err) {
    throw new InputError('PLAN_INVALID', `${file}: not readable JSON`, {
      hint: 'Write it with `rehearse plan <scenario> --json > plan.json`.',
      cause: err,
    });
  }
  if (!json.recommendation?.chosen || !json.recommendation.sim?.timeline) {
    throw new InputError('PLAN_INVALID', `${file}: no recommendation with a simulated timeline in it`, {
      hint: 'Write it with `rehearse plan <scenario> --json > plan.json`.',
    });
  }
  return planInputFromRecommendation(json.recommendation);
}
