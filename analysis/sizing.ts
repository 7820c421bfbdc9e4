/**
 * `rehearse plan` as a library call: parameters (scenario, defaults, optionally a run record),
 * the recommender's search, the SU budget, the quota check and the NodeGroupPlan. Pure apart from
 * the progress callback: arrivals come in already planned (the CLI plans them; analysis/ does not
 * import loadgen/arrivals.ts).
 */

import { InputError } from '../core/errors.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import type { Scenario } from '../scenarios/schema.js';
import { calibrate, type LocalFit } from './calibrate.js';
import { findFlavor, jetstream2Catalogue, MAGNUM_CAPI, type SuRates, suPerHour } from './catalogue.js';
import {
  alwaysOnFloor,
  type EventCost,
  eventCost,
  type Floor,
  type FloorItem,
  type YearBudget,
  yearBudget,
} from './cost.js';
import { defaultParams, type ModelParams, valuesOf } from './model.js';
import { type Allocation, type QuotaCheck, quotaCheck } from './quota.js';
import { type Recommendation, recommend } from './recommend.js';
import { buildPlan } from './sizing-build.js';
import type { NodeGroupPlan } from './sizing-plan.js';
import { type Slo, scenarioSlos } from './slo.js';

const MIN = 60_000;
const HOUR = 3_600_000;
export const CORE_FLAVOR = 'm3.quad';

export interface PlanInput {
  scenario: Scenario;
  scenarioHash?: string;
  /** Planned click times (ms), non-decreasing. */
  arrivals: readonly number[];
  record?: RunRecord;
  /** Event length; default: last arrival + session (+ cull when sessions are kept). */
  eventHours?: number;
  /** Default 1. */
  eventsPerYear?: number;
  rates?: Partial<SuRates>;
  replications?: number;
  allocation?: Allocation;
  toolVersion?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface PlanReport {
  scenario: { name: string; users: number };
  params: ModelParams;
  calibration: { recordId: string; notes: string[]; localFit?: LocalFit } | null;
  slos: Slo[];
  recommendation: Recommendation;
  leadMs: number;
  eventMs: number;
  floor: Floor;
  event: EventCost;
  year: YearBudget;
  quota: QuotaCheck;
  plan: NodeGroupPlan;
}

/**
 * Pre-scale lead: a new node's p95 ready time, plus its p95 pull when pre-pulling, plus 10 min to
 * check, rounded up to a quarter hour:  lead = ⌈(ready95 + pull95 + 10 min) / 15 min⌉ · 15 min
 */
export function preScaleLead(params: ModelParams): number {
  const m = valuesOf(params);
  const need = m.nodeReady.p95 + (m.prePull ? m.imagePull.p95 : 0) + 10 * MIN;
  return Math.ceil(need / (15 * MIN)) * 15 * MIN;
}

function positive(name: string, v: number | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (
    !Number.isFinite(v) ||
    v < 0 ||
    (integer && !Number.isInteger(v)) ||
    (name === '--event-hours' && v === 0)
  ) {
    throw new InputError(
      'FLAG_INVALID',
      `${name} must be a ${integer ? 'whole number >= 0' : 'number > 0'}, got ${v}`,
    );
  }
  return v;
}

export function planCluster(input: PlanInput): PlanReport {
  const { scenario } = input;
  const cap = scenario.capacity;
  if (!cap) {
    throw new InputError('CAPACITY_MISSING', `scenario ${scenario.name} has no capacity section`, {
      hint: 'add capacity: { user: { memory: 8Gi, cpu: 4 }, flavors: [m3.large], nodeReady: 5m } (see scenarios/pythia-workshop.yaml)',
    });
  }
  if (input.arrivals.length === 0) throw new InputError('NO_ARRIVALS', 'the scenario plans no arrivals');
  const eventHours = positive('--event-hours', input.eventHours, false);
  const eventsPerYear = positive('--events-per-year', input.eventsPerYear, true) ?? 1;
  const catalogue = jetstream2Catalogue(input.rates);
  let params = defaultParams(scenario);
  let calibration: PlanReport['calibration'] = null;
  if (input.record) {
    const c = calibrate(params, input.record, scenario.target.kind);
    params = c.params;
    calibration = { recordId: c.recordId, notes: c.notes, ...(c.localFit ? { localFit: c.localFit } : {}) };
  }
  const m = valuesOf(params);
  const slos = scenarioSlos(scenario);
  const hold = m.session.duration + (m.session.onEnd === 'keep' ? m.session.cullTimeout : 0);
  const eventMs = eventHours !== undefined ? eventHours * HOUR : (input.arrivals.at(-1) ?? 0) + hold;
  const leadMs = preScaleLead(params);
  const window = { leadMs, eventMs, unneededMs: m.autoscaler.unneededTime };
  const rec = recommend({
    scenario,
    arrivals: input.arrivals,
    model: m,
    catalogue,
    slos,
    window,
    ...(input.replications !== undefined ? { replications: input.replications } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  const flavor = rec.option.flavor;
  const small = findFlavor(catalogue, MAGNUM_CAPI.controlPlaneFlavor);
  const core = findFlavor(catalogue, CORE_FLAVOR);
  const rate = suPerHour(flavor, catalogue.rates);
  const items: FloorItem[] = [
    { group: 'control-plane', flavor: small.name, nodes: 1, suPerHour: suPerHour(small, catalogue.rates) },
    { group: 'default-worker', flavor: small.name, nodes: 1, suPerHour: suPerHour(small, catalogue.rates) },
    { group: 'core', flavor: core.name, nodes: 1, suPerHour: suPerHour(core, catalogue.rates) },
    { group: `user-${flavor.name.replaceAll('.', '-')}`, flavor: flavor.name, nodes: 1, suPerHour: rate },
  ];
  if (m.dask.mode === 'gateway') {
    items.push({
      group: `dask-${flavor.name.replaceAll('.', '-')}`,
      flavor: flavor.name,
      nodes: 1,
      suPerHour: rate,
    });
  }
  const floor = alwaysOnFloor(items);
  const event = eventCost(
    rec.sim.groups,
    rec.sim.groups.map(() => ({ suPerHour: rate, floorNodes: 1 })),
    { ...window, simEndMs: rec.sim.end },
  );
  const year = yearBudget(floor, rec.chosen.eventSu, eventsPerYear);
  const quota = quotaCheck(
    [
      { name: 'control-plane', flavor: small, maxNodes: 1 },
      { name: 'default-worker', flavor: small, maxNodes: 1 },
      { name: 'core', flavor: core, maxNodes: 1 },
      { name: 'user', flavor, maxNodes: rec.chosen.max },
      ...(m.dask.mode === 'gateway' ? [{ name: 'dask', flavor, maxNodes: rec.chosen.daskMax }] : []),
    ],
    input.allocation ?? 'startup',
  );
  const plan = buildPlan({
    scenario,
    ...(input.scenarioHash ? { scenarioHash: input.scenarioHash } : {}),
    toolVersion: input.toolVersion ?? 'unknown',
    catalogue,
    model: m,
    rec,
    leadMs,
    eventMs,
    floorItems: items,
    eventSu: rec.chosen.eventSu,
    yearSu: year.perYear,
  });
  return {
    scenario: { name: scenario.name, users: input.arrivals.length },
    params,
    calibration,
    slos,
    recommendation: rec,
    leadMs,
    eventMs,
    floor,
    event,
    year,
    quota,
    plan,
  };
}
