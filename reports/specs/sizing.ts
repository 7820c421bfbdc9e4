/**
 * Capacity plan charts: the candidates' cost against their simulated p95 time to ready (the
 * frontier: no candidate off it is both cheaper and faster than one on it), with the named
 * alternatives (rule of thumb, pre-scale to peak, autoscale only) marked and labelled, and the node
 * count over time of the chosen plan.
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
  /** Simulated p50 and max time to ready, ms (for the alternatives' table). */
  p50ReadyMs?: number;
  maxReadyMs?: number;
}

/** A plan an operator would pick without rehearse, as simulated beside the chosen one. */
export interface PlanAlternative {
  /** 'rule of thumb', 'pre-scale to peak', 'autoscale only'. */
  name: string;
  /** Its settings, worded as a candidate's label. */
  label: string;
  su: number;
  p50ReadyMs: number;
  p95ReadyMs: number;
  maxReadyMs: number;
  /** Meets the SLOs and the search's other constraints. */
  feasible: boolean;
  /** What it misses, with predicted values (empty when feasible). */
  misses: string[];
  /** The same settings as the chosen plan. */
  sameAsChosen: boolean;
}

export interface PlanInput {
  candidates: PlanCandidate[];
  /** The named alternatives (plan --json of a version that simulates them). */
  alternatives?: PlanAlternative[];
  /** Why the chosen plan won over the rule of thumb. */
  versusRuleOfThumb?: string;
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
  /** The alternative's name ('rule of thumb', …), null for a searched candidate. */
  alternative: string | null;
  /** Meets the SLOs (every candidate does; an alternative may not). */
  feasible: boolean;
  /** An alternative's text on the chart: its name, "(misses an SLO)", "(= chosen)"; '' otherwise. */
  caption: string;
}

/**
 * Pareto frontier over (su, p95), both lower-is-better, among the plans that meet the SLOs
 * (the candidates and the feasible alternatives): sort by su, then p95, alternatives first;
 * walking up in cost, a plan is on the frontier when its p95 is strictly below every cheaper (or
 * equally cheap, listed earlier) plan's. Alternatives that miss an SLO are points, never on the frontier.
 */
export function frontier(plan: PlanInput): FrontierPoint[] {
  // A candidate that is also an alternative (same settings) is drawn once, named as the alternative;
  // the chosen candidate always stays (its diamond).
  const named = new Set((plan.alternatives ?? []).map((a) => a.label));
  const all = [
    ...plan.candidates
      .filter((c) => c.label === plan.chosen || !named.has(c.label))
      .map((c) => ({ ...c, alternative: null, feasible: true, caption: '' })),
    ...(plan.alternatives ?? []).map((a) => ({
      label: a.label,
      su: a.su,
      p95ReadyMs: a.p95ReadyMs,
      alternative: a.name,
      feasible: a.feasible,
      caption: `${a.name}${a.sameAsChosen ? ' (= chosen)' : ''}${a.feasible ? '' : ' (misses an SLO)'}`,
    })),
  ];
  // At the same point an alternative comes first: it is the one on the frontier, named.
  const sorted = all.sort(
    (a, b) =>
      a.su - b.su ||
      a.p95ReadyMs - b.p95ReadyMs ||
      Number(a.alternative === null) - Number(b.alternative === null),
  );
  let best = Number.POSITIVE_INFINITY;
  return sorted.map((c) => {
    const on = c.feasible && c.p95ReadyMs < best;
    if (on) best = c.p95ReadyMs;
    return {
      label: c.label,
      su: c.su,
      p95s: round3(c.p95ReadyMs / 1000),
      frontier: on,
      chosen: c.alternative === null && c.label === plan.chosen,
      alternative: c.alternative,
      feasible: c.feasible,
      caption: c.caption,
    };
  });
}

export function planFrontierSpec(plan: PlanInput): TopLevelSpec {
  const points = frontier(plan);
  const x = { field: 'su', type: 'quantitative' as const, title: 'cost (SUs)', scale: { zero: false } };
  // An alternative far slower than the rest (autoscaling alone) would flatten every other point: a
  // log scale once the slowest is 10 times the fastest.
  const p95s = points.map((p) => p.p95s).filter((v) => v > 0);
  const log = p95s.length > 0 && Math.max(...p95s) >= 10 * Math.min(...p95s);
  const y = {
    field: 'p95s',
    type: 'quantitative' as const,
    title: log ? 'p95 time to ready (s, log scale)' : 'p95 time to ready (s)',
    ...(log ? { scale: { type: 'log' as const } } : {}),
  };
  return {
    description:
      'Plan candidates: cost in SUs against p95 time to ready, with the frontier, the chosen plan and the named alternatives',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: points },
    layer: [
      {
        transform: [{ filter: 'datum.alternative === null' }],
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
        transform: [{ filter: 'datum.frontier && !datum.chosen && datum.alternative === null' }],
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, color: PALETTE.grey },
        encoding: { x, y, text: { field: 'label', type: 'nominal' } },
      },
      ...alternativeLayers(points, x, y),
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

/**
 * The named alternatives: a square when it meets the SLOs, a cross when it misses one, each named.
 * Only the layers that have points (an empty layer makes Vega warn of an infinite extent).
 */
function alternativeLayers<X, Y>(points: readonly FrontierPoint[], x: X, y: Y) {
  const alts = points.filter((p) => p.alternative !== null);
  const met = 'datum.alternative !== null && datum.feasible';
  const missed = 'datum.alternative !== null && !datum.feasible';
  return [
    ...(alts.some((p) => p.feasible)
      ? [
          {
            transform: [{ filter: met }],
            mark: { type: 'point' as const, shape: 'square', filled: true, size: 120, color: PALETTE.green },
            encoding: { x, y },
          },
        ]
      : []),
    ...(alts.some((p) => !p.feasible)
      ? [
          {
            transform: [{ filter: missed }],
            mark: {
              type: 'point' as const,
              shape: 'cross',
              filled: true,
              size: 140,
              color: PALETTE.vermillion,
            },
            encoding: { x, y },
          },
        ]
      : []),
    ...(alts.length > 0
      ? [
          {
            transform: [{ filter: 'datum.alternative !== null' }],
            mark: { type: 'text' as const, align: 'left' as const, dx: 10, dy: 12, color: PALETTE.black },
            encoding: { x, y, text: { field: 'caption', type: 'nominal' as const } },
          },
        ]
      : []),
  ];
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
