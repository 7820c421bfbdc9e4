/**
 * Vega-Lite specs of a run comparison (pure: data in, spec out; the data they bind is tested in
 * test/unit/compare-charts.test.ts). Baseline is grey and dashed, candidate blue, in every chart;
 * a regression is also written out ("▲ regression"), never shown by colour alone.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { CurvePoint, TrendComparison } from '../compare.js';
import { formatMs } from '../format.js';
import { CHART_HEIGHT, CHART_WIDTH, PALETTE } from './theme.js';

export const RUN_COLORS = { baseline: PALETTE.grey, candidate: PALETTE.blue } as const;
const REGRESSION_COLOR = PALETTE.vermillion;
export type Role = keyof typeof RUN_COLORS;

export interface CurveRow {
  run: Role;
  percentile: number;
  seconds: number;
}

/** The rows of the time-to-ready overlay: one per run and percentile, latency in seconds. */
export function readyCurveRows(curve: { baseline: CurvePoint[]; candidate: CurvePoint[] }): CurveRow[] {
  const rows = (run: Role, pts: CurvePoint[]) =>
    pts.map((p) => ({ run, percentile: p.percentile, seconds: p.ms / 1000 }));
  return [...rows('baseline', curve.baseline), ...rows('candidate', curve.candidate)];
}

/** Baseline vs candidate time-to-ready (launch.ready) percentile curves. */
export function readyCurveSpec(curve: { baseline: CurvePoint[]; candidate: CurvePoint[] }): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: readyCurveRows(curve) },
    mark: { type: 'line', point: true, interpolate: 'step-after' },
    encoding: {
      x: {
        field: 'percentile',
        type: 'quantitative',
        title: 'percentile of launches',
        scale: { domain: [0, 100] },
      },
      y: { field: 'seconds', type: 'quantitative', title: 'time to ready (s)' },
      color: {
        field: 'run',
        type: 'nominal',
        title: null,
        scale: { domain: ['baseline', 'candidate'], range: [RUN_COLORS.baseline, RUN_COLORS.candidate] },
      },
      strokeDash: {
        field: 'run',
        type: 'nominal',
        title: null,
        scale: {
          domain: ['baseline', 'candidate'],
          range: [
            [6, 3],
            [1, 0],
          ],
        },
      },
    },
  };
}

export interface BarRow {
  metric: string;
  stat: 'p50' | 'p95';
  run: Role;
  seconds: number;
  /** Text shown at the bar's end (formatMs). */
  label: string;
  /** The candidate's bar of a percentile judged a regression. */
  regression: boolean;
}

/** The rows of the p50/p95 bar chart: per metric, per statistic, baseline then candidate. */
export function percentileBarRows(trends: readonly TrendComparison[]): BarRow[] {
  const rows: BarRow[] = [];
  for (const t of trends) {
    for (const stat of ['p50', 'p95'] as const) {
      const c = t[stat];
      for (const run of ['baseline', 'candidate'] as const) {
        const ms = c[run];
        rows.push({
          metric: t.key,
          stat,
          run,
          seconds: ms / 1000,
          label: `${formatMs(ms)}${run === 'candidate' && c.regression ? ' ▲ regression' : ''}`,
          regression: run === 'candidate' && c.regression,
        });
      }
    }
  }
  return rows;
}

/** Per-metric p50 and p95 bars, baseline and candidate side by side; regressions outlined in red. */
export function percentileBarsSpec(trends: readonly TrendComparison[]): TopLevelSpec {
  const metrics = trends.map((t) => t.key);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    data: { values: percentileBarRows(trends) },
    facet: { column: { field: 'stat', type: 'nominal', title: null, sort: ['p50', 'p95'] } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: CHART_WIDTH / 2 - 40,
      height: { step: 12 },
      encoding: {
        y: { field: 'metric', type: 'nominal', title: null, sort: metrics },
        yOffset: { field: 'run', type: 'nominal', sort: ['baseline', 'candidate'] },
        x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
      },
      layer: [
        {
          mark: { type: 'bar' },
          encoding: {
            color: {
              field: 'run',
              type: 'nominal',
              title: null,
              scale: {
                domain: ['baseline', 'candidate'],
                range: [RUN_COLORS.baseline, RUN_COLORS.candidate],
              },
            },
            stroke: {
              condition: { test: 'datum.regression', value: REGRESSION_COLOR },
              value: null,
            },
            strokeWidth: { value: 2 },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
          encoding: {
            text: { field: 'label', type: 'nominal' },
            color: { condition: { test: 'datum.regression', value: REGRESSION_COLOR }, value: '#333' },
          },
        },
      ],
    },
  };
}
