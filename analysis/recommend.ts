/**
 * The recommender: simulate every (flavor × pre-scaled nodes × max × placeholders [× dask
 * pre-scale]) candidate, keep those meeting the SLOs, no failed launch and the memory headroom,
 * and choose the one with the fewest SUs over the event window; ties go to fewer nodes (peak, then
 * max), then fewer placeholders, then fewer pre-scaled nodes. The named alternatives
 * (alternatives.ts: rule of thumb, pre-scale to peak, autoscale only) are part of the search for
 * every flavor and max, so the choice is never beaten by one of them.
 */
import { InputError } from '../core/errors.js';
import { createRng, deriveSeed, lognormal } from '../core/random.js';
import type { Scenario } from '../scenarios/schema.js';
import { type AlternativeName, alternativeShapes, sameSettings, versusRuleOfThumb } from './alternatives.js';
import { type Catalogue, suPerHour } from './catalogue.js';
import { type EventWindow, eventCost } from './cost.js';
import type { ModelValues } from './model.js';
import {
  type FlavorOption,
  flavorOptions,
  gridFor,
  peakConcurrent,
  placeholderReserve,
} from './search-space.js';
import { percentile, simulate } from './sim/simulate.js';
import type { SimGroup, SimResult } from './sim/types.js';
import { judge, type Slo, type SloVerdict } from './slo.js';

export interface RecommendInput {
  scenario: Pick<Scenario, 'seed' | 'capacity'>;
  arrivals: readonly number[];
  model: ModelValues;
  catalogue: Catalogue;
  slos: readonly Slo[];
  /** Event window without the simulation's end (simEndMs comes from each run). */
  window: Omit<EventWindow, 'simEndMs'>;
  /** Simulations per candidate, pooled (default 3). */
  replications?: number;
  /** Spare room max_node_count keeps above the peak (default 0.1: 10 %). */
  headroom?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Candidate {
  flavor: string;
  perNode: number;
  prescale: number;
  max: number;
  placeholders: number;
  daskPrescale: number;
  daskMax: number;
  p50: number;
  p95: number;
  maxReady: number;
  launches: number;
  failed: number;
  http429: number;
  peakNodes: number;
  initialNodes: number;
  /** Mean over replications: SU one event adds to the floor. */
  eventSu: number;
  verdicts: SloVerdict[];
  violations: string[];
  feasible: boolean;
}

/** A named alternative as simulated, on the chosen plan's flavor and max node count. */
export interface Alternative extends Candidate {
  name: AlternativeName;
  /** How it is set, in words. */
  rule: string;
  /** Same pre-scale, max, placeholders (and dask pre-scale) as the chosen plan. */
  sameAsChosen: boolean;
}

export interface Recommendation {
  chosen: Candidate;
  /** Rule of thumb, pre-scale to peak, autoscale only: the chosen flavor and max, the same replications. */
  alternatives: Alternative[];
  /** Why the chosen plan won over the rule of thumb, from the figures. */
  versusRuleOfThumb: string;
  /** Simulations per candidate (seeds derived from the scenario's, the same for every candidate). */
  replications: number;
  /** Best feasible candidates, chosen first (at most 5). */
  top: Candidate[];
  searched: number;
  feasible: number;
  peakConcurrent: number;
  reserve: number;
  option: FlavorOption;
  /** The chosen candidate's first replication, for timelines. */
  sim: SimResult;
}

const groupName = (role: 'user' | 'dask', flavor: string) => `${role}-${flavor.replaceAll('.', '-')}`;

/** Sorted cell times, drawn once per search (4000 draws, seeded). */
function cellSample(m: ModelValues, seed: number): number[] {
  const rng = createRng(deriveSeed(seed, 'cells'));
  return Array.from({ length: 4000 }, () => lognormal(m.cellExec, rng)).sort((a, b) => a - b);
}

/**
 * CPU slowdown of a cell when every user on a full node computes at once: each gets at least its
 * guarantee, or an equal share of the node's room:
 *   slowdown = max(1, limit.cpu / max(request.cpu, room.cpu / perNode))
 */
export function cellSlowdown(m: ModelValues, option: FlavorOption): number {
  const share = Math.max(m.user.request.cpu, option.room.cpu / option.fit.perNode);
  return share > 0 ? Math.max(1, m.user.limit.cpu / share) : 1;
}

/** Order of preference among feasible candidates. */
function better(a: Candidate, b: Candidate): number {
  return (
    Math.round(a.eventSu) - Math.round(b.eventSu) ||
    a.peakNodes - b.peakNodes ||
    a.max - b.max ||
    a.placeholders - b.placeholders ||
    a.prescale - b.prescale ||
    a.daskPrescale - b.daskPrescale
  );
}

/**
 * Search: for each flavor the grid of search-space.ts; each candidate simulated `replications`
 * times (seeds derived from the scenario's), times pooled; chosen = min over feasible candidates of
 * `better` (SU, then nodes). The named alternatives join the grid for every flavor and max; those
 * of the chosen flavor at the chosen max are returned beside the choice. InputError SLO_UNREACHABLE
 * when none is feasible.
 */
export function recommend(input: RecommendInput): Recommendation {
  const m = input.model;
  const cap = input.scenario.capacity;
  if (!cap) throw new InputError('CAPACITY_MISSING', 'the scenario has no capacity section');
  const options = flavorOptions(input.catalogue, cap.flavors, m);
  const headroom = input.headroom ?? 0.1;
  const reps = input.replications ?? 3;
  const hold = m.session.duration + (m.session.onEnd === 'keep' ? m.session.cullTimeout : 0);
  const peak = peakConcurrent(input.arrivals, hold);
  const reserve = placeholderReserve(input.arrivals, m.nodeReady.median);
  const cells = cellSample(m, input.scenario.seed);
  const shapes = new Map<FlavorOption, ReturnType<typeof alternativeShapes>>();
  const work = options.flatMap((option) => {
    const g = gridFor(option, peak, headroom, reserve, m);
    const dask = g.daskPrescale.length > 0 ? g.daskPrescale : [0];
    const grid = g.prescale.flatMap((prescale) =>
      g.max.flatMap((max) =>
        g.placeholders.flatMap((placeholders) =>
          dask.map((daskPrescale) => ({
            option,
            prescale,
            max,
            placeholders,
            daskPrescale,
            daskMax: g.daskMax,
          })),
        ),
      ),
    );
    // The named alternatives at every max of the grid, where the grid does not hold them already.
    const alts = alternativeShapes(option.fit.perNode, peak, reserve, g.daskPrescale);
    shapes.set(option, alts);
    const named = alts.flatMap(({ prescale, placeholders, daskPrescale }) =>
      g.max.map((max) => ({ option, prescale, max, placeholders, daskPrescale, daskMax: g.daskMax })),
    );
    const keys = new Set(grid.map(workKey));
    const extra = named.filter((w) => {
      const fresh = !keys.has(workKey(w));
      keys.add(workKey(w));
      return fresh;
    });
    return [...grid, ...extra];
  });
  const all: Candidate[] = [];
  let best: { c: Candidate; sim: SimResult; option: FlavorOption } | null = null;
  work.forEach((w, i) => {
    const { candidate, sim } = evaluate(input, w, reps, cells, peak, headroom);
    all.push(candidate);
    if (candidate.feasible && (!best || better(candidate, best.c) < 0))
      best = { c: candidate, sim, option: w.option };
    input.onProgress?.(i + 1, work.length);
  });
  const chosen = best as { c: Candidate; sim: SimResult; option: FlavorOption } | null;
  if (!chosen) throw unreachable(all, input.slos);
  const top = all
    .filter((c) => c.feasible)
    .sort(better)
    .slice(0, 5);
  const byKey = new Map(all.map((c) => [keyOf(c.flavor, c), c]));
  const alternatives = (shapes.get(chosen.option) ?? []).map((a): Alternative => {
    const c = byKey.get(keyOf(chosen.c.flavor, { ...a, max: chosen.c.max }));
    if (!c) throw new RangeError(`recommend: the alternative "${a.name}" was not simulated`);
    return { ...c, name: a.name, rule: a.rule, sameAsChosen: sameSettings(c, chosen.c) };
  });
  const rule = alternatives.find((a) => a.name === 'rule of thumb');
  if (!rule) throw new RangeError('recommend: no rule of thumb among the alternatives');
  return {
    chosen: chosen.c,
    alternatives,
    versusRuleOfThumb: versusRuleOfThumb(chosen.c, rule, reserve),
    replications: reps,
    top,
    searched: all.length,
    feasible: all.filter((c) => c.feasible).length,
    peakConcurrent: peak,
    reserve,
    option: chosen.option,
    sim: chosen.sim,
  };
}

interface Work {
  option: FlavorOption;
  prescale: number;
  max: number;
  placeholders: number;
  daskPrescale: number;
  daskMax: number;
}

/** A candidate's settings as one string. */
const keyOf = (flavor: string, w: Pick<Work, 'prescale' | 'max' | 'placeholders' | 'daskPrescale'>) =>
  `${flavor}/${w.prescale}/${w.max}/${w.placeholders}/${w.daskPrescale}`;
const workKey = (w: Work) => keyOf(w.option.flavor.name, w);

/**
 * One candidate: p50/p95/max over the pooled successful launches (nearest rank), failures summed,
 * SU = mean over replications of eventCost(...).su, cell.exec at p = sample(p) · cellSlowdown.
 */
function evaluate(
  input: RecommendInput,
  w: Work,
  reps: number,
  cells: number[],
  peak: number,
  headroom: number,
): { candidate: Candidate; sim: SimResult } {
  const m = input.model;
  const rate = suPerHour(w.option.flavor, input.catalogue.rates);
  const user: SimGroup = {
    name: groupName('user', w.option.flavor.name),
    role: 'user',
    room: w.option.room,
    min: w.prescale,
    max: w.max,
    initial: w.prescale,
    suPerHour: rate,
  };
  const dask: SimGroup | undefined =
    w.daskPrescale > 0
      ? {
          ...user,
          name: groupName('dask', w.option.flavor.name),
          role: 'dask',
          min: w.daskPrescale,
          max: w.daskMax,
          initial: w.daskPrescale,
        }
      : undefined;
  const times: number[] = [];
  let failed = 0;
  let http429 = 0;
  let su = 0;
  let peakNodes = 0;
  let initialNodes = 0;
  let first: SimResult | null = null;
  for (let r = 0; r < reps; r++) {
    const sim = simulate({
      seed: deriveSeed(input.scenario.seed, 'replication', r),
      arrivals: input.arrivals,
      user,
      ...(dask ? { dask } : {}),
      placeholders: w.placeholders,
      model: m,
    });
    first ??= sim;
    for (const u of sim.users) if (u.timeToReady !== null) times.push(u.timeToReady);
    failed += sim.stats.failed;
    http429 += sim.stats.http429;
    // Every autoscaled group uses the candidate's flavor and keeps 1 node as its floor.
    const rates = sim.groups.map(() => ({ suPerHour: rate, floorNodes: 1 }));
    su += eventCost(sim.groups, rates, { ...input.window, simEndMs: sim.end }).su;
    peakNodes = Math.max(
      peakNodes,
      sim.groups.reduce((a, g) => a + g.peakNodes, 0),
    );
    initialNodes = Math.max(initialNodes, sim.groups[0]?.initialNodes ?? 0);
  }
  times.sort((a, b) => a - b);
  const slowdown = cellSlowdown(m, w.option);
  const verdicts = judge(input.slos, {
    readyTimes: times,
    launches: input.arrivals.length * reps,
    failed,
    cellAt: (p) => percentile(cells, p) * slowdown,
  });
  const violations = verdicts.filter((v) => !v.pass).map((v) => v.slo.expr);
  if (failed > 0) violations.push(`no failed launches (${failed} of ${input.arrivals.length * reps} failed)`);
  if (w.max * w.option.fit.perNode < Math.ceil(peak * (1 + headroom))) {
    violations.push(
      `memory headroom: max ${w.max} nodes hold fewer than ${Math.ceil(peak * (1 + headroom))} users`,
    );
  }
  const candidate: Candidate = {
    flavor: w.option.flavor.name,
    perNode: w.option.fit.perNode,
    prescale: w.prescale,
    max: w.max,
    placeholders: w.placeholders,
    daskPrescale: w.daskPrescale,
    daskMax: w.daskMax,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    maxReady: times.at(-1) ?? 0,
    launches: input.arrivals.length * reps,
    failed,
    http429,
    peakNodes,
    initialNodes,
    eventSu: su / reps,
    verdicts,
    violations,
    feasible: violations.length === 0,
  };
  return { candidate, sim: first as SimResult };
}

const fmtS = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;

/** No candidate met the constraints: name the best p95 reachable, its cost, and what to change. */
function unreachable(all: readonly Candidate[], slos: readonly Slo[]): InputError {
  const pool = all.some((c) => c.failed === 0) ? all.filter((c) => c.failed === 0) : [...all];
  const best = [...pool].sort((a, b) => a.p95 - b.p95 || a.eventSu - b.eventSu)[0];
  const failing = [...new Set(all.flatMap((c) => c.violations))].slice(0, 4);
  const ready = slos.find((s) => s.metric === 'launch.ready' && s.agg === 'p');
  const detail = best
    ? `the best p95 reachable is ${fmtS(best.p95)} (max ${fmtS(best.maxReady)}, ${best.failed} failed) with ` +
      `${best.flavor}, ${best.prescale} nodes pre-scaled, ${best.placeholders} placeholders, max ${best.max}, ` +
      `for ${Math.round(best.eventSu)} SU per event`
    : 'no candidate could be simulated';
  return new InputError(
    'SLO_UNREACHABLE',
    `no plan meets the SLOs (searched ${all.length} candidates; failing: ${failing.join('; ')}): ${detail}`,
    {
      hint: `${
        ready && best
          ? `relax to "launch.ready p(${ready.percentile ?? 95}) < ${Math.ceil(best.p95 / 1000) + 1}s", `
          : ''
      }add larger flavors to capacity.flavors, shorten capacity.nodeReady, or pre-pull the image`,
    },
  );
}
