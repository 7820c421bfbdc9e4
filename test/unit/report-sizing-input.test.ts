import { describe, expect, it } from 'vitest';
import { candidateLabel, planInputFromRecommendation } from '../../reports/sizing-input.js';
import { frontier } from '../../reports/specs/sizing.js';

const cand = (
  flavor: string,
  prescale: number,
  max: number,
  placeholders: number,
  eventSu: number,
  p95: number,
) => ({
  flavor,
  prescale,
  max,
  placeholders,
  eventSu,
  p95,
});

describe('plan charts from a recommendation', () => {
  const chosen = cand('m3.medium', 2, 6, 4, 120, 45_000);
  const rec = {
    chosen,
    top: [chosen, cand('m3.large', 1, 3, 0, 150, 40_000), cand('m3.medium', 6, 6, 0, 200, 30_000)],
    sim: {
      end: 7_200_000,
      groups: [{ name: 'core' }, { name: 'user-m3-medium' }],
      timeline: [
        { t: 0, nodes: [1, 2] },
        { t: 1000, nodes: [1, 2] }, // something else changed: not a new point
        { t: 600_000, nodes: [1, 6] },
      ],
    },
  };

  it('labels candidates by what distinguishes them', () => {
    expect(rec.top.map(candidateLabel)).toEqual([
      'm3.medium, 2–6 nodes, 4 placeholders',
      'm3.large, 1–3 nodes',
      'm3.medium, 6 nodes',
    ]);
  });

  it('binds SUs and p95 per candidate, the chosen one, and node counts where they changed', () => {
    const p = planInputFromRecommendation(rec);
    expect(p.chosen).toBe('m3.medium, 2–6 nodes, 4 placeholders');
    expect(p.candidates.map((c) => [c.su, c.p95ReadyMs])).toEqual([
      [120, 45_000],
      [150, 40_000],
      [200, 30_000],
    ]);
    expect(p.nodes).toEqual([
      { t: 0, group: 'core', nodes: 1 },
      { t: 0, group: 'user-m3-medium', nodes: 2 },
      { t: 600_000, group: 'core', nodes: 1 },
      { t: 600_000, group: 'user-m3-medium', nodes: 6 },
    ]);
    expect(p.endMs).toBe(7_200_000);
    expect(frontier(p).filter((f) => f.frontier)).toHaveLength(3);
  });

  it('adds the chosen candidate when it is not among the top ones', () => {
    const p = planInputFromRecommendation({ ...rec, top: rec.top.slice(1) });
    expect(p.candidates).toHaveLength(3);
    expect(p.candidates[0]?.label).toBe(p.chosen);
  });
});
