import { compile, type TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import type { TrendComparison } from '../../reports/compare.js';
import { COMPARE_DEFAULTS, judgePercentile, spreadBand } from '../../reports/compare-stats.js';
import { formatMs } from '../../reports/format.js';
import { renderSvg } from '../../reports/render.js';
import {
  percentileBarRows,
  percentileBarsSpec,
  readyCurveRows,
  readyCurveSpec,
} from '../../reports/specs/compare-charts.js';

const S = { ...COMPARE_DEFAULTS, tolerance: 0.1 };

function trend(key: string, b: [number, number], c: [number, number]): TrendComparison {
  const judge = (bv: number, cv: number) =>
    judgePercentile(
      bv,
      cv,
      spreadBand(
        [],
        bv,
        { baselineUpper: { value: bv, kind: 'extreme' }, candidateLower: { value: cv, kind: 'extreme' } },
        S,
      ),
      S,
    );
  const p50 = judge(b[0], c[0]);
  const p95 = judge(b[1], c[1]);
  return {
    key,
    counts: { baseline: 3, candidate: 3 },
    p50,
    p95,
    regression: p50.regression || p95.regression,
  };
}

const values = (spec: TopLevelSpec): unknown => (spec as { data?: { values?: unknown } }).data?.values;

describe('time-to-ready overlay', () => {
  const curve = {
    baseline: [
      { percentile: 50, ms: 3000 },
      { percentile: 95, ms: 4000 },
    ],
    candidate: [
      { percentile: 50, ms: 14_000 },
      { percentile: 95, ms: 15_500 },
    ],
  };

  it('binds one row per run and percentile, in seconds', () => {
    expect(readyCurveRows(curve)).toEqual([
      { run: 'baseline', percentile: 50, seconds: 3 },
      { run: 'baseline', percentile: 95, seconds: 4 },
      { run: 'candidate', percentile: 50, seconds: 14 },
      { run: 'candidate', percentile: 95, seconds: 15.5 },
    ]);
    const spec = readyCurveSpec(curve);
    expect(values(spec)).toEqual(readyCurveRows(curve));
    expect(() => compile(spec)).not.toThrow();
  });

  it('renders without warnings, both runs in the legend', async () => {
    const { svg, warnings } = await renderSvg(readyCurveSpec(curve));
    expect(warnings).toEqual([]);
    expect(svg).toContain('baseline');
    expect(svg).toContain('candidate');
  });
});

describe('p50/p95 bars', () => {
  const trends = [
    trend('launch.ready', [3000, 4000], [14_000, 15_500]),
    trend('ws.connect', [20, 30], [21, 30]),
  ];

  it('binds baseline and candidate per metric and statistic; only judged regressions are marked', () => {
    const rows = percentileBarRows(trends);
    expect(rows).toHaveLength(8);
    expect(rows.slice(0, 4)).toEqual([
      {
        metric: 'launch.ready',
        stat: 'p50',
        run: 'baseline',
        seconds: 3,
        label: formatMs(3000),
        regression: false,
      },
      {
        metric: 'launch.ready',
        stat: 'p50',
        run: 'candidate',
        seconds: 14,
        label: `${formatMs(14_000)} ▲ regression`,
        regression: true,
      },
      {
        metric: 'launch.ready',
        stat: 'p95',
        run: 'baseline',
        seconds: 4,
        label: formatMs(4000),
        regression: false,
      },
      {
        metric: 'launch.ready',
        stat: 'p95',
        run: 'candidate',
        seconds: 15.5,
        label: `${formatMs(15_500)} ▲ regression`,
        regression: true,
      },
    ]);
    expect(rows.filter((r) => r.metric === 'ws.connect').every((r) => !r.regression)).toBe(true);
  });

  it('the spec binds those rows and keeps the metrics in comparison order', () => {
    const spec = percentileBarsSpec(trends);
    expect(values(spec)).toEqual(percentileBarRows(trends));
    expect(JSON.stringify(spec)).toContain('"sort":["launch.ready","ws.connect"]');
    expect(() => compile(spec)).not.toThrow();
  });

  it('renders without warnings; the regression is written out, not only coloured', async () => {
    const { svg, warnings } = await renderSvg(percentileBarsSpec(trends));
    expect(warnings).toEqual([]);
    expect(svg).toContain(`${formatMs(14_000)} ▲ regression`);
    expect(svg).toContain('ws.connect');
  });
});
