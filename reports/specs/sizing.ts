/**
 * Capacity plan charts: the candidates' cost against their simulated p95 time to ready (the
 * frontier: no candidate off it is both cheaper and faster than one on it), and the node count over
 * time of the chosen plan.
 *
 * analysis/ has no plan type yet, so `PlanInput` is the minimal local input these charts need; the
 * recommender's output maps onto it (SimResult.timeline gives `nodes`, GroupUsage.su sums to `su`).
 */
import type { TopLevelSpec } from 'vega-lite';
import {
  CATEGORICAL,
  CHART_HEIGHT,
  CHART_WIDTH,
  PALETTE,
  round3,
  type TimeAxis,
  timeAxis,
  toAxis,
} from './theme.js';

export interface PlanCandidate {
  label: string;
  /** Jetstream2 service units the plan costs for the event. */
  su: number;
  /** Simulated p95 time to ready, ms. */
  p95ReadyMs: number;
}

export interface PlanInput {
  candidates: PlanCandidate[];
  /** Label of the chosen candidate. */
  chosen: string;
  /** Ready nodes per group over time for the chosen plan; t in ms since the event's start. */
  nodes: { t: number; group: string; nodes: number }[];
  /** The end of the simulated event (ms): each group's last count is held until then. */
  endMs?: number;
}

export interface FrontierPoint {
  label: string;
  su: number;
  p95s: number;
  frontier: boolean;
  chosen: boolean;
}

/**
 * Pareto frontier over (su, p95), both lower-is-better: sort by su, then p95; walking up in cost,
 * a candidate is on the frontier when its p95 is strictly below every cheaper (or equally cheap,
 * listed earlier) candidate's.
 */
export function frontier(plan: PlanInput): FrontierPoint[] {
  const sorted = [...plan.candidates].sort((a, b) => a.su - b.su || a.p95ReadyMs - b.p95ReadyMs);
  let best = Number.POSITIVE_INFINITY;
  return sorted.map((c) => {
    const on = c.p95ReadyMs < best;
    if (on) best = c.p95ReadyMs;
    return {
      label: c.label,
      su: c.su,
      p95s: round3(c.p95ReadyMs / 1000),
      frontier: on,
      chosen: c.label === plan.chosen,
    };
  });
}

export function planFrontierSpec(plan: PlanInput): TopLevelSpec {
  const points = frontier(plan);
  const x = { field: 'su', type: 'quantitative' as const, title: 'cost (SUs)', scale: { zero: false } };
  const y = { field: 'p95s', type: 'quantitative' as const, title: 'p95 time to ready (s)' };
  return {
    description:
      'Plan candidates: cost in SUs against p95 time to ready, with the frontier and the chosen plan',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: points },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 50, color: PALETTE.grey, opacity: 0.7 },
        encoding: { x, y },
      },
      {
        transform: [{ filter: 'datum.frontier' }],
        mark: {
          type: 'line',
          interpolate: 'step-after',
          color: PALETTE.blue,
          strokeWidth: 2,
          point: { filled: true, size: 60 },
        },
        encoding: { x, y },
      },
      {
        transform: [{ filter: 'datum.frontier && !datum.chosen' }],
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, color: PALETTE.grey },
        encoding: { x, y, text: { field: 'label', type: 'nominal' } },
      },
      {
        transform: [{ filter: 'datum.chosen' }],
        layer: [
          {
            mark: { type: 'point', shape: 'diamond', filled: true, size: 220, color: PALETTE.orange },
            encoding: { x, y },
          },
          {
            mark: { type: 'text', align: 'left', dx: 10, dy: -10, fontWeight: 'bold', color: PALETTE.black },
            encoding: { x, y, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
    ],
  };
}

/** The node timeline sorted by time, each group's last count held until `plan.endMs`. */
export function planNodes(plan: PlanInput): { rows: PlanInput['nodes']; groups: string[]; endMs: number } {
  const rows = [...plan.nodes].sort((a, b) => a.t - b.t);
  const groups = [...new Set(rows.map((n) => n.group))].sort();
  const endMs = Math.max(plan.endMs ?? 0, ...rows.map((n) => n.t));
  for (const group of groups) {
    const last = rows.filter((n) => n.group === group).at(-1);
    if (last !== undefined && last.t < endMs) rows.push({ ...last, t: endMs });
  }
  return { rows, groups, endMs };
}

export function planNodesSpec(plan: PlanInput): TopLevelSpec {
  const { rows, groups, endMs } = planNodes(plan);
  const axis: TimeAxis = timeAxis(endMs);
  return {
    description: `Nodes per group over time for the chosen plan (${plan.chosen})`,
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: rows.map((n) => ({ ...n, t: toAxis(n.t, axis) })) },
    mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
    encoding: {
      x: { field: 't', type: 'quantitative', title: axis.title },
      y: { field: 'nodes', type: 'quantitative', title: 'ready nodes', axis: { tickMinStep: 1 } },
      color: { field: 'group', type: 'nominal', title: null, scale: { domain: groups, range: CATEGORICAL } },
    },
  };
}
