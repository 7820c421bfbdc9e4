/**
 * The plan (k6's "plan, then run"): a pure function from the scenario's cohorts and a seed to every
 * simulated attendee's click time. The runner executes the plan; analysis sizes clusters from it
 * (`expectedConcurrency`) before any load runs. No timers, no wall clock, no unseeded randomness.
 */

import { createRng, deriveSeed, exponential, lognormal } from '../core/random.js';
import type { Cohort, Scenario, Session } from '../scenarios/schema.js';

/** One simulated attendee's click. */
export interface Arrival {
  /** Position in the plan: ordered by `t`, ties by cohort order, then order within the cohort. */
  index: number;
  /** 'u0001', 'u0002', … in `index` order, zero-padded to the total count's width (at least 4). */
  id: string;
  /** Cohort name. */
  cohort: string;
  /** Scheduled click, integer ms from the run's start. */
  t: number;
  /** This user's own stream seed, deriveSeed(seed, 'user', cohort, i), i its order in the cohort. */
  seed: number;
}

export interface ArrivalPlan {
  /** The seed the plan was drawn from (the scenario's, or the override). */
  seed: number;
  arrivals: Arrival[];
  /** The last arrival's `t` (0 for an empty plan). */
  durationMs: number;
}

/** The largest seed (the scenario schema's seeds are unsigned 32-bit). */
const MAX_SEED = 4_294_967_295;
const MIN_ID_WIDTH = 4;

/**
 * Offsets (ms from the cohort start, non-decreasing, integers) of one cohort's arrivals.
 * Random kinds draw from the cohort's own stream, deriveSeed(seed, 'cohort', name), so cohorts
 * do not disturb each other's draws.
 *
 * burst {over}: n integer offsets drawn uniformly from {0, 1, …, over-1}, i.e. ⌊U·over⌋ (integer
 *   ms uniform on [0, over)), sorted. over 0: everyone at 0.
 *
 * ramp {over}: a rate rising linearly from 0 to 2n/over, r(t) = 2n·t/over², whose integral
 *   N(t) = n·t²/over² reaches n at `over`. Deterministic: the i-th user (i = 1..n) arrives when
 *   N crosses i - ½ (midpoint rule), t_i = over·sqrt((i - ½)/n). Chosen over the end-point rule
 *   t_i = over·sqrt(i/n) (N reaches i) because the planned count then stays within ½ user of the
 *   fluid curve N(t) at every t (the end-point rule lags it by up to one user, so it would
 *   under-size a cluster), and because no arrival lands exactly on `over`, where a following
 *   cohort typically starts. Example n = 4, over = 10 s: 3536, 6124, 7906, 9354 ms.
 *
 * poisson {ratePerMinute, until}: exponential gaps of rate λ = ratePerMinute/60000 per ms,
 *   cumulated; arrivals stop at `until` or once `users` have arrived, whichever comes first
 *   (schema.ts: "arrivals stop this long after the cohort start (or once `users` have
 *   arrived)"). An arrival is kept only when its rounded offset is < until.
 *
 * list {at}: exactly `at` (the schema keeps `users` equal to at.length).
 */
export function cohortOffsets(cohort: Cohort, seed: number): number[] {
  const { arrival, users: n } = cohort;
  switch (arrival.kind) {
    case 'burst': {
      if (arrival.over === 0) return new Array<number>(n).fill(0);
      const rng = createRng(deriveSeed(seed, 'cohort', cohort.name));
      const offsets = Array.from({ length: n }, () => Math.floor(rng() * arrival.over));
      return offsets.sort((a, b) => a - b);
    }
    case 'ramp':
      return Array.from({ length: n }, (_, k) => Math.round(arrival.over * Math.sqrt((k + 0.5) / n)));
    case 'poisson': {
      const rng = createRng(deriveSeed(seed, 'cohort', cohort.name));
      const ratePerMs = arrival.ratePerMinute / 60_000;
      const offsets: number[] = [];
      let t = 0;
      while (offsets.length < n) {
        t += exponential(ratePerMs, rng);
        const offset = Math.round(t);
        if (offset >= arrival.until) break;
        offsets.push(offset);
      }
      return offsets;
    }
    case 'list':
      return arrival.at.map((t) => Math.round(t));
  }
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  }
  return seed;
}

/**
 * Every attendee's click time: each cohort's offsets shifted by its `start`, merged, ordered by
 * time (ties: cohort order, then order within the cohort), then numbered. `opts.seed` overrides
 * `scenario.seed`. Does not modify `scenario`.
 */
export function planArrivals(
  scenario: Pick<Scenario, 'cohorts' | 'seed'>,
  opts: { seed?: number } = {},
): ArrivalPlan {
  const seed = checkSeed(opts.seed ?? scenario.seed);
  const drafts: { cohortIndex: number; within: number; cohort: string; t: number }[] = [];
  scenario.cohorts.forEach((cohort, cohortIndex) => {
    cohortOffsets(cohort, seed).forEach((offset, within) => {
      drafts.push({ cohortIndex, within, cohort: cohort.name, t: cohort.start + offset });
    });
  });
  drafts.sort((a, b) => a.t - b.t || a.cohortIndex - b.cohortIndex || a.within - b.within);
  const width = Math.max(MIN_ID_WIDTH, String(drafts.length).length);
  const arrivals = drafts.map(
    (d, index): Arrival => ({
      index,
      id: `u${String(index + 1).padStart(width, '0')}`,
      cohort: d.cohort,
      t: d.t,
      seed: deriveSeed(seed, 'user', d.cohort, d.within),
    }),
  );
  return { seed, arrivals, durationMs: arrivals.at(-1)?.t ?? 0 };
}

/**
 * The pause (integer ms) a user takes before running code cell `cellIndex`: a lognormal with the
 * session's median and p95, drawn from deriveSeed(userSeed, 'think', cellIndex). Each cell has its
 * own stream, so the value does not depend on which cells were asked for before, or in what order.
 */
export function thinkTimeMs(
  session: Pick<Session, 'thinkTime'>,
  userSeed: number,
  cellIndex: number,
): number {
  if (!Number.isInteger(cellIndex) || cellIndex < 0) {
    throw new RangeError(`cellIndex must be a non-negative integer, got ${cellIndex}`);
  }
  return Math.round(lognormal(session.thinkTime, createRng(deriveSeed(userSeed, 'think', cellIndex))));
}

export interface ConcurrencyPoint {
  /** ms from the run's start. */
  t: number;
  /** Users holding a server from `t` on. */
  users: number;
}

export interface ExpectedConcurrency {
  /** The step function: one point per time the count changes, in time order. */
  points: ConcurrencyPoint[];
  /** Most users holding a server at once (0 for an empty plan). */
  peak: number;
  /** First time `peak` is reached (0 for an empty plan). */
  peakAt: number;
}

/**
 * Users holding a server over time if every arrival takes `launchMs` (default 0) to launch and
 * then keeps its server for `session.duration`: user k holds one on [t_k + launchMs,
 * t_k + launchMs + duration). The analogue of k6's GetExecutionRequirements: analysis reads it
 * to size a cluster before any load runs.
 *
 *   users(t) = #{k : t_k + launchMs <= t} - #{k : t_k + launchMs + duration <= t}
 *
 * Half-open intervals mean that at an instant where one user leaves and another arrives the
 * departure is applied first: the two never count together, and the count at that instant is the
 * net of both (no point is emitted when the net change is 0).
 */
export function expectedConcurrency(
  plan: Pick<ArrivalPlan, 'arrivals'>,
  session: Pick<Session, 'duration'>,
  opts: { launchMs?: number } = {},
): ExpectedConcurrency {
  const launchMs = opts.launchMs ?? 0;
  if (!(launchMs >= 0) || !Number.isFinite(launchMs)) {
    throw new RangeError(`launchMs must be a non-negative number, got ${launchMs}`);
  }
  // Net change per instant; departures and arrivals at one instant fold into one step.
  const delta = new Map<number, number>();
  for (const { t } of plan.arrivals) {
    const ready = t + launchMs;
    delta.set(ready, (delta.get(ready) ?? 0) + 1);
    delta.set(ready + session.duration, (delta.get(ready + session.duration) ?? 0) - 1);
  }
  const points: ConcurrencyPoint[] = [];
  let users = 0;
  let peak = 0;
  let peakAt = 0;
  for (const t of [...delta.keys()].sort((a, b) => a - b)) {
    const change = delta.get(t) ?? 0;
    if (change === 0) continue;
    users += change;
    points.push({ t, users });
    if (users > peak) {
      peak = users;
      peakAt = t;
    }
  }
  return { points, peak, peakAt };
}
