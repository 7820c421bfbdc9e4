/**
 * Time-to-ready percentile curve: launch.ready merged over the whole run, read at every percentile
 * p0, p1, …, p100 (and p99.9). A point (p, y) says "p % of the launches that succeeded had a
 * server within y seconds of the click". Drawn as steps (a percentile is a sample value, the curve
 * does not interpolate between samples). A launch.ready threshold is drawn as a dashed limit line.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { IntervalRecord, ThresholdResult } from '../../loadgen/record/types.js';
import { formatMs, thresholdAgg, thresholdMetric } from '../format.js';
import { mergedHistogram, percentileMs } from './hist.js';
import { CHART_HEIGHT, CHART_WIDTH, type Layers, PALETTE, round3 } from './theme.js';

export const CURVE_PERCENTILES: readonly number[] = [...Array.from({ length: 101 }, (_, i) => i), 99.9].sort(
  (a, b) => a - b,
);
/** Percentiles marked and labelled on the curve. */
export const MARKED_PERCENTILES: readonly number[] = [50, 95];

export interface ReadyCurve {
  /** Launches that reached a server (the histogram's count). */
  count: number;
  points: { p: number; seconds: number }[];
  marks: { p: number; seconds: number; label: string }[];
  /**
   * launch.ready thresholds: the limit in seconds at the percentile they judge. A limit more than
   * twice the slowest launch is `onChart: false`: drawing it would flatten the curve to a line,
   * so it is named above the chart instead.
   */
  limits: { p: number; seconds: number; label: string; pass: boolean; onChart: boolean }[];
}

/** The percentile a threshold aggregation names: p(N) → N, med → 50, min → 0, max → 100. */
export function aggPercentile(agg: string): number | null {
  const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(agg);
  if (m?.[1] !== undefined) return Number(m[1]);
  return agg === 'med' ? 50 : agg === 'min' ? 0 : agg === 'max' ? 100 : null;
}

export function readyCurve(
  intervals: readonly IntervalRecord[],
  thresholds: readonly ThresholdResult[] = [],
): ReadyCurve {
  const h = mergedHistogram(intervals, 'launch.ready');
  const at = (p: number) => round3(percentileMs(h, p) / 1000);
  const limits: ReadyCurve['limits'] = [];
  const slowest = percentileMs(h, 100);
  for (const th of thresholds) {
    if (thresholdMetric(th.expr) !== 'launch.ready') continue;
    const p = aggPercentile(thresholdAgg(th.expr));
    if (p === null) continue;
    limits.push({
      p,
      seconds: round3(th.limit / 1000),
      label: `limit: ${th.expr}`,
      pass: th.pass,
      onChart: th.limit <= 2 * slowest,
    });
  }
  return {
    count: h.totalCount,
    points: CURVE_PERCENTILES.map((p) => ({ p, seconds: at(p) })),
    marks: MARKED_PERCENTILES.map((p) => ({
      p,
      seconds: at(p),
      label: `p${p} ${formatMs(percentileMs(h, p))}`,
    })),
    limits,
  };
}

export function readyCurveSpec(
  intervals: readonly IntervalRecord[],
  thresholds: readonly ThresholdResult[] = [],
): TopLevelSpec {
  const c = readyCurve(intervals, thresholds);
  const x = {
    field: 'p',
    type: 'quantitative' as const,
    title: 'percentile of successful launches',
    scale: { domain: [0, 100], nice: false },
    axis: {
      values: [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      labelExpr: "'p' + datum.value",
      labelOverlap: false,
    },
  };
  const y = { field: 'seconds', type: 'quantitative' as const, title: 'time to ready (s)' };
  const layers: Layers = [
    {
      data: { values: c.points },
      mark: { type: 'line', interpolate: 'step-before', strokeWidth: 2.5, color: PALETTE.blue },
      encoding: { x, y },
    },
    {
      data: { values: c.marks },
      layer: [
        { mark: { type: 'point', filled: true, size: 60, color: PALETTE.blue }, encoding: { x, y } },
        {
          mark: { type: 'text', align: 'right', dx: -8, dy: -10, fontWeight: 'bold', color: PALETTE.black },
          encoding: { x, y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  ];
  const on = c.limits.filter((l) => l.onChart);
  if (on.length > 0) {
    layers.push({
      data: { values: on },
      layer: [
        {
          mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, color: PALETTE.vermillion },
          encoding: { y },
        },
        {
          mark: { type: 'text', align: 'left', dx: 4, dy: -8, color: PALETTE.vermillion },
          encoding: { x: { datum: 0, type: 'quantitative' }, y, text: { field: 'label', type: 'nominal' } },
        },
      ],
    });
  }
  const off = c.limits.filter((l) => !l.onChart);
  if (off.length > 0) {
    const text = `${off.map((l) => l.label).join('; ')} (far above the curve, not drawn)`;
    layers.push({
      data: { values: [{ text }] },
      mark: { type: 'text', align: 'left', baseline: 'top', color: PALETTE.vermillion },
      encoding: { x: { value: 4 }, y: { value: 2 }, text: { field: 'text', type: 'nominal' } },
    });
  }
  return {
    description: 'Time to ready by percentile of successful launches',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: layers,
  };
}
