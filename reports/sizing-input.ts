/**
 * The capacity plan charts' input from analysis/'s recommender: the best feasible candidates by
 * event SUs and simulated p95 time to ready, the named alternatives beside the chosen plan, and the
 * chosen candidate's simulated node timeline.
 * Only the fields the charts read are required, so a stored or partial recommendation works too.
 */
import { misses } from '../analysis/alternatives.js';
import type { Alternative, Candidate, Recommendation } from '../analysis/recommend.js';
import type { SimResult } from '../analysis/sim/types.js';
import type { PlanAlternative, PlanInput } from './specs/sizing.js';

type CandidateFields = Pick<Candidate, 'flavor' | 'prescale' | 'max' | 'placeholders' | 'eventSu' | 'p95'> &
  Partial<Pick<Candidate, 'p50' | 'maxReady'>>;
type AlternativeFields = CandidateFields &
  Pick<Alternative, 'name' | 'sameAsChosen' | 'p50' | 'maxReady' | 'feasible' | 'verdicts' | 'violations'>;

export interface RecommendationFields {
  chosen: CandidateFields;
  top: readonly CandidateFields[];
  /** Absent in the JSON of a version before the alternatives. */
  alternatives?: readonly AlternativeFields[];
  versusRuleOfThumb?: string;
  /** SimResult's fields the node chart reads (timeline nodes are in `groups` order). */
  sim: {
    end: SimResult['end'];
    groups: readonly Pick<SimResult['groups'][number], 'name'>[];
    timeline: readonly Pick<SimResult['timeline'][number], 't' | 'nodes'>[];
  };
}

/** "m3.medium, 2–6 nodes, 4 placeholders": what distinguishes one candidate from another. */
export function candidateLabel(c: CandidateFields): string {
  const nodes = c.prescale === c.max ? `${c.max} nodes` : `${c.prescale}–${c.max} nodes`;
  return `${c.flavor}, ${nodes}${c.placeholders > 0 ? `, ${c.placeholders} placeholders` : ''}`;
}

export function planInputFromRecommendation(rec: RecommendationFields | Recommendation): PlanInput {
  const chosen = candidateLabel(rec.chosen);
  const all = rec.top.some((c) => candidateLabel(c) === chosen) ? rec.top : [rec.chosen, ...rec.top];
  const alternatives = (rec.alternatives ?? []).map(
    (a): PlanAlternative => ({
      name: a.name,
      label: candidateLabel(a),
      su: a.eventSu,
      p50ReadyMs: a.p50,
      p95ReadyMs: a.p95,
      maxReadyMs: a.maxReady,
      feasible: a.feasible,
      misses: misses(a),
      sameAsChosen: a.sameAsChosen,
    }),
  );
  return {
    chosen,
    candidates: all.map((c) => ({
      label: candidateLabel(c),
      su: c.eventSu,
      p95ReadyMs: c.p95,
      ...(c.p50 !== undefined ? { p50ReadyMs: c.p50 } : {}),
      ...(c.maxReady !== undefined ? { maxReadyMs: c.maxReady } : {}),
    })),
    ...(alternatives.length > 0 ? { alternatives } : {}),
    ...(rec.versusRuleOfThumb ? { versusRuleOfThumb: rec.versusRuleOfThumb } : {}),
    // The simulator's timeline has a point per event; keep those where a node count changed.
    nodes: rec.sim.timeline
      .filter((p, i, all) => i === 0 || p.nodes.join() !== all[i - 1]?.nodes.join())
      .flatMap((p) => rec.sim.groups.map((g, i) => ({ t: p.t, group: g.name, nodes: p.nodes[i] ?? 0 }))),
    endMs: rec.sim.end,
  };
}
