import type { TopLevelSpec } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import type { IntervalRecord, RunEvent } from '../../loadgen/record/types.js';
import { prefixSvgIds, renderSvg, svgToPng } from '../../reports/render.js';
import { cellLatencySpec } from '../../reports/specs/cell-latency.js';
import { clusterTimelineSpec } from '../../reports/specs/cluster-timeline.js';
import { cohortTimelineSpec } from '../../reports/specs/cohort-timeline.js';
import { failuresSpec } from '../../reports/specs/failures.js';
import { generatorHealthSpec } from '../../reports/specs/generator-health.js';
import { launchPhasesSpec } from '../../reports/specs/launch-phases.js';
import { readyCurveSpec } from '../../reports/specs/ready-curve.js';
import { planFrontierSpec, planNodesSpec } from '../../reports/specs/sizing.js';

// Every spec builder compiles (Vega-Lite → Vega) and renders headless to an SVG with data marks,
// without a single compiler or dataflow warning; PNGs come out of resvg.

const hist = (ms: number[]): string => {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return encode(h);
};

const intervals: IntervalRecord[] = [0, 10_000, 20_000].map((start, i) => ({
  start,
  end: start + 10_000,
  trends: {
    'launch.ready': hist([3000 + i * 1000, 9000, 12_000]),
    'launch.build': hist([1, 1, 8000]),
    'launch.queue': hist([200, 400, 900]),
    'launch.start': hist([1500, 2000, 2500]),
    'cell.exec{cell=0}': hist([800, 1200]),
    'cell.exec{cell=1}': hist([50, 90]),
    'generator.lag': hist(i === 2 ? [5, 40, 60] : [1, 2, 3]),
    'generator.loopDelay': hist([0.5, 1, 120]),
  },
  rates: {},
  failures: i === 1 ? { timeout: { first: 2, final: 1 }, 'spawn-limit-429': { first: 1, final: 0 } } : {},
}));

const events: RunEvent[] = [
  { type: 'arrival', t: 1000, user: 'u1', cohort: 'c', scheduled: 1000, lag: 0, late: false },
  { type: 'step', t: 9000, user: 'u1', step: 'launch', scheduled: 1000, duration: 8000, ok: true },
  { type: 'user-end', t: 25_000, user: 'u1', outcome: 'completed', firstAttempt: 'ok', cellsRun: 2 },
];

const alternative = {
  p50ReadyMs: 20_000,
  maxReadyMs: 200_000,
  feasible: true,
  misses: [],
  sameAsChosen: false,
};

const plan = {
  chosen: 'B',
  candidates: [
    { label: 'A', su: 100, p95ReadyMs: 300_000 },
    { label: 'B', su: 180, p95ReadyMs: 90_000 },
  ],
  nodes: [
    { t: 0, group: 'user', nodes: 1 },
    { t: 1_800_000, group: 'user', nodes: 4 },
  ],
};

const specs: Record<string, TopLevelSpec> = {
  cohort: cohortTimelineSpec(events, 30_000),
  ready: readyCurveSpec(intervals),
  phases: launchPhasesSpec(intervals),
  cells: cellLatencySpec(intervals),
  failures: failuresSpec(intervals),
  generator: generatorHealthSpec(intervals),
  cluster: clusterTimelineSpec({
    samples: [
      { t: 0, nodes: { user: 1 }, pendingPods: 3 },
      { t: 20_000, nodes: { user: 2 }, pendingPods: 0 },
    ],
  }),
  frontier: planFrontierSpec(plan),
  'frontier with alternatives': planFrontierSpec({
    ...plan,
    alternatives: [
      { ...alternative, name: 'rule of thumb', label: 'R', su: 200, p95ReadyMs: 80_000 },
      { ...alternative, name: 'autoscale only', label: 'S', su: 60, p95ReadyMs: 1_200_000, feasible: false },
    ],
  }),
  nodes: planNodesSpec(plan),
};

/** Data marks (not axes or legends): children of Vega's `role-mark` groups. */
function dataMarks(svg: string): number {
  let n = 0;
  for (const m of svg.matchAll(/<g class="mark-\w+ role-mark[^"]*"[^>]*>(.*?)<\/g>/gs)) {
    n += (m[1]?.match(/<(path|rect|line|text|circle)\b/g) ?? []).length;
  }
  return n;
}

describe('render: Vega-Lite → SVG in Node', () => {
  for (const [name, spec] of Object.entries(specs)) {
    it(`${name}: renders data marks without warnings`, async () => {
      const { svg, warnings } = await renderSvg(spec);
      expect(warnings).toEqual([]);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(dataMarks(svg)).toBeGreaterThan(0);
      expect(svg).not.toMatch(/(href|src)="https?:/);
    });
  }

  it('refuses to load data from a URL (charts are offline)', async () => {
    const { svg, warnings } = await renderSvg({
      data: { url: 'http://127.0.0.1:9/data.json' },
      mark: 'point',
      encoding: { x: { field: 'a', type: 'quantitative' } },
    });
    expect(dataMarks(svg)).toBe(0);
    expect(warnings.join('\n')).toContain('report charts are offline');
  });

  it('prefixes ids and their references so several SVGs can share a page', () => {
    const svg =
      '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
    expect(prefixSvgIds(svg, 'ready')).toBe(
      '<svg><clipPath id="ready-clip1"><rect/></clipPath><g clip-path="url(#ready-clip1)"><use href="#ready-clip1"/></g></svg>',
    );
  });

  it('renders a PNG at twice the SVG size', async () => {
    const { svg } = await renderSvg(specs.cells as TopLevelSpec);
    const png = svgToPng(svg);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const width = png.readUInt32BE(16);
    const svgWidth = Number(/width="(\d+)"/.exec(svg)?.[1]);
    expect(width).toBe(svgWidth * 2);
  });
});
