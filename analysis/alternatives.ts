/**
 * The plans an operator would pick without rehearse, simulated by the recommender's own search (so
 * from the same replications and seeds) and shown beside its choice, on the chosen plan's flavor
 * and max node count, with one sentence saying why the choice beat 2i2c's rule of thumb.
 */
import { duration } from './format.js';
import type { SloVerdict } from './slo.js';

export const ALTERNATIVES = ['rule of thumb', 'pre-scale to peak', 'autoscale only'] as const;
export type AlternativeName = (typeof ALTERNATIVES)[number];

export interface AlternativeShape {
  name: AlternativeName;
  /** How an operator sets it, in words. */
  rule: string;
  prescale: number;
  placeholders: number;
  daskPrescale: number;
}

/**
 * For a flavor holding k users per node, a peak of P users at once and 2i2c's reserve R
 * (search-space.ts placeholderReserve: arrival rate × node-ready time):
 *   rule of thumb       pre-scale 1,         placeholders R
 *   pre-scale to peak   pre-scale ⌈P / k⌉,   placeholders 0
 *   autoscale only      pre-scale 1,         placeholders 0
 * "No pre-scale" is the group's floor of one node (the Magnum CAPI minimum). With dask-gateway the
 * dask group follows: the fewest of `daskPrescale` (the grid's values) without a pre-scale, the
 * most for the peak; 0 (no dask group) when the grid has none.
 */
export function alternativeShapes(
  perNode: number,
  peak: number,
  reserve: number,
  daskPrescale: readonly number[],
): AlternativeShape[] {
  const fewest = daskPrescale.length > 0 ? Math.min(...daskPrescale) : 0;
  const most = daskPrescale.length > 0 ? Math.max(...daskPrescale) : 0;
  const nodes = Math.max(1, Math.ceil(peak / perNode));
  return [
    {
      name: 'rule of thumb',
      rule: `placeholders = reserve (arrival rate × node-ready time) = ${reserve}, no pre-scale`,
      prescale: 1,
      placeholders: reserve,
      daskPrescale: fewest,
    },
    {
      name: 'pre-scale to peak',
      rule: `${nodes} nodes pre-scaled (⌈${peak} users at peak / ${perNode} per node⌉), no placeholders`,
      prescale: nodes,
      placeholders: 0,
      daskPrescale: most,
    },
    {
      name: 'autoscale only',
      rule: 'no pre-scale, no placeholders',
      prescale: 1,
      placeholders: 0,
      daskPrescale: fewest,
    },
  ];
}

/** What the comparison reads of a simulated candidate (recommend.ts Candidate). */
export interface Figures {
  prescale: number;
  max: number;
  placeholders: number;
  daskPrescale: number;
  p95: number;
  maxReady: number;
  peakNodes: number;
  eventSu: number;
  verdicts: readonly SloVerdict[];
  violations: readonly string[];
  feasible: boolean;
}

/** Same node-group settings (the flavor is the chosen one's by construction). */
export function sameSettings(a: Figures, b: Figures): boolean {
  return (
    a.prescale === b.prescale &&
    a.max === b.max &&
    a.placeholders === b.placeholders &&
    a.daskPrescale === b.daskPrescale
  );
}

/** A predicted SLO value: a rate in %, a count as is, a latency as a duration. */
export function predictedText(v: SloVerdict): string {
  if (v.actual === null) return 'not modelled by the simulator';
  if (v.slo.agg === 'count') return String(v.actual);
  return v.slo.metric.endsWith('failed') ? `${(v.actual * 100).toFixed(1)}%` : duration(v.actual);
}

/**
 * What a candidate misses, with the predicted value: every failed SLO as "expr (predicted v)",
 * then the constraints that are not SLOs (failed launches, memory headroom) as the search words them.
 */
export function misses(c: Pick<Figures, 'verdicts' | 'violations'>): string[] {
  const failed = c.verdicts.filter((v) => !v.pass);
  const exprs = new Set(failed.map((v) => v.slo.expr));
  return [
    ...failed.map((v) => `${v.slo.expr} (predicted ${predictedText(v)})`),
    ...c.violations.filter((v) => !exprs.has(v)),
  ];
}

const su = (n: number) => Math.round(n).toLocaleString('en-US');
const waits = (c: Figures) => `p95 ${duration(c.p95)}, max ${duration(c.maxReady)}`;

/**
 * One sentence: why the chosen plan won over the rule of thumb, from the figures. The search's
 * order decides (recommend.ts `better`: SU rounded, then peak nodes, max, placeholders, pre-scale),
 * so the sentence names the first of those that differs.
 */
export function versusRuleOfThumb(chosen: Figures, rule: Figures, reserve: number): string {
  const what = `the rule of thumb (${reserve} placeholders, no pre-scale)`;
  if (sameSettings(chosen, rule))
    return `The chosen plan is ${what}: nothing simulated meets the SLOs for fewer SU.`;
  const [c, r] = [Math.round(chosen.eventSu), Math.round(rule.eventSu)];
  if (!rule.feasible) {
    const diff = c === r ? 'the same SU' : c < r ? `${su(r - c)} SU less` : `${su(c - r)} SU more`;
    return (
      `${what[0]?.toUpperCase()}${what.slice(1)} misses ${misses(rule).join('; ')} for ${su(r)} SU per event; ` +
      `the chosen plan meets them all (${waits(chosen)}) for ${su(c)} SU, ${diff}.`
    );
  }
  const both = `Both meet the SLOs (chosen ${waits(chosen)}; rule of thumb ${waits(rule)})`;
  if (c < r) {
    const pct = Math.round(((r - c) / r) * 100);
    return `${both}; the chosen plan costs ${su(c)} SU per event, ${su(r - c)} fewer (${pct}%) than the rule of thumb's ${su(r)}.`;
  }
  if (c > r) return `${both}; the rule of thumb costs ${su(r)} SU per event, the chosen plan ${su(c)}.`;
  const tie: [string, number, number][] = [
    ['nodes at peak', chosen.peakNodes, rule.peakNodes],
    ['max nodes', chosen.max, rule.max],
    ['placeholders', chosen.placeholders, rule.placeholders],
    ['pre-scaled nodes', chosen.prescale, rule.prescale],
    ['pre-scaled dask nodes', chosen.daskPrescale, rule.daskPrescale],
  ];
  const first = tie.find(([, a, b]) => a !== b);
  return first
    ? `${both} for ${su(c)} SU per event; at equal cost the chosen plan needs fewer ${first[0]} (${first[1]} against ${first[2]}).`
    : `${both} for ${su(c)} SU per event.`;
}
