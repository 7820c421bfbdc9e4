import { join, resolve } from 'node:path';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse compare <baseline> <candidate> [--tolerance 10%] [--out dir] [--json]`: judge a
 * candidate run against a baseline run (reports/compare.ts), write report.html, report.md,
 * junit.xml and compare.json to --out (default `<candidate>/compare-<baseline id>/`), print the
 * verdict. Each argument is a record (`runs/<id>`) or a folder of records (the latest one).
 * Exit 99 on a regression, 0 otherwise, 2 when a record cannot be read or a flag is invalid.
 */
export async function compare(
  io: CliIO,
  baseline: string,
  candidate: string,
  flags: { json?: boolean; out?: string; tolerance?: string; slower?: string },
): Promise<number> {
  const tolerance = parseTolerance(flags.tolerance ?? '10%');
  const slowerFactor = Number(flags.slower ?? '2');
  if (!(Number.isFinite(slowerFactor) && slowerFactor > 1)) {
    throw new InputError(
      'FLAG_INVALID',
      `--slower must be a factor above 1 (e.g. 2 for 2×), got "${flags.slower}"`,
    );
  }
  const { readRecord } = await import('../../loadgen/record/reader.js');
  const base = readRecord(await recordDir(baseline, 'baseline'));
  const cand = readRecord(await recordDir(candidate, 'candidate'));
  for (const [role, r] of [
    ['baseline', base],
    ['candidate', cand],
  ] as const) {
    for (const w of r.warnings) io.stderr.write(`warning: ${role}: ${w}\n`);
  }
  const { compareRuns } = await import('../../api/records.js');
  const comparison = compareRuns(base, cand, { tolerance, slowerFactor });
  for (const w of comparison.warnings) io.stderr.write(`warning: ${w}\n`);
  const outDir = resolve(flags.out ?? join(cand.dir, `compare-${base.meta.id}`));
  const { comparisonText, writeComparison } = await import('../../reports/compare-output.js');
  const files = await writeComparison(comparison, outDir);
  io.stdout.write(flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonText(comparison));
  io.stderr.write(
    `comparison report: ${files.html}\n  also ${files.markdown}, ${files.junit}, ${files.json}\n`,
  );
  return comparison.regression ? ExitCode.thresholdsFailed : ExitCode.ok;
}

/**
 * `10%` or `0.1` → 0.1. A bare number must be a fraction below 1 (`--tolerance 10` would be
 * 1000 %: almost certainly meant as 10 %), a percentage anything from 0 %.
 */
export function parseTolerance(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  const hint = 'Write it as a percentage (--tolerance 10%) or a fraction (--tolerance 0.1).';
  if (m === null) {
    throw new InputError('FLAG_INVALID', `--tolerance must be a percentage or a fraction, got "${text}"`, {
      hint,
    });
  }
  const value = Number(m[1]);
  if (m[2] === '%') return value / 100;
  if (value >= 1) {
    throw new InputError('FLAG_INVALID', `--tolerance ${text} would be ${value * 100}%`, { hint });
  }
  return value;
}

/** A record folder, or the latest record in a folder of records (as `rehearse summary`). */
async function recordDir(dir: string, role: string): Promise<string> {
  const { resolveRecordDir } = await import('../../loadgen/record/reader.js');
  return resolveRecordDir(dir, role);
}
