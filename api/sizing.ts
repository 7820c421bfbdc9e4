import { type PlanReport, planCluster as sizeCluster } from '../analysis/sizing.js';
import { planArrivals } from '../loadgen/arrivals.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import { type LoadedScenario, loadScenario } from '../scenarios/load.js';
import { readRecord } from './records.js';
import { packageVersion } from './rehearse.js';

export interface PlanClusterOptions {
  /** Calibrate from a run record (its folder, `runs` for the latest, or as read). */
  from?: string | RunRecord;
  /** Event length in hours (default: last arrival + session). */
  eventHours?: number;
  /** Events a year, for the yearly SU budget (default 1). */
  eventsPerYear?: number;
  /** Search progress: candidates done of total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * `planCluster(scenario, options)`: size the Jetstream2 cluster for a scenario (node groups,
 * pre-scale, placeholders) and its SU budget, from the scenario's own arrival plan; with `from`,
 * calibrated from a run record. The sizing plan is `report.plan` (planToYaml writes plan.yaml).
 */
export async function planCluster(
  scenario: string | LoadedScenario,
  options: PlanClusterOptions = {},
): Promise<PlanReport> {
  const loaded = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const record = typeof options.from === 'string' ? readRecord(options.from) : options.from;
  return sizeCluster({
    scenario: loaded.scenario,
    scenarioHash: loaded.hash,
    arrivals: planArrivals(loaded.scenario).arrivals.map((a) => a.t),
    ...(record ? { record } : {}),
    ...(options.eventHours !== undefined ? { eventHours: options.eventHours } : {}),
    ...(options.eventsPerYear !== undefined ? { eventsPerYear: options.eventsPerYear } : {}),
    toolVersion: await packageVersion(),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
