/**
 * Generator health: is the load generator itself keeping up? Per interval, the p99 and the max of
 *
 *   schedule lag      (generator.lag): how late a step started against its scheduled time;
 *   event-loop delay  (generator.loopDelay): how late a 100 ms timer fired in the generator.
 *
 * Latencies are measured from the scheduled start, so a late generator does not hide a slow hub
 * (no coordinated omission); but steps that start late are not the load the scenario asked for.
 * An interval whose schedule-lag p99 exceeds SATURATION_MS is shaded as saturated. Event-loop
 * stalls are the diagnosis (why steps were late, how late a reply may have been timestamped); a
 * lone stall (a GC pause) with an on-time schedule is shown but is not saturation. The delay axis
 * is logarithmic (0.1 ms … seconds), so the 20 ms line stays readable next to long stalls.
 * With fewer than 100 samples in an interval (the loop is sampled 100 times per 10 s), its p99
 * is its max: the two lines then coincide.
 */
import type { TopLevelSpec } from 'vega-lite';
import { decode } from '../../core/hdr.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { percentileMs } from './hist.js';
import { CHART_HEIGHT, CHART_WIDTH, PALETTE, round3, type TimeAxis, timeAxis, toAxis } from './theme.js';

/** Above this schedule-lag p99 (ms) in an interval, the generator counts as saturated there. */
export const SATURATION_MS = 20;

/** The log axis starts here; smaller delays are drawn on its floor. */
const FLOOR_MS = 0.1;

export type GeneratorSeries = 'schedule lag' | 'event-loop delay';
const SERIES: readonly (readonly [key: string, name: GeneratorSeries])[] = [
  ['generator.lag', 'schedule lag'],
  ['generator.loopDelay', 'event-loop delay'],
];

export interface GeneratorHealth {
  /** One point per interval, series and statistic; t is the interval's midpoint, in ms. */
  points: { t: number; series: GeneratorSeries; stat: 'p99' | 'max'; ms: number }[];
  /** Intervals where the schedule-lag p99 exceeded SATURATION_MS. */
  saturated: { start: number; end: number; p99: number }[];
  /** The highest p99 of each series over all intervals (0 without samples). */
  worstP99: Record<GeneratorSeries, number>;
  intervals: number;
}

export function generatorHealth(intervals: readonly IntervalRecord[]): GeneratorHealth {
  const out: GeneratorHealth = {
    points: [],
    saturated: [],
    worstP99: { 'schedule lag': 0, 'event-loop delay': 0 },
    intervals: intervals.length,
  };
  for (const iv of intervals) {
    const t = (iv.start + iv.end) / 2;
    for (const [key, series] of SERIES) {
      const encoded = iv.trends[key];
      if (encoded === undefined) continue;
      const h = decode(encoded);
      if (h.totalCount === 0) continue;
      const p99 = round3(percentileMs(h, 99));
      out.points.push(
        { t, series, stat: 'p99', ms: p99 },
        { t, series, stat: 'max', ms: round3(percentileMs(h, 100)) },
      );
      out.worstP99[series] = Math.max(out.worstP99[series], p99);
      if (series === 'schedule lag' && p99 > SATURATION_MS)
        out.saturated.push({ start: iv.start, end: iv.end, p99 });
    }
  }
  return out;
}

export function generatorHealthSpec(intervals: readonly IntervalRecord[], durationMs?: number): TopLevelSpec {
  const d = generatorHealth(intervals);
  const end = durationMs ?? intervals.reduce((m, iv) => Math.max(m, iv.end), 0);
  const axis: TimeAxis = timeAxis(end);
  const xScale = { domain: [0, toAxis(end, axis)], nice: false };
  const points = d.points.map((p) => ({ ...p, t: toAxis(p.t, axis), plotted: Math.max(FLOOR_MS, p.ms) }));
  const y = {
    field: 'plotted',
    type: 'quantitative' as const,
    title: 'delay (ms, log scale)',
    scale: { type: 'log' as const, domainMin: FLOOR_MS, clamp: true },
    axis: { values: [0.1, 1, 10, 20, 100, 1000, 10_000], format: '~g' },
  };
  return {
    description: 'Generator schedule lag and event-loop delay per interval, p99 and max',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [
      {
        data: {
          values: d.saturated.map((s) => ({ start: toAxis(s.start, axis), end: toAxis(s.end, axis) })),
        },
        mark: { type: 'rect', color: PALETTE.vermillion, opacity: 0.12 },
        encoding: {
          x: { field: 'start', type: 'quantitative', scale: xScale, title: axis.title },
          x2: { field: 'end' },
        },
      },
      {
        data: {
          values: [
            { plotted: SATURATION_MS, label: `${SATURATION_MS} ms: schedule lag above this = saturated` },
          ],
        },
        layer: [
          {
            mark: { type: 'rule', strokeDash: [6, 4], color: PALETTE.vermillion, strokeWidth: 1.5 },
            encoding: { y },
          },
          {
            mark: { type: 'text', align: 'right', baseline: 'top', dx: -4, dy: 4, color: PALETTE.vermillion },
            encoding: { x: { value: CHART_WIDTH }, y, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x: { field: 't', type: 'quantitative', scale: xScale, title: axis.title },
          y,
          color: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: SERIES.map(([, n]) => n), range: [PALETTE.blue, PALETTE.orange] },
          },
          strokeDash: {
            field: 'stat',
            type: 'nominal',
            title: null,
            scale: {
              domain: ['p99', 'max'],
              range: [
                [1, 0],
                [2, 3],
              ],
            },
          },
          detail: { field: 'stat', type: 'nominal' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 28, opacity: 1 },
        encoding: {
          x: { field: 't', type: 'quantitative', scale: xScale, title: axis.title },
          y,
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    ],
  };
}
