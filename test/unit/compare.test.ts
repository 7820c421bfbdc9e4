import { describe, expect, it } from 'vitest';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import { summarizeIntervals } from '../../loadgen/metrics/totals.js';
import type { RunRecord } from '../../loadgen/record/reader.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { type Comparison, comparedKeys, compareRuns, type TrendComparison } from '../../reports/compare.js';

// Hand-built run records: interval histograms encoded with the real HDR layout (core/hdr.ts).

type Rates = IntervalRecord['rates'];

function interval(i: number, samples: Record<string, number[]>, rates: Rates = {}): IntervalRecord {
  const trends: Record<string, string> = {};
  for (const [key, values] of Object.entries(samples)) {
    const h = newHistogram();
    for (const v of values) recordMs(h, v);
    trends[key] = encode(h);
  }
  return { start: i * 10_000, end: (i + 1) * 10_000, trends, rates, failures: {} };
}

function record(id: string, intervals: IntervalRecord[], hash = 'sha256:aaaa'): RunRecord {
  return {
    dir: `/runs/${id}`,
    meta: {
      version: 1,
      id,
      tool: { name: 'rehearse', version: '0.1.0' },
      scenario: { name: 'ci', hash, source: 'ci.yaml', normalized: {} },
      seed: 1,
      target: { kind: 'binderhub', binderUrl: 'https://staging.example.org/' },
      host: { hostname: 'ci', platform: 'linux', arch: 'x64', node: 'v20', cpus: 2, memoryGiB: 4 },
      intervalMs: 10_000,
      plannedUsers: 10,
      startedAt: '2025-01-01T00:00:00.000Z',
      status: 'completed',
    },
    events: [],
    intervals,
    summary: {
      id,
      scenario: 'ci',
      partial: false,
      status: 'completed',
      startedAt: '2025-01-01T00:00:00.000Z',
      durationMs: intervals.length * 10_000,
      users: { planned: 10, arrived: 10, late: 0, completed: 10, failed: 0 },
      ...summarizeIntervals(intervals),
      thresholds: [],
      verdict: 'none',
      leftovers: [],
    },
    partial: false,
    warnings: [],
  };
}

/** Ten samples per interval: base, base+100 ms, …, base+900 ms. */
const ten = (base: number) => Array.from({ length: 10 }, (_, j) => base + j * 100);
/** A run whose load varies a lot from window to window: launches around 10 s, 14 s, … 30 s. */
const BASES = [10_000, 14_000, 18_000, 22_000, 26_000, 30_000];
const varying = (factor: number) =>
  BASES.map((b, i) => interval(i, { 'launch.ready': ten(b * factor), 'ws.connect': ten(50) }));

const trend = (c: Comparison, key: string): TrendComparison => {
  const t = c.trends.find((x) => x.key === key);
  if (!t) throw new Error(`no ${key} in the comparison`);
  return t;
};

describe('compareRuns', () => {
  it('identical runs: every delta 0, nothing fired, no regression', () => {
    const ivs = [
      interval(0, { 'launch.ready': [3000, 3500, 4000], 'launch.build': [1000, 1000, 1000], leave: [800] }),
    ];
    const c = compareRuns(record('a', ivs), record('b', ivs), { tolerance: 0.1 });
    expect(c.regression).toBe(false);
    expect(c.trends.map((t) => t.key)).toEqual(['launch.ready', 'launch.build', 'leave']);
    for (const t of c.trends) {
      for (const p of [t.p50, t.p95]) expect(p).toMatchObject({ delta: 0, fired: 'none', regression: false });
    }
    expect(c.warnings).toEqual([]);
  });

  it('identical runs with enough intervals for the spread rule: still no regression', () => {
    const c = compareRuns(record('a', varying(1)), record('b', varying(1)), { tolerance: 0 });
    expect(c.regression).toBe(false);
    expect(trend(c, 'launch.ready').p50.spread.basis).toBe('intervals');
  });

  it('shifted beyond the tolerance but within the baseline spread: no regression, rule "tolerance"', () => {
    const c = compareRuns(record('a', varying(1)), record('b', varying(1.2)), { tolerance: 0.1 });
    const ready = trend(c, 'launch.ready');
    expect(ready.p50.relative).toBeCloseTo(22_500 / 18_900 - 1, 2); // run-level p50: 18.9 s → 22.5 s
    expect(ready.p50.fired).toBe('tolerance');
    expect(ready.p95.fired).toBe('tolerance');
    // per-interval p50s 10.4 s … 30.4 s: median 20.4 s, MAD 6 s → limit 20.4 + 3·1.4826·6 ≈ 47.1 s
    expect(ready.p50.spread).toMatchObject({ basis: 'intervals', intervals: 6 });
    expect(ready.p50.spread.limit / 1000).toBeCloseTo(47.09, 1);
    expect(c.regression).toBe(false);
  });

  it('beyond tolerance and spread: a regression, rule "both"', () => {
    const c = compareRuns(record('a', varying(1)), record('b', varying(3)), { tolerance: 0.1 });
    const ready = trend(c, 'launch.ready');
    expect(ready.p50).toMatchObject({ fired: 'both', regression: true });
    expect(ready.regression).toBe(true);
    expect(trend(c, 'ws.connect').regression).toBe(false);
    expect(c.regression).toBe(true);
  });

  it('one interval (a short CI run): the too-few-samples fallback; noise passes, a slow build does not', () => {
    const base = record('a', [interval(0, { 'launch.ready': [3000, 3500, 4000] })]);
    const noisy = compareRuns(base, record('b', [interval(0, { 'launch.ready': [3300, 3900, 4600] })]), {
      tolerance: 0.1,
    });
    const p95 = trend(noisy, 'launch.ready').p95;
    expect(p95.fired).toBe('tolerance');
    expect(p95.spread).toMatchObject({
      basis: 'too-few-samples',
      intervals: 0,
      baselineUpper: { kind: 'extreme' }, // 3 samples: the baseline's max, 4 s
      candidateLower: { kind: 'order-statistic' }, // the candidate's 2nd of 3, 3.9 s
    });
    expect(noisy.regression).toBe(false);
    const slow = compareRuns(base, record('c', [interval(0, { 'launch.ready': [15_000, 15_500, 16_000] })]), {
      tolerance: 0.1,
    });
    expect(trend(slow, 'launch.ready').p50).toMatchObject({ fired: 'both', regression: true });
    expect(slow.regression).toBe(true);
  });

  it('a failure-rate rise beyond binomial noise is a regression; a small one is not', () => {
    const rates = (hits: number): Rates => ({ 'launch.failed': { hits, total: 40 } });
    const withRate = (id: string, hits: number) =>
      record(id, [interval(0, { 'launch.ready': [3000] }, rates(hits))]);
    const big = compareRuns(withRate('a', 0), withRate('b', 10), { tolerance: 0.1 });
    expect(big.rates).toEqual([
      expect.objectContaining({ metric: 'launch.failed', delta: 0.25, regression: true }),
    ]);
    expect(big.regression).toBe(true);
    const small = compareRuns(withRate('a', 0), withRate('b', 1), { tolerance: 0.1 });
    expect(small.rates[0]?.regression).toBe(false);
    expect(small.regression).toBe(false);
  });

  it('different scenarios: a warning, still compared; metrics of one run only are listed, not judged', () => {
    const a = record('a', [interval(0, { 'launch.ready': [3000], 'generator.lag': [5] })], 'sha256:1');
    const b = record('b', [interval(0, { 'launch.ready': [3000], 'launch.scaleup': [60_000] })], 'sha256:2');
    const c = compareRuns(a, b, { tolerance: 0.1 });
    expect(c.sameScenario).toBe(false);
    expect(c.warnings[0]).toContain('different scenarios');
    expect(c.trends.map((t) => t.key)).toEqual(['launch.ready']);
    expect(c.onlyIn).toEqual({ baseline: [], candidate: ['launch.scaleup'] });
    expect(c.regression).toBe(false);
  });

  it('the time-to-ready curve binds both runs at the same percentiles', () => {
    const c = compareRuns(
      record('a', [interval(0, { 'launch.ready': [1000, 2000] })]),
      record('b', [interval(0, { 'launch.ready': [4000] })]),
      { tolerance: 0.1 },
    );
    expect(c.readyCurve?.baseline.map((p) => p.percentile)).toEqual(
      c.readyCurve?.candidate.map((p) => p.percentile),
    );
    expect(c.readyCurve?.baseline.at(-1)?.ms).toBeCloseTo(2000, -1); // HDR: within 0.1 %
    expect(c.readyCurve?.candidate[0]?.ms).toBeCloseTo(4000, -1);
  });

  it('rejects a negative tolerance', () => {
    const r = record('a', []);
    expect(() => compareRuns(r, r, { tolerance: -0.1 })).toThrow(RangeError);
  });
});

describe('comparedKeys', () => {
  it('keeps the compared metrics in report order, cells by index after cell.exec', () => {
    expect(
      comparedKeys([
        'leave',
        'cell.exec{cell=10}',
        'generator.lag',
        'cell.exec',
        'cell.exec{cell=2}',
        'launch.ready',
      ]),
    ).toEqual(['launch.ready', 'cell.exec', 'cell.exec{cell=2}', 'cell.exec{cell=10}', 'leave']);
  });
});
