import { beforeAll, describe, expect, it } from 'vitest';
import { alternativeShapes, type Figures, misses, versusRuleOfThumb } from '../../analysis/alternatives.js';
import { formatPlan } from '../../analysis/format.js';
import { defaultParams, valuesOf } from '../../analysis/model.js';
import type { Recommendation } from '../../analysis/recommend.js';
import { gridFor, peakConcurrent } from '../../analysis/search-space.js';
import { type PlanReport, planCluster } from '../../analysis/sizing.js';
import { parseSlo, type SloVerdict } from '../../analysis/slo.js';
import { planArrivals } from '../../loadgen/arrivals.js';
import { loadScenario, parseScenario } from '../../scenarios/load.js';

const S = 1000;
const MIN = 60 * S;

const arrivalsOf = (s: Parameters<typeof planArrivals>[0]) => planArrivals(s).arrivals.map((a) => a.t);

describe('the named alternatives', () => {
  it('rule of thumb = the reserve as placeholders, pre-scale to peak = ⌈peak / per node⌉ nodes, autoscale only = neither', () => {
    expect(
      alternativeShapes(7, 69, 60, []).map((a) => [a.name, a.prescale, a.placeholders, a.daskPrescale]),
    ).toEqual([
      ['rule of thumb', 1, 60, 0],
      ['pre-scale to peak', 10, 0, 0],
      ['autoscale only', 1, 0, 0],
    ]);
    // 70 users at 7 per node: exactly 10 nodes, not 11; the dask group follows (fewest / most of the grid).
    expect(alternativeShapes(7, 70, 3, [1, 3, 5]).map((a) => [a.prescale, a.daskPrescale])).toEqual([
      [1, 1],
      [10, 5],
      [1, 1],
    ]);
  });
});

function check(rec: Recommendation, peak: number) {
  const c = rec.chosen;
  const by = Object.fromEntries(rec.alternatives.map((a) => [a.name, a]));
  expect(Object.keys(by)).toEqual(['rule of thumb', 'pre-scale to peak', 'autoscale only']);
  const rule = by['rule of thumb'];
  const prescaled = by['pre-scale to peak'];
  const auto = by['autoscale only'];
  expect([rule?.prescale, rule?.placeholders]).toEqual([1, rec.reserve]);
  expect(prescaled?.placeholders).toBe(0);
  expect((prescaled?.prescale ?? 0) * c.perNode).toBeGreaterThanOrEqual(peak);
  expect(((prescaled?.prescale ?? 0) - 1) * c.perNode).toBeLessThan(peak);
  expect([auto?.prescale, auto?.placeholders]).toEqual([1, 0]);
  for (const a of rec.alternatives) {
    // On the chosen flavor and max, from the same replications as every candidate.
    expect([a.flavor, a.max, a.launches]).toEqual([c.flavor, c.max, c.launches]);
    expect(a.sameAsChosen).toBe(
      a.prescale === c.prescale && a.placeholders === c.placeholders && a.daskPrescale === c.daskPrescale,
    );
    // The chosen plan is the cheapest feasible candidate of a search that includes the alternatives.
    if (a.feasible) expect(Math.round(c.eventSu)).toBeLessThanOrEqual(Math.round(a.eventSu));
    expect(a.feasible).toBe(a.violations.length === 0);
  }
}

describe('recommend: the alternatives on pythia-workshop.yaml', () => {
  let r: PlanReport;
  let peak: number;
  beforeAll(async () => {
    const { scenario: s } = await loadScenario('scenarios/pythia-workshop.yaml');
    const arrivals = arrivalsOf(s);
    r = planCluster({ scenario: s, arrivals });
    peak = peakConcurrent(arrivals, s.session.duration);
  }, 120_000);

  it('simulates the rule of thumb, pre-scale to peak and autoscale only beside the chosen plan', () => {
    check(r.recommendation, peak);
    expect(r.recommendation.replications).toBe(3);
    // Nodes Ready 5 min after the autoscaler asks: autoscaling alone keeps the first users waiting for one.
    const auto = r.recommendation.alternatives.find((a) => a.name === 'autoscale only');
    expect(auto?.feasible).toBe(false);
    expect(auto?.p95).toBeGreaterThan(5 * MIN);
  });

  it('prints them as a table beside the chosen plan, with why the chosen plan won', () => {
    const text = formatPlan(r);
    const rec = r.recommendation;
    expect(text).toContain(
      `each on m3.large with max ${rec.chosen.max} nodes, as the chosen plan; 3 replications`,
    );
    const row = (name: string) => text.split('\n').find((l) => l.trimStart().startsWith(name)) ?? '';
    for (const a of rec.alternatives) {
      const line = row(`${a.name}  `);
      expect(line).toContain(Math.round(a.eventSu).toLocaleString('en-US'));
      expect(line).toContain(a.feasible ? 'all met' : 'misses launch.ready');
    }
    expect(row('* chosen')).toContain('all met');
    expect(text).toContain(
      `rule of thumb: placeholders = reserve (arrival rate × node-ready time) = ${rec.reserve}`,
    );
    expect(text).toContain(`  ${rec.versusRuleOfThumb}\n`);
  });
});

describe('recommend: an alternative outside the search grid is simulated too', () => {
  // 2 users per m3.small, 100 users at once: pre-scale to peak is 50 nodes, but the grid thins
  // pre-scale counts to 1, 3, …, 51.
  const s = parseScenario(
    [
      'name: t',
      'seed: 5',
      'target: { kind: binderhub, url: https://binder.example.org }',
      'repo: gh/a/b/main',
      'session: { notebook: n.ipynb, thinkTime: { median: 30s, p95: 2m }, duration: 30m }',
      'cohorts: [{ name: c, users: 100, arrival: { kind: burst, over: 5m } }]',
      'slo: ["launch.ready p(95) < 3m"]',
      'capacity: { user: { memory: 2Gi, cpu: 0.2 }, flavors: [m3.small], nodeReady: 5m }',
    ].join('\n'),
    't.yaml',
  );
  const arrivals = arrivalsOf(s);

  it('adds pre-scale to peak to the search and returns it', () => {
    const r = planCluster({ scenario: s, arrivals, replications: 1 });
    const rec = r.recommendation;
    const m = valuesOf(defaultParams(s));
    const grid = gridFor(r.recommendation.option, rec.peakConcurrent, 0.1, rec.reserve, m);
    const peakNodes = Math.ceil(rec.peakConcurrent / rec.chosen.perNode);
    expect(grid.prescale).not.toContain(peakNodes);
    const size = grid.prescale.length * grid.max.length * grid.placeholders.length;
    // The other two are on the grid; pre-scale to peak joins it once per max node count.
    expect(rec.searched).toBe(size + grid.max.length);
    check(rec, rec.peakConcurrent);
    expect(rec.alternatives.find((a) => a.name === 'pre-scale to peak')?.prescale).toBe(peakNodes);
  }, 120_000);
});

describe('why the chosen plan won over the rule of thumb', () => {
  const slo = parseSlo('launch.ready p(95) < 2m', 'scenario');
  if (!slo) throw new Error('SLO did not parse');
  const verdict = (p95: number): SloVerdict => ({ slo, actual: p95, pass: p95 < 2 * MIN });
  const figures = (f: Partial<Figures> & { p95: number; eventSu: number }): Figures => {
    const verdicts = [verdict(f.p95)];
    const violations = verdicts.filter((v) => !v.pass).map((v) => v.slo.expr);
    return {
      prescale: 1,
      max: 11,
      placeholders: 0,
      daskPrescale: 0,
      maxReady: 3 * MIN,
      peakNodes: 11,
      verdicts,
      violations,
      feasible: violations.length === 0,
      ...f,
    };
  };
  const chosen = figures({ prescale: 9, placeholders: 2, p95: 53 * S, eventSu: 254 });

  it('names what the rule of thumb misses, with the predicted value and the SU difference', () => {
    const rule = figures({ placeholders: 60, p95: 250 * S, eventSu: 200.4 });
    expect(misses(rule)).toEqual(['launch.ready p(95) < 2m (predicted 4m10s)']);
    expect(versusRuleOfThumb(chosen, rule, 60)).toBe(
      'The rule of thumb (60 placeholders, no pre-scale) misses launch.ready p(95) < 2m (predicted 4m10s) for 200 SU ' +
        'per event; the chosen plan meets them all (p95 53s, max 3m00s) for 254 SU, 54 SU more.',
    );
  });

  it('when both meet the SLOs: the SU saved; at equal SU, the first tie-break that differs', () => {
    const rule = figures({ placeholders: 60, p95: 49 * S, eventSu: 284 });
    expect(versusRuleOfThumb(chosen, rule, 60)).toBe(
      'Both meet the SLOs (chosen p95 53s, max 3m00s; rule of thumb p95 49s, max 3m00s); the chosen plan costs ' +
        "254 SU per event, 30 fewer (11%) than the rule of thumb's 284.",
    );
    const tie = figures({ placeholders: 60, p95: 49 * S, eventSu: 254.3, peakNodes: 12 });
    expect(versusRuleOfThumb(chosen, tie, 60)).toContain(
      'the chosen plan needs fewer nodes at peak (11 against 12)',
    );
  });

  it('says so when the chosen plan is the rule of thumb', () => {
    const rule = figures({ placeholders: 60, p95: 49 * S, eventSu: 284 });
    expect(versusRuleOfThumb(rule, rule, 60)).toBe(
      'The chosen plan is the rule of thumb (60 placeholders, no pre-scale): nothing simulated meets the SLOs for fewer SU.',
    );
  });
});
