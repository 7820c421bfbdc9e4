import { describe, expect, it } from 'vitest';
import {
  createRng,
  deriveSeed,
  exponential,
  lognormal,
  lognormalParams,
  type Rng,
  Z95,
} from '../../core/random.js';
import { expectedConcurrency, planArrivals, thinkTimeMs } from '../../loadgen/arrivals.js';
import type { Cohort, Scenario } from '../../scenarios/schema.js';

type Plannable = Pick<Scenario, 'cohorts' | 'seed'>;
const scenario = (cohorts: Cohort[], seed = 42): Plannable => ({ cohorts, seed });
const burst = (name: string, users: number, over: number, start = 0): Cohort => ({
  name,
  users,
  start,
  arrival: { kind: 'burst', over },
});
const ramp = (name: string, users: number, over: number, start = 0): Cohort => ({
  name,
  users,
  start,
  arrival: { kind: 'ramp', over },
});
const poisson = (name: string, users: number, ratePerMinute: number, until: number, start = 0): Cohort => ({
  name,
  users,
  start,
  arrival: { kind: 'poisson', ratePerMinute, until },
});
const list = (name: string, at: number[], start = 0): Cohort => ({
  name,
  users: at.length,
  start,
  arrival: { kind: 'list', at },
});
const times = (p: Plannable, seed?: number) => planArrivals(p, { seed }).arrivals.map((a) => a.t);
const sequence = (values: number[]): Rng => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};
const isSorted = (xs: number[]) => xs.every((x, i) => i === 0 || (xs[i - 1] ?? 0) <= x);

describe('random', () => {
  it('createRng is reproducible, in [0, 1), and seeds give unrelated streams', () => {
    const draw = (seed: number) => Array.from({ length: 1000 }, createRng(seed));
    const a = draw(42);
    expect(draw(42)).toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const b = draw(43);
    expect(a.filter((x, i) => x === b[i])).toHaveLength(0);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });

  it('deriveSeed is a stable uint32 that tells labels, their order and their types apart', () => {
    const s = deriveSeed(42, 'user', 'morning', 3);
    expect(deriveSeed(42, 'user', 'morning', 3)).toBe(s);
    expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    const others = [
      deriveSeed(43, 'user', 'morning', 3),
      deriveSeed(42, 'user', 'morning', 4),
      deriveSeed(42, 'user', 'morning', '3'),
      deriveSeed(42, 'user', 'morning3'),
      deriveSeed(42, 'morning', 'user', 3),
      deriveSeed(42),
    ];
    expect(new Set([s, ...others]).size).toBe(others.length + 1);
    expect(() => deriveSeed(1, Number.NaN)).toThrow(RangeError);
  });

  it('exponential inverts the CDF exactly and has mean 1/rate', () => {
    expect(exponential(0.001, sequence([0]))).toBe(0);
    expect(exponential(0.001, sequence([0.5]))).toBe(Math.LN2 / 0.001);
    const rng = createRng(7);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += exponential(1 / 1000, rng);
    expect(Math.abs(sum / n - 1000)).toBeLessThan(30);
    expect(() => exponential(0, rng)).toThrow(RangeError);
  });

  it('lognormalParams: median = e^mu, p95 = e^(mu + 1.6448536269514722·sigma)', () => {
    expect(lognormalParams(5000, 20000)).toEqual({
      mu: Math.log(5000),
      sigma: Math.log(4) / 1.6448536269514722,
    });
    expect(lognormalParams(5000, 5000)).toEqual({ mu: Math.log(5000), sigma: 0 });
    expect(lognormalParams(0, 0)).toEqual({ mu: Number.NEGATIVE_INFINITY, sigma: 0 });
    expect(() => lognormalParams(5000, 4000)).toThrow(RangeError);
    expect(() => lognormalParams(0, 10)).toThrow(RangeError);
  });

  it('lognormal maps Box-Muller z = 0 to the median and z = 1.645 to the p95', () => {
    const q = { median: 5000, p95: 20000 };
    // U1 = 1 - 0 = 1 → radius 0 → z = 0.
    expect(lognormal(q, sequence([0, 0.3]))).toBeCloseTo(5000, 6);
    // 1 - U1 = 1 - e^(-Z95²/2) and U2 = 0 → z = Z95.
    expect(lognormal(q, sequence([1 - Math.exp(-(Z95 * Z95) / 2), 0]))).toBeCloseTo(20000, 6);
    expect(lognormal({ median: 3000, p95: 3000 }, sequence([0.9]))).toBe(3000);
  });

  it('lognormal samples have the requested median and p95 (20k seeded samples)', () => {
    const rng = createRng(2024);
    const xs = Array.from({ length: 20_000 }, () => lognormal({ median: 5000, p95: 20000 }, rng));
    xs.sort((a, b) => a - b);
    const median = ((xs[9_999] ?? 0) + (xs[10_000] ?? 0)) / 2;
    expect(Math.abs(median / 5000 - 1)).toBeLessThan(0.02);
    expect(Math.abs((xs[18_999] ?? 0) / 20000 - 1)).toBeLessThan(0.05);
  });
});

describe('planArrivals: arrival kinds', () => {
  it('ramp: t_i = over·sqrt((i - 1/2)/n), rounded, after the cohort start', () => {
    // 10 s·sqrt(0.125, 0.375, 0.625, 0.875) = 3535.53, 6123.72, 7905.69, 9354.14 ms
    expect(times(scenario([ramp('r', 4, 10_000)]))).toEqual([3536, 6124, 7906, 9354]);
    expect(times(scenario([ramp('r', 4, 10_000, 60_000)]))).toEqual([63536, 66124, 67906, 69354]);
    // one user: 60 s·sqrt(1/2) = 42426.4 ms
    expect(times(scenario([ramp('r', 1, 60_000)]))).toEqual([42426]);
    // seed-independent
    expect(times(scenario([ramp('r', 4, 10_000)]), 7)).toEqual([3536, 6124, 7906, 9354]);
  });

  it('list: exactly the offsets, after the cohort start', () => {
    expect(times(scenario([list('l', [0, 0, 1500, 90_000], 30_000)]))).toEqual([30000, 30000, 31500, 120000]);
  });

  it('burst: n seeded integer times in [start, start + over), sorted; over 0 puts everyone at start', () => {
    const s = scenario([burst('b', 200, 60_000, 5_000)]);
    const a = times(s);
    expect(a).toHaveLength(200);
    expect(a.every((t) => Number.isInteger(t) && t >= 5_000 && t < 65_000)).toBe(true);
    expect(isSorted(a)).toBe(true);
    expect(times(s)).toEqual(a);
    expect(times(s, 43)).not.toEqual(a);
    expect(times(scenario([burst('b', 200, 60_000, 5_000)], 43))).toEqual(times(s, 43));
    // spread over the window, not bunched: each half gets a fair share
    expect(a.filter((t) => t < 35_000).length).toBeGreaterThan(70);
    expect(a.filter((t) => t >= 35_000).length).toBeGreaterThan(70);
    expect(times(scenario([burst('b', 3, 0, 7_000)]))).toEqual([7000, 7000, 7000]);
    expect(times(scenario([burst('b', 2, 1)]))).toEqual([0, 0]);
  });

  it('poisson: seeded exponential gaps, stopping at `until`', () => {
    const s = scenario([poisson('p', 10_000, 60, 600_000, 1_000)]);
    const a = times(s);
    // 1/s for 10 min: about 600 (Poisson sd ≈ 24)
    expect(a.length).toBeGreaterThan(500);
    expect(a.length).toBeLessThan(700);
    expect(a.every((t) => Number.isInteger(t) && t >= 1_000 && t < 601_000)).toBe(true);
    expect(a.at(-1)).toBeGreaterThan(590_000);
    expect(isSorted(a)).toBe(true);
    expect(times(s)).toEqual(a);
    expect(times(s, 43)).not.toEqual(a);
  });

  it('poisson: stops after `users` arrivals when they come before `until`', () => {
    const a = times(scenario([poisson('p', 5, 600, 3_600_000)]));
    expect(a).toHaveLength(5);
    expect(a.every((t) => t < 60_000)).toBe(true);
  });

  it('poisson: may plan nobody when `until` is short', () => {
    const plan = planArrivals(scenario([poisson('p', 10, 1, 1)]));
    expect(plan.arrivals).toEqual([]);
    expect(plan.durationMs).toBe(0);
  });
});

describe('planArrivals: the plan', () => {
  it('orders by time, ties by cohort order, then within the cohort; numbers ids from u0001', () => {
    const plan = planArrivals(scenario([list('A', [0, 2000, 4000]), list('B', [0, 1000], 2000)]));
    expect(plan.arrivals).toEqual([
      { index: 0, id: 'u0001', cohort: 'A', t: 0, seed: deriveSeed(42, 'user', 'A', 0) },
      { index: 1, id: 'u0002', cohort: 'A', t: 2000, seed: deriveSeed(42, 'user', 'A', 1) },
      { index: 2, id: 'u0003', cohort: 'B', t: 2000, seed: deriveSeed(42, 'user', 'B', 0) },
      { index: 3, id: 'u0004', cohort: 'B', t: 3000, seed: deriveSeed(42, 'user', 'B', 1) },
      { index: 4, id: 'u0005', cohort: 'A', t: 4000, seed: deriveSeed(42, 'user', 'A', 2) },
    ]);
    expect(plan.seed).toBe(42);
    expect(plan.durationMs).toBe(4000);
  });

  it('replays a recorded seed exactly (values frozen: changing them breaks old run records)', () => {
    const r = createRng(42);
    expect([r(), r(), r()]).toEqual([0.456255805445835, 0.5641753580421209, 0.5743777174502611]);
    expect([deriveSeed(42, 'user', 'A', 0), deriveSeed(0)]).toEqual([3558185911, 1234692987]);
    const plan = planArrivals(scenario([burst('b', 3, 60_000), poisson('p', 3, 6, 600_000)]));
    expect(plan.arrivals.map((a) => [a.cohort, a.t])).toEqual([
      ['p', 14774],
      ['b', 21340],
      ['b', 39208],
      ['p', 43052],
      ['b', 44038],
      ['p', 58201],
    ]);
    const first = plan.arrivals[0]?.seed ?? 0;
    const think = { thinkTime: { median: 5000, p95: 20000 } };
    expect([0, 1, 2].map((cell) => thinkTimeMs(think, first, cell))).toEqual([3012, 1356, 7176]);
  });

  it('pads ids to the width of the total count', () => {
    const ids = planArrivals(scenario([burst('b', 10_000, 0)])).arrivals.map((a) => a.id);
    expect([ids[0], ids[9_998], ids[9_999]]).toEqual(['u00001', 'u09999', 'u10000']);
  });

  it('opts.seed overrides the scenario seed and is recorded', () => {
    const s = scenario([burst('b', 20, 60_000)], 42);
    const plan = planArrivals(s, { seed: 7 });
    expect(plan.seed).toBe(7);
    expect(plan).toEqual(planArrivals(scenario([burst('b', 20, 60_000)], 7)));
    expect(plan).not.toEqual(planArrivals(s));
    expect(() => planArrivals(s, { seed: -1 })).toThrow(RangeError);
    expect(() => planArrivals(s, { seed: 1.5 })).toThrow(RangeError);
  });

  it("a cohort's draws do not depend on the other cohorts", () => {
    const alone = planArrivals(scenario([poisson('late', 50, 30, 600_000)]));
    const withOthers = planArrivals(
      scenario([burst('early', 30, 10_000), poisson('late', 50, 30, 600_000), ramp('r', 5, 60_000)]),
    );
    const strip = (p: typeof alone) =>
      p.arrivals.filter((a) => a.cohort === 'late').map(({ t, seed }) => ({ t, seed }));
    expect(strip(withOthers)).toEqual(strip(alone));
  });

  it('does not modify its input', () => {
    const s = scenario([list('A', [3000, 1000 + 2000]), burst('B', 5, 10_000), poisson('C', 4, 60, 60_000)]);
    const before = structuredClone(s);
    planArrivals(s, { seed: 9 });
    expect(s).toEqual(before);
  });
});

describe('thinkTimeMs', () => {
  const session = { thinkTime: { median: 5000, p95: 20000 } };

  it('is a deterministic integer per (user, cell), independent of call order', () => {
    const forward = Array.from({ length: 10 }, (_, cell) => thinkTimeMs(session, 1234, cell));
    const backward = Array.from({ length: 10 }, (_, k) => thinkTimeMs(session, 1234, 9 - k)).reverse();
    expect(backward).toEqual(forward);
    expect(forward.every((ms) => Number.isInteger(ms) && ms > 0)).toBe(true);
    expect(new Set(forward).size).toBe(10);
    expect(thinkTimeMs(session, 1235, 0)).not.toBe(forward[0]);
  });

  it('is exactly the median when p95 equals it, and 0 when both are 0', () => {
    expect(thinkTimeMs({ thinkTime: { median: 3000, p95: 3000 } }, 1, 4)).toBe(3000);
    expect(thinkTimeMs({ thinkTime: { median: 0, p95: 0 } }, 1, 4)).toBe(0);
  });
});

describe('expectedConcurrency', () => {
  const plan = planArrivals(scenario([list('A', [0, 1000, 3000])]));

  it('steps up at each arrival and down after the session duration', () => {
    // holds: [0, 2000), [1000, 3000), [3000, 5000); at 3000 one leaves and one arrives: no step
    expect(expectedConcurrency(plan, { duration: 2000 })).toEqual({
      points: [
        { t: 0, users: 1 },
        { t: 1000, users: 2 },
        { t: 2000, users: 1 },
        { t: 5000, users: 0 },
      ],
      peak: 2,
      peakAt: 1000,
    });
  });

  it('shifts by launchMs', () => {
    expect(expectedConcurrency(plan, { duration: 2000 }, { launchMs: 500 }).points).toEqual([
      { t: 500, users: 1 },
      { t: 1500, users: 2 },
      { t: 2500, users: 1 },
      { t: 5500, users: 0 },
    ]);
  });

  it('applies departures before arrivals at the same instant', () => {
    const handover = planArrivals(scenario([list('A', [0]), list('B', [2000, 2000])]));
    // at 2000: A's user leaves and two arrive → 1 - 1 + 2 = 2, never 3
    expect(expectedConcurrency(handover, { duration: 2000 })).toEqual({
      points: [
        { t: 0, users: 1 },
        { t: 2000, users: 2 },
        { t: 4000, users: 0 },
      ],
      peak: 2,
      peakAt: 2000,
    });
  });

  it('reports the first time the peak is reached; empty plans have no points', () => {
    const twice = planArrivals(scenario([list('A', [0, 100, 10_000, 10_100])]));
    const c = expectedConcurrency(twice, { duration: 1000 });
    expect([c.peak, c.peakAt]).toEqual([2, 100]);
    expect(expectedConcurrency({ arrivals: [] }, { duration: 1000 })).toEqual({
      points: [],
      peak: 0,
      peakAt: 0,
    });
    expect(() => expectedConcurrency(plan, { duration: 1 }, { launchMs: -1 })).toThrow(RangeError);
  });
});
