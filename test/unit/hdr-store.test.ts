import { describe, expect, it } from 'vitest';
import {
  decode,
  encode,
  HIGHEST_US,
  merge,
  newHistogram,
  recordMs,
  summarizeHistogram,
} from '../../core/hdr.js';
import type { Sample } from '../../core/metrics.js';
import { MetricStore } from '../../loadgen/metrics/store.js';
import { mergeIntervalRecords, summarizeIntervals } from '../../loadgen/metrics/totals.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const trend = (t: number, value: number, cell?: number): Sample =>
  cell === undefined
    ? { kind: 'trend', metric: 'cell.exec', value, t }
    : { kind: 'trend', metric: 'cell.exec', value, t, tags: { cell } };

function collect(intervalMs = 10_000) {
  const records: IntervalRecord[] = [];
  const store = new MetricStore({ intervalMs, onInterval: (rec) => records.push(rec) });
  return { store, records };
}

/** Number of samples under `key` in a record. */
const countOf = (rec: IntervalRecord | undefined, key: string): number =>
  rec?.trends[key] === undefined ? 0 : decode(rec.trends[key]).totalCount;

describe('hdr', () => {
  it('records ms as µs: exact below 2048 µs, 0 ms as 1 µs, negatives as 1 µs', () => {
    const h = newHistogram();
    recordMs(h, 1.2345); // 1234.5 µs rounds to 1235
    expect(summarizeHistogram(h)).toEqual({
      count: 1,
      min: 1.235,
      max: 1.235,
      mean: 1.235,
      p50: 1.235,
      p90: 1.235,
      p95: 1.235,
      p99: 1.235,
    });
    const zero = newHistogram();
    recordMs(zero, 0);
    recordMs(zero, -5);
    expect(summarizeHistogram(zero)).toMatchObject({ count: 2, min: 0.001, max: 0.001 });
    expect(() => recordMs(zero, Number.NaN)).toThrow(RangeError);
  });

  it('clamps at 24 h: 48 h reads back as 24 h', () => {
    const [a, b] = [newHistogram(), newHistogram()];
    recordMs(a, 48 * 3_600_000);
    recordMs(b, HIGHEST_US / 1000);
    expect(encode(a)).toBe(encode(b));
    const max = summarizeHistogram(a).max;
    expect(max).toBeGreaterThanOrEqual(86_400_000);
    expect(max).toBeLessThanOrEqual(86_400_000 * 1.001);
  });

  it('summarises an empty histogram to zeros, and extra percentiles on request', () => {
    expect(summarizeHistogram(newHistogram(), [99.9])).toEqual({
      count: 0,
      ...{ min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0 },
      percentiles: { '99.9': 0 },
    });
    const h = newHistogram();
    for (let ms = 1; ms <= 1000; ms++) recordMs(h, ms);
    // rank 999 is 999 ms = 999000 µs; its bucket is 512 µs wide there: [998912, 999423].
    expect(summarizeHistogram(h, [99.9]).percentiles).toEqual({ '99.9': 999.423 });
  });

  it('round-trips through encode/decode', () => {
    const next = rng(7);
    const h = newHistogram();
    for (let i = 0; i < 5000; i++) recordMs(h, Math.exp(next() * 12));
    const back = decode(encode(h));
    expect(summarizeHistogram(back, [99.9])).toEqual(summarizeHistogram(h, [99.9]));
    expect(encode(back)).toBe(encode(h));
    expect(encode(h)).toMatch(/^HISTFAAA/);
  });

  it('merges exactly and grows to hold what it is given', () => {
    const [a, b, all] = [newHistogram(), newHistogram(), newHistogram()];
    for (const ms of [1, 5, 60_000]) recordMs(a, ms);
    for (const ms of [2, 3_600_000]) recordMs(b, ms);
    for (const ms of [1, 5, 60_000, 2, 3_600_000]) recordMs(all, ms);
    merge(a, b);
    expect(summarizeHistogram(a)).toEqual(summarizeHistogram(all));
  });

  it('is memory-light while empty (grows from a small range)', () => {
    expect(newHistogram().estimatedFootprintInBytes).toBeLessThan(16 * 1024);
  });
});

describe('MetricStore intervals', () => {
  it('aligns intervals to multiples of intervalMs and emits only non-empty ones, in order', () => {
    const { store, records } = collect();
    for (const t of [25_000, 3, 9_999, 10_000, 47_000]) store.add(trend(t, 1));
    store.flushUntil(50_000);
    expect(records.map((r) => [r.start, r.end, countOf(r, 'cell.exec')])).toEqual([
      [0, 10_000, 2],
      [10_000, 20_000, 1],
      [20_000, 30_000, 1],
      [40_000, 50_000, 1],
    ]);
  });

  it('flushUntil closes exactly the intervals that ended, once', () => {
    const { store, records } = collect();
    store.add(trend(5_000, 1));
    store.add(trend(15_000, 1));
    store.flushUntil(19_999);
    expect(records.map((r) => r.start)).toEqual([0]);
    store.flushUntil(19_999);
    store.flushUntil(20_000);
    expect(records.map((r) => r.start)).toEqual([0, 10_000]);
  });

  it('puts a late sample into the oldest open interval, never into a written one', () => {
    const { store, records } = collect();
    store.add(trend(5_000, 1));
    store.flushUntil(20_000);
    store.add(trend(4_000, 2)); // its interval [0, 10 s) is closed; [10 s, 20 s) too
    store.add(trend(-1, 3)); // before the start: the first interval, also closed
    store.add(trend(25_000, 4));
    store.flushUntil(30_000);
    expect(records.map((r) => [r.start, r.end, countOf(r, 'cell.exec')])).toEqual([
      [0, 10_000, 1],
      [20_000, 30_000, 3],
    ]);
  });

  it('close() ends with the partial interval at t, is idempotent, and counts later samples', () => {
    const { store, records } = collect();
    store.add(trend(12_000, 1));
    store.add(trend(42_000, 1));
    store.close(45_000);
    store.close(60_000);
    store.add(trend(46_000, 1));
    expect(records.map((r) => [r.start, r.end])).toEqual([
      [10_000, 20_000],
      [40_000, 45_000],
    ]);
    expect(store.samplesAfterClose).toBe(1);
  });

  it('records a cell-tagged trend under its cell key and the metric; rates and failures as counts', () => {
    const { store, records } = collect();
    store.add(trend(1, 1, 2));
    store.add(trend(2, 2, 2));
    store.add(trend(3, 30, 0));
    store.add(trend(4, 40));
    store.add({ kind: 'rate', metric: 'launch.failed', hit: true, t: 5 });
    store.add({ kind: 'rate', metric: 'launch.failed', hit: false, t: 6 });
    store.add({ kind: 'rate', metric: 'launch.failed', hit: false, t: 7 });
    store.add({ kind: 'failure', reason: 'timeout', attempt: 'first', t: 8 });
    store.add({ kind: 'failure', reason: 'timeout', attempt: 'final', t: 9 });
    store.add({ kind: 'failure', reason: 'quota', attempt: 'first', t: 9 });
    store.close(10_000);
    const [rec] = records;
    expect(Object.keys(rec?.trends ?? {}).sort()).toEqual([
      'cell.exec',
      'cell.exec{cell=0}',
      'cell.exec{cell=2}',
    ]);
    expect([
      countOf(rec, 'cell.exec'),
      countOf(rec, 'cell.exec{cell=2}'),
      countOf(rec, 'cell.exec{cell=0}'),
    ]).toEqual([4, 2, 1]);
    expect(rec?.rates).toEqual({ 'launch.failed': { hits: 1, total: 3 } });
    expect(rec?.failures).toEqual({ timeout: { first: 1, final: 1 }, quota: { first: 1, final: 0 } });
    expect(summarizeIntervals(records).trends['cell.exec{cell=2}']).toMatchObject({
      count: 2,
      min: 1,
      max: 2,
    });
  });

  it('cumulativeP and snapshot cover the whole run, flushed intervals included', () => {
    const { store } = collect();
    expect(store.cumulativeP('cell.exec', 95)).toBeNull();
    // 0.01 ms .. 1 ms: below 2048 µs every value has its own bucket, so percentiles are exact.
    for (let i = 1; i <= 100; i++) store.add(trend(i * 1000, i / 100));
    store.flushUntil(50_000);
    expect(store.cumulativeP('cell.exec', 95)).toBe(0.95);
    expect(store.cumulativeP('cell.exec', 100)).toBe(1);
    expect(store.cumulativeP('launch.ready', 50)).toBeNull();
    expect(store.snapshot([99.9]).trends['cell.exec']).toEqual({
      count: 100,
      ...{ min: 0.01, max: 1, mean: 0.505, p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 },
      percentiles: { '99.9': 1 },
    });
  });
});

describe('samples counted at once', () => {
  it('a rate sample with a count counts that many, in the interval and over the run', () => {
    const { store, records } = collect();
    store.add({ kind: 'rate', metric: 'cell.skipped', hit: false, t: 1 });
    store.add({ kind: 'rate', metric: 'cell.skipped', hit: true, t: 2, count: 17 });
    store.flushUntil(10_000);
    store.add({ kind: 'rate', metric: 'cell.skipped', hit: true, t: 10_001, count: 3 });
    expect(records[0]?.rates['cell.skipped']).toEqual({ hits: 17, total: 18 });
    expect(store.snapshot().rates['cell.skipped']).toEqual({ hits: 20, total: 21, rate: 20 / 21 });
  });
});

describe('merging intervals and shards', () => {
  /** 3000 samples over 65 s: lognormal-ish latencies on 3 cells, rates and failures. */
  function samples(seed: number): Sample[] {
    const next = rng(seed);
    const out: Sample[] = [];
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(next() * 65_000);
      out.push(trend(t, Math.exp(next() * 14) / 10, Math.floor(next() * 3)));
      out.push({ kind: 'trend', metric: 'launch.ready', value: 1000 + next() * 120_000, t });
      out.push({ kind: 'rate', metric: 'launch.failed', hit: next() < 0.07, t });
      if (next() < 0.05) out.push({ kind: 'failure', reason: 'timeout', attempt: 'first', t });
    }
    return out;
  }

  it('three shards merged give exactly the summary of one store fed every sample', () => {
    const all = samples(2024);
    const whole = collect();
    const shards = [collect(), collect(), collect()];
    const pick = rng(99);
    for (const s of all) {
      whole.store.add(s);
      shards[Math.floor(pick() * 3)]?.store.add(s);
    }
    for (const { store } of [whole, ...shards]) store.close(65_000);
    const [a, b, c] = shards.map((s) => s.records) as [IntervalRecord[], IntervalRecord[], IntervalRecord[]];

    const merged = mergeIntervalRecords(mergeIntervalRecords(a, b), c);
    expect(merged.map((r) => [r.start, r.end])).toEqual(whole.records.map((r) => [r.start, r.end]));
    const percentiles = [99.9, 12.5];
    const expected = summarizeIntervals(whole.records, percentiles);
    expect(summarizeIntervals(merged, percentiles)).toEqual(expected);
    expect(summarizeIntervals([...c, ...a, ...b], percentiles)).toEqual(expected);
    expect(summarizeIntervals(mergeIntervalRecords(c, mergeIntervalRecords(b, a)), percentiles)).toEqual(
      expected,
    );
    // Interval by interval too, not only in total.
    for (const [i, rec] of merged.entries()) {
      expect(summarizeIntervals([rec])).toEqual(summarizeIntervals(whole.records.slice(i, i + 1)));
    }

    // And the union is the histogram of the raw values: one histogram, everything recorded.
    const direct = newHistogram();
    for (const s of all) if (s.kind === 'trend' && s.metric === 'launch.ready') recordMs(direct, s.value);
    expect(expected.trends['launch.ready']).toEqual(summarizeHistogram(direct, percentiles));
    const failed = all.filter((s) => s.kind === 'rate');
    const hits = failed.filter((s) => s.kind === 'rate' && s.hit).length;
    expect(expected.rates['launch.failed']).toEqual({ hits, total: 3000, rate: hits / 3000 });

    // Within 0.1 % (3 significant digits) of the exact sample percentile.
    const sorted = all.flatMap((s) => (s.kind === 'trend' && s.metric === 'launch.ready' ? [s.value] : []));
    sorted.sort((x, y) => x - y);
    const exactP99 = sorted[Math.ceil(0.99 * sorted.length) - 1] ?? 0;
    expect(Math.abs((expected.trends['launch.ready']?.p99 ?? 0) - exactP99)).toBeLessThanOrEqual(
      exactP99 * 0.001,
    );
  });

  it('keeps records that only one side has, sorted by start, and takes the later end', () => {
    const enc = (ms: number) => {
      const h = newHistogram();
      recordMs(h, ms);
      return encode(h);
    };
    const rec = (start: number, end: number, ms: number): IntervalRecord => ({
      start,
      end,
      trends: { 'ws.connect': enc(ms) },
      rates: { 'arrival.late': { hits: 1, total: 2 } },
      failures: {},
    });
    const merged = mergeIntervalRecords(
      [rec(20_000, 25_000, 3)],
      [rec(0, 10_000, 1), rec(20_000, 24_000, 5)],
    );
    expect(merged.map((r) => [r.start, r.end, countOf(r, 'ws.connect')])).toEqual([
      [0, 10_000, 1],
      [20_000, 25_000, 2],
    ]);
    expect(merged[1]?.rates).toEqual({ 'arrival.late': { hits: 2, total: 4 } });
  });
});
