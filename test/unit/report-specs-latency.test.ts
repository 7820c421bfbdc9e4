import { describe, expect, it } from 'vitest';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import type { IntervalRecord, ThresholdResult } from '../../loadgen/record/types.js';
import { CELL_STATS, cellLatency, cellLatencySpec } from '../../reports/specs/cell-latency.js';
import { LAUNCH_PHASES, launchPhases, launchPhasesSpec } from '../../reports/specs/launch-phases.js';
import {
  aggPercentile,
  CURVE_PERCENTILES,
  readyCurve,
  readyCurveSpec,
} from '../../reports/specs/ready-curve.js';

// Spec builders bind percentiles read off merged HDR histograms. HDR returns the bound of the
// bucket holding the sample: at most 0.1 % above it (below it for p0), and the builders round
// seconds to 3 decimals. `near` allows exactly that much.
function near(actualS: number, sampleMs: number): void {
  expect(Math.abs(actualS * 1000 - sampleMs)).toBeLessThanOrEqual(sampleMs * 0.001 + 0.5);
}

const hist = (ms: number[]): string => {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return encode(h);
};

function interval(start: number, trends: Record<string, number[]>): IntervalRecord {
  const enc: Record<string, string> = {};
  for (const [k, v] of Object.entries(trends)) enc[k] = hist(v);
  return { start, end: start + 10_000, trends: enc, rates: {}, failures: {} };
}

/** Nearest rank (HDR's rule): the sample at rank ceil(p/100 · n), at least 1. */
const nearestRank = (sorted: number[], p: number): number =>
  sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;

describe('time-to-ready percentile curve', () => {
  // Two intervals: the curve must come from their merged histogram, not from either one.
  const intervals = [
    interval(0, { 'launch.ready': [1000, 4000] }),
    interval(10_000, { 'launch.ready': [2000, 3000] }),
  ];
  const samples = [1000, 2000, 3000, 4000];

  it('binds every percentile p0..p100 (and p99.9) of the merged launch.ready histogram', () => {
    const c = readyCurve(intervals);
    expect(c.count).toBe(4);
    expect(c.points.map((p) => p.p)).toEqual(CURVE_PERCENTILES);
    expect(c.points).toHaveLength(102);
    for (const pt of c.points) near(pt.seconds, nearestRank(samples, pt.p));
    // the step from 1 s to 2 s is between p25 and p26
    near(c.points[25]?.seconds ?? -1, 1000);
    near(c.points[26]?.seconds ?? -1, 2000);
    expect(c.marks.map((m) => m.label)).toEqual(['p50 2.00 s', 'p95 4.00 s']);
  });

  it('draws a launch.ready threshold as a limit line when it is near the curve, names it otherwise', () => {
    const th = (expr: string, limit: number): ThresholdResult => ({
      expr,
      pass: true,
      actual: 4000,
      limit,
      op: '<',
      abortOnFail: false,
    });
    const c = readyCurve(intervals, [
      th('launch.ready p(95) < 6s', 6000),
      th('launch.ready med < 60s', 60_000),
      th('cell.exec p(95) < 5s', 5000),
      th('launch.ready avg < 5s', 5000),
    ]);
    expect(c.limits).toEqual([
      { p: 95, seconds: 6, label: 'limit: launch.ready p(95) < 6s', pass: true, onChart: true },
      { p: 50, seconds: 60, label: 'limit: launch.ready med < 60s', pass: true, onChart: false },
    ]);
    const spec = JSON.stringify(readyCurveSpec(intervals, [th('launch.ready p(95) < 6s', 6000)]));
    expect(spec).toContain('"values":[{"p":95,"seconds":6');
    expect(spec).not.toContain('far above the curve');
  });

  it('reads percentiles from threshold aggregations', () => {
    expect([
      aggPercentile('p(99.9)'),
      aggPercentile('med'),
      aggPercentile('max'),
      aggPercentile('avg'),
    ]).toEqual([99.9, 50, 100, null]);
  });

  it('an empty record gives a zero-count curve', () => {
    expect(readyCurve([]).count).toBe(0);
  });
});

describe('launch sub-phases per percentile', () => {
  const build = Array.from({ length: 100 }, (_, i) => (i < 90 ? 1 : 10_000)); // 90 cache hits, 10 builds
  const queue = Array.from({ length: 100 }, (_, i) => 100 + i * 10); // 100 … 1090 ms
  const intervals = [
    interval(0, { 'launch.ready': [5000, 15_000], 'launch.build': build, 'launch.queue': queue }),
  ];

  it('binds p50/p90/p95/p99 of each phase from its own histogram; unreported phases are listed, not zero', () => {
    const d = launchPhases(intervals);
    expect(d.missing).toEqual(['schedule', 'scale-up', 'image pull', 'start']);
    const get = (phase: string, p: string) => d.bars.find((b) => b.phase === phase && b.percentile === p);
    expect(d.bars.map((b) => `${b.phase} ${b.percentile}`)).toEqual(
      ['whole launch', 'build', 'queue'].flatMap((ph) =>
        ['p50', 'p90', 'p95', 'p99'].map((p) => `${ph} ${p}`),
      ),
    );
    near(get('build', 'p50')?.seconds ?? -1, 1);
    near(get('build', 'p90')?.seconds ?? -1, 1); // rank 90 is the last cache hit
    near(get('build', 'p95')?.seconds ?? -1, 10_000);
    near(get('queue', 'p50')?.seconds ?? -1, 590); // rank 50 → 100 + 49·10
    near(get('queue', 'p99')?.seconds ?? -1, 1080);
    near(get('whole launch', 'p50')?.seconds ?? -1, 5000);
    expect(get('queue', 'p95')?.count).toBe(100);
  });

  it('the spec keeps the phase order and binds one range per measured phase', () => {
    const spec = launchPhasesSpec(intervals);
    const json = JSON.stringify(spec);
    expect(json).toContain(JSON.stringify(LAUNCH_PHASES.map(([, l]) => l)));
    expect(json).toContain('"label":"p95 10 s"');
    expect(json).toContain('not reported by this target');
  });
});

describe('cell execution latency per cell', () => {
  const intervals = [
    interval(0, { 'cell.exec{cell=0}': [100, 200], 'cell.exec{cell=10}': [50], 'cell.exec': [100, 200, 50] }),
    interval(10_000, { 'cell.exec{cell=0}': [300, 400], 'cell.exec{cell=2}': [1500, 2500] }),
  ];

  it('binds p50 and p95 per cell index, cells sorted numerically, histograms merged across intervals', () => {
    const d = cellLatency(intervals);
    expect(d.cells).toEqual([0, 2, 10]);
    expect(d.bars.map((b) => [b.cell, b.stat, b.count])).toEqual([
      [0, 'p50', 4],
      [0, 'p95', 4],
      [2, 'p50', 2],
      [2, 'p95', 2],
      [10, 'p50', 1],
      [10, 'p95', 1],
    ]);
    const v = (cell: number, stat: string) =>
      d.bars.find((b) => b.cell === cell && b.stat === stat)?.seconds ?? -1;
    near(v(0, 'p50'), 200);
    near(v(0, 'p95'), 400);
    near(v(2, 'p50'), 1500);
    near(v(2, 'p95'), 2500);
    near(v(10, 'p95'), 50);
  });

  it('the spec encodes fields that exist in the bound rows', () => {
    const spec = cellLatencySpec(intervals) as {
      data: { values: Record<string, unknown>[] };
      encoding: object;
    };
    const row = spec.data.values[0] ?? {};
    for (const f of ['cell', 'stat', 'seconds']) expect(row).toHaveProperty(f);
    expect(JSON.stringify(spec.encoding)).toContain(JSON.stringify([...CELL_STATS]));
  });
});
