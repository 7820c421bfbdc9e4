/**
 * `provision prescale` / `unscale` (provision/jetstream2/prescale.ts, prescale-run.ts): the steps for
 * the Pythia plan fixture, checked against Magnum's rules, and the run with injected dependencies
 * (no cluster, no openstack CLI, a fake clock).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseAt, provisionPrescale, provisionUnscale } from '../../cli/commands/prescale.js';
import { RehearseError } from '../../core/errors.js';
import { firstRefusal, type MagnumStep } from '../../provision/jetstream2/magnum-rules.js';
import {
  describePrescale,
  largePlaceholderRequests,
  type PrescaleAction,
  prescalePlan,
} from '../../provision/jetstream2/prescale.js';
import { type PrescaleDeps, runPrescale } from '../../provision/jetstream2/prescale-run.js';
import { FIXTURE_PLAN, fixturePlan } from '../fixtures/provision/helpers.js';

const magnumSteps = (actions: PrescaleAction[]): MagnumStep[] =>
  actions.flatMap((a) => (a.kind === 'magnum' ? [a.step] : []));

describe('prescale steps', () => {
  it('T-30m on the Pythia plan: 9 node-sized placeholders, resize then min, then wait for 9 nodes', () => {
    const p = prescalePlan({ plan: fixturePlan(), at: -1_800_000, cluster: 'c', namespace: 'binderhub' });
    expect(p.actions).toEqual([
      { kind: 'placeholders', namespace: 'binderhub', replicas: 9 },
      {
        kind: 'magnum',
        group: 'user-m3-large',
        step: { kind: 'resize', nodeCount: 9 },
        command: 'openstack coe cluster resize c --nodegroup user-m3-large 9',
      },
      {
        kind: 'magnum',
        group: 'user-m3-large',
        step: { kind: 'patch', minNodeCount: 9 },
        command: 'openstack coe nodegroup update c user-m3-large replace min_node_count=9',
      },
      { kind: 'wait-nodes', group: 'user-m3-large', ready: 9, timeoutMs: 1_200_000 },
    ]);
    // Every Magnum call valid from the plan's creation state, in this order.
    expect(
      firstRefusal(
        'user-m3-large',
        { nodeCount: 1, minNodeCount: 1, maxNodeCount: 11 },
        magnumSteps(p.actions),
      ),
    ).toBeUndefined();
    // perNode 7 × 8 GB guarantee, 7 × 0.05 CPU.
    expect(largePlaceholderRequests(fixturePlan())).toEqual({ memory: 56_000_000_000, cpu: 0.35 });
  });

  it('with Magnum already at 10 nodes, no resize: the min alone is valid', () => {
    const p = prescalePlan({
      plan: fixturePlan(),
      at: -1_800_000,
      cluster: 'c',
      namespace: 'binderhub',
      current: { nodeCount: 10, minNodeCount: 1, maxNodeCount: 11 },
    });
    expect(magnumSteps(p.actions)).toEqual([{ kind: 'patch', minNodeCount: 9 }]);
  });

  it('unscale: min back first, then no placeholders; no wait', () => {
    const p = prescalePlan({ plan: fixturePlan(), at: 'unscale', cluster: 'c', namespace: 'ns' });
    expect(p.actions.map((a) => a.kind)).toEqual(['magnum', 'placeholders']);
    expect(magnumSteps(p.actions)).toEqual([{ kind: 'patch', minNodeCount: 1 }]);
    expect(p.actions[1]).toEqual({ kind: 'placeholders', namespace: 'ns', replicas: 0 });
  });

  it('an unknown step names the ones the plan has', () => {
    expect(() => prescalePlan({ plan: fixturePlan(), at: -1_200_000, cluster: 'c', namespace: 'b' })).toThrow(
      /no pre-scale step at T-20m/,
    );
  });

  it('parses --at', () => {
    expect(parseAt('T-30m')).toBe(-1_800_000);
    expect(parseAt('T+1h8m42s')).toBe(4_122_000);
    expect(() => parseAt('-30m')).toThrow(/T-<duration>/);
  });
});

describe('provision prescale --dry-run', () => {
  async function cli(fn: typeof provisionPrescale, flags: Parameters<typeof provisionPrescale>[1]) {
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d) => {
      out += String(d);
    });
    const code = await fn({ stdout, stderr: new PassThrough(), env: {} }, flags);
    return { code, out };
  }

  it('prints the numbered steps and changes nothing', async () => {
    const { code, out } = await cli(provisionPrescale, { plan: FIXTURE_PLAN, at: 'T-30m', dryRun: true });
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^pre-scale at T-30m: user-m3-large/);
    expect(lines.slice(1, 5).map((l) => l.split(':')[0])).toEqual([
      '1. placeholders',
      '2. magnum',
      '3. magnum',
      '4. wait',
    ]);
    const p = prescalePlan({
      plan: fixturePlan(),
      at: -1_800_000,
      cluster: '<cluster>',
      namespace: 'binderhub',
    });
    expect(lines.slice(1, 5)).toEqual(describePrescale(p, largePlaceholderRequests(fixturePlan())));
  });

  it('unscale --dry-run', async () => {
    const { code, out } = await cli(provisionUnscale, {
      plan: FIXTURE_PLAN,
      dryRun: true,
      cluster: 'pythia',
    });
    expect(code).toBe(0);
    expect(out).toContain(
      '1. magnum: openstack coe nodegroup update pythia user-m3-large replace min_node_count=1',
    );
  });
});

describe('running the steps', () => {
  function fakeDeps(readyAt: (t: number) => number) {
    let t = 0;
    const calls: string[] = [];
    const deps: PrescaleDeps = {
      scalePlaceholders: async (ns, n) => {
        calls.push(`scale ${ns} ${n}`);
      },
      runOpenstack: async (args) => {
        calls.push(`openstack ${args.join(' ')}`);
      },
      groupStatus: async () => ({ ready: readyAt(t), pendingPlaceholders: readyAt(t) >= 9 ? 0 : 1 }),
      sleep: async (ms) => {
        t += ms;
      },
      now: () => t,
      log: () => undefined,
    };
    return { deps, calls, elapsed: () => t };
  }
  const plan = () =>
    prescalePlan({ plan: fixturePlan(), at: -1_800_000, cluster: 'c', namespace: 'binderhub' });

  it('runs the calls in order and waits until the nodes are there', async () => {
    const f = fakeDeps((t) => (t >= 600_000 ? 9 : 1));
    await runPrescale(plan(), f.deps);
    expect(f.calls).toEqual([
      'scale binderhub 9',
      'openstack coe cluster resize c --nodegroup user-m3-large 9',
      'openstack coe nodegroup update c user-m3-large replace min_node_count=9',
    ]);
    expect(f.elapsed()).toBe(600_000);
  });

  it('gives up at the deadline with a remedy', async () => {
    const f = fakeDeps(() => 4);
    const err = await runPrescale(plan(), f.deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RehearseError);
    expect((err as RehearseError).code).toBe('NODES_DID_NOT_ARRIVE');
    expect((err as RehearseError).hint).toContain('provision doctor');
    expect(f.elapsed()).toBe(1_200_000);
  });
});
