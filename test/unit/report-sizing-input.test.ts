import { describe, expect, it } from 'vitest';
import { parseSlo } from '../../analysis/slo.js';
import { renderMarkdown } from '../../reports/markdown.js';
import { renderHtmlPage } from '../../reports/page.js';
import { alternativesTable, planSections } from '../../reports/run-sections.js';
import { candidateLabel, planInputFromRecommendation } from '../../reports/sizing-input.js';
import { frontier, planFrontierSpec } from '../../reports/specs/sizing.js';

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

describe('plan charts: the named alternatives', () => {
  const slo = parseSlo('launch.ready p(95) < 2m', 'scenario');
  if (!slo) throw new Error('SLO did not parse');
  const alt = (
    name: 'rule of thumb' | 'pre-scale to peak' | 'autoscale only',
    c: ReturnType<typeof cand>,
    p95: number,
    sameAsChosen = false,
  ) => {
    const verdicts = [{ slo, actual: p95, pass: p95 < 120_000 }];
    const violations = verdicts.filter((v) => !v.pass).map((v) => v.slo.expr);
    return {
      ...c,
      p95,
      p50: p95 / 3,
      maxReady: p95 * 2,
      name,
      sameAsChosen,
      verdicts,
      violations,
      feasible: violations.length === 0,
    };
  };
  const chosen = { ...cand('m3.large', 9, 11, 2, 254, 53_000), p50: 16_000, maxReady: 286_000 };
  const rec = {
    chosen,
    top: [chosen, cand('m3.large', 10, 11, 0, 262, 47_000), cand('m3.large', 10, 11, 1, 262, 47_000)],
    alternatives: [
      alt('rule of thumb', cand('m3.large', 1, 11, 60, 284, 49_000), 49_000),
      alt('pre-scale to peak', cand('m3.large', 10, 11, 0, 262, 47_000), 47_000),
      alt('autoscale only', cand('m3.large', 1, 11, 0, 150, 810_000), 810_000),
    ],
    versusRuleOfThumb: 'Both meet the SLOs; the chosen plan costs 254 SU per event, 30 fewer (11%).',
    sim: { end: 7_200_000, groups: [{ name: 'user-m3-large' }], timeline: [{ t: 0, nodes: [9] }] },
  };
  const plan = planInputFromRecommendation(rec);

  it('carries each alternative with its waits, SUs and what it misses', () => {
    expect(plan.alternatives?.map((a) => [a.name, a.label, a.su, a.feasible, a.misses])).toEqual([
      ['rule of thumb', 'm3.large, 1–11 nodes, 60 placeholders', 284, true, []],
      ['pre-scale to peak', 'm3.large, 10–11 nodes', 262, true, []],
      ['autoscale only', 'm3.large, 1–11 nodes', 150, false, ['launch.ready p(95) < 2m (predicted 13m30s)']],
    ]);
    expect(plan.versusRuleOfThumb).toBe(rec.versusRuleOfThumb);
    // A plan --json of a version without alternatives gives none.
    expect(planInputFromRecommendation({ ...rec, alternatives: undefined }).alternatives).toBeUndefined();
  });

  it('marks them on the frontier: named, never on it when they miss an SLO, a candidate with the same settings drawn once', () => {
    const points = frontier(plan);
    expect(points.filter((p) => p.alternative !== null).map((p) => [p.caption, p.frontier])).toEqual([
      ['autoscale only (misses an SLO)', false],
      ['pre-scale to peak', true],
      ['rule of thumb', false],
    ]);
    // The top candidate "10–11 nodes" is the pre-scale to peak alternative: one point, named.
    expect(points.filter((p) => p.label === 'm3.large, 10–11 nodes')).toHaveLength(1);
    expect(points.find((p) => p.chosen)?.label).toBe('m3.large, 9–11 nodes, 2 placeholders');
    const spec = JSON.stringify(planFrontierSpec(plan));
    expect(spec).toContain('"filter":"datum.alternative !== null && datum.feasible"');
    expect(spec).toContain('"filter":"datum.alternative !== null && !datum.feasible"');
    expect(spec).toContain('"field":"caption"');
    // 810 s against 47 s: a log scale so that the plans meeting the SLOs stay apart.
    expect(spec).toContain('"type":"log"');
    const same = planInputFromRecommendation({
      ...rec,
      alternatives: [alt('rule of thumb', chosen, 53_000, true)],
    });
    expect(frontier(same).map((p) => [p.chosen, p.caption])).toContainEqual([
      false,
      'rule of thumb (= chosen)',
    ]);
    expect(frontier(same).filter((p) => p.chosen)).toHaveLength(1);
  });

  it('lists them in a table under the chart, the chosen plan first, in HTML and Markdown', () => {
    const t = alternativesTable(plan);
    expect(t.rows.map((r) => [r[0], r[5], r[6]])).toEqual([
      ['chosen', '254', 'all met'],
      ['rule of thumb', '284', 'all met'],
      ['pre-scale to peak', '262', 'all met'],
      ['autoscale only', '150', 'misses launch.ready p(95) < 2m (predicted 13m30s)'],
    ]);
    const [section] = planSections(plan);
    expect(section?.table).toEqual(t);
    expect(section?.note).toContain(rec.versusRuleOfThumb);
    const page = {
      title: 't',
      partial: false,
      verdict: { label: 'PASS' as const, rows: [] },
      sections: [{ id: 'plan-frontier', title: 'plan', ...(section?.table ? { table: section.table } : {}) }],
      footer: [],
    };
    const html = renderHtmlPage(page);
    expect(html).toContain('<table class="section-table">');
    expect(html).toContain('<tr class="em"><td>chosen</td>');
    expect(html).toContain('<td>misses launch.ready p(95) &lt; 2m (predicted 13m30s)</td>');
    const md = renderMarkdown(page);
    expect(md).toContain('| plan | settings | p50 wait | p95 wait | max wait | SUs per event | SLOs |');
    expect(md).toContain('| **chosen** | **m3.large, 9–11 nodes, 2 placeholders** |');
    expect(md).toContain('| autoscale only | m3.large, 1–11 nodes |');
    // Without alternatives (an older plan.json) the section has no table.
    expect(planSections({ ...plan, alternatives: [] })[0]?.table).toBeUndefined();
  });
});
