/**
 * Launch split into sub-phases (from BinderHub's progress messages), each read at p50, p90, p95 and
 * p99 of its own merged histogram, with the whole launch (launch.ready) on top for scale.
 *
 * Phases are drawn side by side, never stacked: the p95 of the phases does not add up to the p95
 * of the launch (the slowest builds and the slowest pulls are not the same launches), and a
 * stacked bar would say it does. Phases the target never reported (no pods on the local target, so no
 * scheduling, scale-up or pull) are listed as "not reported", not drawn as zero.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { formatMs } from '../format.js';
import { mergedHistogram, percentileMs } from './hist.js';
import { CHART_WIDTH, PALETTE, PERCENTILE_SHADES, round3 } from './theme.js';

/** Histogram key → label, top to bottom. */
export const LAUNCH_PHASES: readonly (readonly [key: string, label: string])[] = [
  ['launch.ready', 'whole launch'],
  ['launch.build', 'build'],
  ['launch.queue', 'queue'],
  ['launch.schedule', 'schedule'],
  ['launch.scaleup', 'scale-up'],
  ['launch.pull', 'image pull'],
  ['launch.start', 'start'],
];
export const PHASE_PERCENTILES: readonly number[] = [50, 90, 95, 99];

export interface LaunchPhases {
  bars: { phase: string; percentile: string; seconds: number; count: number }[];
  /** Phases with no samples at all. */
  missing: string[];
}

export function launchPhases(intervals: readonly IntervalRecord[]): LaunchPhases {
  const out: LaunchPhases = { bars: [], missing: [] };
  for (const [key, phase] of LAUNCH_PHASES) {
    const h = mergedHistogram(intervals, key);
    if (h.totalCount === 0) {
      out.missing.push(phase);
      continue;
    }
    for (const p of PHASE_PERCENTILES) {
      out.bars.push({
        phase,
        percentile: `p${p}`,
        seconds: round3(percentileMs(h, p) / 1000),
        count: h.totalCount,
      });
    }
  }
  return out;
}

/** Marker shapes per percentile, so the four differ by shape as well as by shade. */
const SHAPES = ['circle', 'square', 'triangle-up', 'diamond'];

/**
 * One row per phase: a bar from its p50 to its p99, a marker at each percentile, and the p95
 * value written after the bar.
 */
export function launchPhasesSpec(intervals: readonly IntervalRecord[]): TopLevelSpec {
  const d = launchPhases(intervals);
  const phases = LAUNCH_PHASES.map(([, label]) => label);
  const pct = PHASE_PERCENTILES.map((p) => `p${p}`);
  const y = {
    field: 'phase',
    type: 'nominal' as const,
    title: null,
    sort: phases,
    scale: { domain: phases },
  };
  const x = {
    field: 'seconds',
    type: 'quantitative' as const,
    title: 'seconds (each phase ranked on its own)',
  };
  const ranges = phases.flatMap((phase) => {
    const bars = d.bars.filter((b) => b.phase === phase);
    const lo = bars.find((b) => b.percentile === 'p50');
    const hi = bars.find((b) => b.percentile === 'p99');
    const p95 = bars.find((b) => b.percentile === 'p95');
    if (lo === undefined || hi === undefined || p95 === undefined) return [];
    return [{ phase, lo: lo.seconds, hi: hi.seconds, label: `p95 ${formatMs(p95.seconds * 1000)}` }];
  });
  return {
    description: 'Launch sub-phases at p50, p90, p95 and p99',
    width: CHART_WIDTH,
    height: phases.length * 34,
    layer: [
      {
        data: { values: ranges },
        layer: [
          {
            mark: { type: 'bar', height: 8, color: PALETTE.lightGrey, cornerRadius: 4 },
            encoding: { y, x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
          },
          {
            mark: { type: 'text', align: 'left', dx: 10, color: PALETTE.black },
            encoding: {
              y,
              x: { field: 'hi', type: 'quantitative' },
              text: { field: 'label', type: 'nominal' },
            },
          },
        ],
      },
      {
        data: { values: d.bars },
        mark: { type: 'point', filled: true, size: 80, opacity: 1 },
        encoding: {
          y,
          x,
          color: {
            field: 'percentile',
            type: 'ordinal',
            title: null,
            scale: { domain: pct, range: PERCENTILE_SHADES },
          },
          shape: { field: 'percentile', type: 'nominal', title: null, scale: { domain: pct, range: SHAPES } },
        },
      },
      {
        data: { values: d.missing.map((phase) => ({ phase, label: 'not reported by this target' })) },
        mark: { type: 'text', align: 'left', dx: 4, color: PALETTE.grey, fontStyle: 'italic' },
        encoding: { y, x: { datum: 0, type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}
