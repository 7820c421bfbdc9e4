import { describe, expect, it } from 'vitest';
import { planCluster } from '../../analysis/sizing.js';
import { nodeGroupPlanSchema, parsePlan, planToYaml } from '../../analysis/sizing-plan.js';
import { parseSlo, scenarioSlos } from '../../analysis/slo.js';
import { InputError } from '../../core/errors.js';
import { planArrivals } from '../../loadgen/arrivals.js';
import { parseScenario } from '../../scenarios/load.js';

function scenario(capacity: string, slo = '["launch.ready p(95) < 3m"]', users = 12) {
  return parseScenario(
    [
      'name: t',
      'target: { kind: binderhub, url: https://binder.example.org }',
      'repo: gh/a/b/main',
      `cohorts: [{ name: c, users: ${users}, arrival: { kind: burst, over: 1m } }]`,
      'session: { notebook: n.ipynb, thinkTime: { median: 30s, p95: 2m }, duration: 30m }',
      `slo: ${slo}`,
      `capacity: ${capacity}`,
    ].join('\n'),
    't.yaml',
  );
}

function failure(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

const plan = (s: ReturnType<typeof scenario>, extra: { eventHours?: number } = {}) =>
  planCluster({ scenario: s, arrivals: planArrivals(s).arrivals.map((a) => a.t), replications: 1, ...extra });

describe('rehearse plan: bad input exits 2 saying what to change', () => {
  it('an unknown flavor', () => {
    const e = failure(() =>
      plan(scenario('{ user: { memory: 8Gi, cpu: 1 }, flavors: [m3.huge], nodeReady: 5m }')),
    );
    expect(e.code).toBe('UNKNOWN_FLAVOR');
    expect(e.exitCode).toBe(2);
    expect(e.hint).toMatch(/did you mean/);
  });

  it('a flavor Magnum rejects', () => {
    const e = failure(() =>
      plan(scenario('{ user: { memory: 1Gi, cpu: 0.5 }, flavors: [m3.tiny], nodeReady: 5m }')),
    );
    expect(e.code).toBe('FLAVOR_UNSUPPORTED');
  });

  it('a user larger than any node: names the largest feasible request', () => {
    const e = failure(() =>
      plan(scenario('{ user: { memory: 100Gi, cpu: 1 }, flavors: [m3.large], nodeReady: 5m }')),
    );
    expect(e.code).toBe('USER_TOO_LARGE');
    expect(e.message).toMatch(/the largest request that fits one m3.large is 54\.2 GiB and 15\.59 CPU/);
    expect(e.hint).toMatch(/m3\.xl/);
  });

  it('an impossible SLO: the best p95 reachable and its cost', () => {
    const s = scenario(
      '{ user: { memory: 8Gi, cpu: 1 }, flavors: [m3.large], nodeReady: 5m }',
      '["launch.ready p(95) < 1s"]',
    );
    const e = failure(() => plan(s));
    expect(e.code).toBe('SLO_UNREACHABLE');
    expect(e.message).toMatch(/the best p95 reachable is \d+s .* for \d+ SU per event/);
    expect(e.hint).toMatch(/relax to "launch.ready p\(95\) < \d+s"/);
  });

  it('a scenario without capacity, and bad flags', () => {
    const bare = parseScenario(
      [
        'name: t',
        'target: { kind: local }',
        'repo: gh/a/b/main',
        'cohorts: [{ name: c, users: 2, arrival: { kind: burst, over: 0s } }]',
        'session: { notebook: n.ipynb, thinkTime: { median: 1s, p95: 2s }, duration: 1m }',
      ].join('\n'),
      'b.yaml',
    );
    expect(failure(() => plan(bare)).code).toBe('CAPACITY_MISSING');
    const s = scenario('{ user: { memory: 8Gi, cpu: 1 }, flavors: [m3.large], nodeReady: 5m }');
    expect(failure(() => plan(s, { eventHours: 0 })).code).toBe('FLAG_INVALID');
  });
});

describe('NodeGroupPlan', () => {
  const s = scenario('{ user: { memory: 8Gi, cpu: 1 }, flavors: [m3.large], nodeReady: 5m }');
  const good = plan(s, { eventHours: 3 }).plan;

  it('validates what it reads back: min >= 1, min <= nodeCount <= max', () => {
    expect(nodeGroupPlanSchema.safeParse(good).success).toBe(true);
    const broken = structuredClone(good);
    const user = broken.groups.find((g) => g.role === 'user');
    if (!user) throw new Error('no user group');
    user.minNodeCount = 0;
    const e = failure(() =>
      parsePlan(planToYaml(good).replace(/minNodeCount: 1\n/, 'minNodeCount: 0\n'), 'p.yaml'),
    );
    expect(e.code).toBe('PLAN_INVALID');
    expect(e.message).toMatch(/^p\.yaml:\d+:\d+ groups\[0\]\.minNodeCount: /);
    expect(nodeGroupPlanSchema.safeParse(broken).success).toBe(false);
  });

  it('holds the event for --event-hours: the after-event step is at 3 h', () => {
    const after = good.preScale.steps.at(-1);
    expect(after?.at).toBe(3 * 3_600_000);
    expect(good.preScale.steps[0]?.at).toBe(-good.preScale.leadMs);
  });
});

describe('SLOs', () => {
  it('parses limits to ms and ratios, and adds the default launch.ready SLO when none is given', () => {
    expect(parseSlo('launch.ready p(95) < 2m', 'scenario')).toMatchObject({
      agg: 'p',
      percentile: 95,
      limit: 120_000,
    });
    expect(parseSlo('launch.failed rate < 1%', 'scenario')).toMatchObject({ agg: 'rate', limit: 0.01 });
    expect(parseSlo('ws.connect p(95) < 2s', 'scenario')?.predicted).toBe(false);
    expect(scenarioSlos({ slo: ['cell.exec p(95) < 30s'] }).map((x) => [x.expr, x.origin])).toEqual([
      ['cell.exec p(95) < 30s', 'scenario'],
      ['launch.ready p(95) < 2m', 'default'],
    ]);
  });
});
