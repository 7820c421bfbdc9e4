/**
 * Cluster timeline: ready nodes per node group and pending user pods over time, from the cluster
 * observer (a run with --kubeconfig). The run record has no observer data yet; `ClusterTimeline`
 * is the minimal input this chart needs, for the observer to fill in.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CATEGORICAL, CHART_HEIGHT, CHART_WIDTH, PALETTE, type TimeAxis, timeAxis, toAxis } from './theme.js';

/** What the cluster observer samples, at its own pace. `t` in ms since the run's start. */
export interface ClusterTimeline {
  samples: {
    t: number;
    /** Ready nodes by node group (e.g. { "user-m3.medium": 3 }). */
    nodes: Record<string, number>;
    /** User pods waiting for a node (Pending). */
    pendingPods: number;
  }[];
}

export const PENDING = 'pending pods';

export interface ClusterRows {
  groups: string[];
  rows: { t: number; series: string; count: number }[];
  endMs: number;
}

/**
 * One row per sample and series; a group missing from a sample counts as 0 nodes then. With
 * `endMs` after the last sample, the last sample is held until then (the chart is a step chart).
 */
export function clusterRows(timeline: ClusterTimeline, endMs?: number): ClusterRows {
  const samples = [...timeline.samples].sort((a, b) => a.t - b.t);
  const last = samples[samples.length - 1];
  if (last !== undefined && endMs !== undefined && endMs > last.t) samples.push({ ...last, t: endMs });
  const groups = [...new Set(samples.flatMap((s) => Object.keys(s.nodes)))].sort();
  const rows: ClusterRows['rows'] = [];
  for (const s of samples) {
    for (const g of groups) rows.push({ t: s.t, series: g, count: s.nodes[g] ?? 0 });
    rows.push({ t: s.t, series: PENDING, count: s.pendingPods });
  }
  return { groups, rows, endMs: samples[samples.length - 1]?.t ?? 0 };
}

export function clusterTimelineSpec(timeline: ClusterTimeline, durationMs?: number): TopLevelSpec {
  const d = clusterRows(timeline, durationMs);
  const axis: TimeAxis = timeAxis(d.endMs);
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: axis.title,
    scale: { domain: [0, toAxis(d.endMs, axis)], nice: false },
  };
  const y = {
    field: 'count',
    type: 'quantitative' as const,
    title: 'nodes / pods',
    axis: { tickMinStep: 1 },
  };
  const colour = {
    domain: [...d.groups, PENDING],
    range: [
      ...CATEGORICAL.filter((c) => c !== PALETTE.vermillion).slice(0, d.groups.length),
      PALETTE.vermillion,
    ],
  };
  const values = d.rows.map((r) => ({ ...r, t: toAxis(r.t, axis) }));
  return {
    description: 'Nodes per node group and pending pods over time',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      {
        transform: [{ filter: { field: 'series', equal: PENDING } }],
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.25, color: PALETTE.vermillion },
        encoding: { x, y },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: { field: 'series', type: 'nominal', title: null, scale: colour },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            title: null,
            scale: { domain: [...d.groups, PENDING], range: [...d.groups.map(() => [1, 0]), [4, 3]] },
          },
        },
      },
    ],
  };
}
