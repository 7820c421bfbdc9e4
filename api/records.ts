import { type RunRecord, readRecord as readRecordDir, resolveRecordDir } from '../loadgen/record/reader.js';
import { type CompareOptions, type Comparison, compareRuns as compareRecords } from '../reports/compare.js';
import { type RunReportFiles, type RunReportOptions, writeRunReport } from '../reports/run-report.js';

/**
 * The run record from a script: read it (decoded by its schema), report it, compare two. A record
 * is given as its folder (`runs/<id>`), a folder of records (`runs`: the latest), or as read.
 */

/** Read a run record: `runs/<id>`, or `runs` for the latest; an InputError when there is none. */
export function readRecord(dir: string): RunRecord {
  return readRecordDir(resolveRecordDir(dir));
}

const recordOf = (r: string | RunRecord, role: string): RunRecord =>
  typeof r === 'string' ? readRecordDir(resolveRecordDir(r, role)) : r;

/** report.html, report.md (+ PNG charts) and junit.xml for a record (default: in its folder). */
export function writeReport(
  record: string | RunRecord,
  options: RunReportOptions = {},
): Promise<RunReportFiles> {
  const dir = typeof record === 'string' ? resolveRecordDir(record) : record.dir;
  return writeRunReport(dir, options);
}

/** Judge a candidate run against a baseline (default tolerance 10 %, cells 2× slower). */
export function compareRuns(
  baseline: string | RunRecord,
  candidate: string | RunRecord,
  options: Partial<CompareOptions> = {},
): Comparison {
  return compareRecords(recordOf(baseline, 'baseline'), recordOf(candidate, 'candidate'), {
    ...options,
    tolerance: options.tolerance ?? 0.1,
    slowerFactor: options.slowerFactor ?? 2,
  });
}
