/**
 * rehearse as a library (package.json `exports`): what the CLI does, callable from a script.
 *
 *   import { rehearse, writeReport } from 'rehearse';
 *   const outcome = await rehearse('scenarios/quickstart.yaml', { out: 'runs' });
 *   if (!outcome.dryRun) await writeReport(outcome.dir);
 *
 * Errors are RehearseError (InputError: exit 2, TargetError: exit 3) with a code and a hint.
 */
export type { PlanReport } from '../analysis/sizing.js';
export type { NodeGroupPlan } from '../analysis/sizing-plan.js';
export { planToYaml } from '../analysis/sizing-plan.js';
export { type ErrorCode, ExitCode, InputError, RehearseError, TargetError } from '../core/errors.js';
export type { RunRecord } from '../loadgen/record/reader.js';
export type { RunMeta, RunSummary } from '../loadgen/record/types.js';
export type { Comparison } from '../reports/compare.js';
export type { RunReportFiles, RunReportOptions } from '../reports/run-report.js';
export { type LoadedScenario, loadScenario } from '../scenarios/load.js';
export type { Scenario } from '../scenarios/schema.js';
export { check, type NotebookCheckOptions, type NotebookCheckResult } from './check.js';
export { type LibraryIO, processIO } from './io.js';
export type { RehearseOptions } from './options.js';
export { compareRuns, readRecord, writeReport } from './records.js';
export { judgeOutcome, type RehearsalOutcome, rehearse } from './rehearse.js';
export { type PlanClusterOptions, planCluster } from './sizing.js';
