/**
 * Magnum's node-group rules (provision/jetstream2/magnum-rules.ts) against Magnum's own answers
 * (fixtures/provision/magnum-nodegroup-answers.json, from openstack/magnum's source), and the
 * pre-apply check of a saved plan (magnum-plan-checks.ts) on a `terraform show -json` of a 1-node
 * Pythia cluster planned to the pre-scaled minimum (fixtures/provision/show-prescale.json).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { magnumWouldRefuse } from '../../provision/jetstream2/drive.js';
import { magnumRefusals, type ResourceChange } from '../../provision/jetstream2/magnum-plan-checks.js';
import {
  type Counts,
  firstRefusal,
  type MagnumStep,
  magnumRefuses,
  providerSteps,
  stepCommand,
  validOrder,
} from '../../provision/jetstream2/magnum-rules.js';
import { summarizePlan } from '../../provision/jetstream2/terraform-plan.js';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/provision/${name}`, import.meta.url)), 'utf8');

interface Case {
  what: string;
  group: string;
  state: Counts;
  request: { method: 'PATCH' | 'POST'; body: unknown };
  status: number;
  body: { errors: { status: number; detail: string }[] } | null | { uuid: string };
}

/** The step a recorded request makes. */
function stepOf(c: Case): MagnumStep {
  if (c.request.method === 'POST')
    return { kind: 'resize', nodeCount: (c.request.body as { node_count: number }).node_count };
  const ops = c.request.body as { path: string; value: number }[];
  const step: MagnumStep = { kind: 'patch' };
  for (const op of ops) {
    if (op.path === '/min_node_count') step.minNodeCount = op.value;
    if (op.path === '/max_node_count') step.maxNodeCount = op.value;
  }
  return step;
}

describe("Magnum's node-group answers", () => {
  const cases = (JSON.parse(fixture('magnum-nodegroup-answers.json')) as { cases: Case[] }).cases;
  for (const c of cases) {
    it(c.what, () => {
      const refusal = magnumRefuses(c.group, c.state, stepOf(c));
      if (c.status === 202) {
        expect(refusal).toBeUndefined();
        return;
      }
      const err = (c.body as { errors: { status: number; detail: string }[] }).errors[0];
      expect(refusal).toMatchObject({ status: c.status, detail: err?.detail });
    });
  }
});

describe('ordering node-group updates', () => {
  const g = 'user-m3-large';
  it("the provider's sequence is one PATCH of the changed bounds, then the resize", () => {
    expect(
      providerSteps(
        { nodeCount: 1, minNodeCount: 1, maxNodeCount: 11 },
        { nodeCount: 9, minNodeCount: 9, maxNodeCount: 11 },
      ),
    ).toEqual([
      { kind: 'patch', minNodeCount: 9 },
      { kind: 'resize', nodeCount: 9 },
    ]);
  });

  it('raising min with a resize: the provider order fails at its first call, resize-then-PATCH works', () => {
    const before = { nodeCount: 1, minNodeCount: 1, maxNodeCount: 11 };
    const after = { nodeCount: 9, minNodeCount: 9, maxNodeCount: 11 };
    expect(firstRefusal(g, before, providerSteps(before, after))).toMatchObject({
      index: 0,
      refusal: { status: 409 },
    });
    expect(validOrder(g, before, after)).toEqual([
      { kind: 'resize', nodeCount: 9 },
      { kind: 'patch', minNodeCount: 9 },
    ]);
  });

  it('raising max beyond the node count and min with it: max first, then resize, then min', () => {
    const before = { nodeCount: 5, minNodeCount: 1, maxNodeCount: 5 };
    const after = { nodeCount: 12, minNodeCount: 12, maxNodeCount: 20 };
    expect(validOrder(g, before, after)).toEqual([
      { kind: 'patch', maxNodeCount: 20 },
      { kind: 'resize', nodeCount: 12 },
      { kind: 'patch', minNodeCount: 12 },
    ]);
  });

  it('a target that breaks min <= node_count <= max has no valid order', () => {
    expect(
      validOrder(
        g,
        { nodeCount: 1, minNodeCount: 1, maxNodeCount: 5 },
        { nodeCount: 1, minNodeCount: 6, maxNodeCount: 5 },
      ),
    ).toBeUndefined();
  });

  it('prints each step as the openstack command that makes it', () => {
    expect(stepCommand('c', g, { kind: 'resize', nodeCount: 9 })).toBe(
      'openstack coe cluster resize c --nodegroup user-m3-large 9',
    );
    expect(stepCommand('c', g, { kind: 'patch', minNodeCount: 9, maxNodeCount: 11 })).toBe(
      'openstack coe nodegroup update c user-m3-large replace min_node_count=9 max_node_count=11',
    );
  });
});

const CLUSTER_ID = '5d3c2b1a-0f9e-4d8c-b7a6-95847362514f';

describe('a saved plan checked against the state it was planned from', () => {
  it('a 1-node group planned to min 9 is refused, with the resize to run first', () => {
    const s = summarizePlan(fixture('show-prescale.json'));
    expect(s.refused).toEqual([
      {
        address: 'openstack_containerinfra_nodegroup_v1.nodegroup-user-m3-large',
        reason:
          '409 NodeGroupInvalidInput: min_node_count for user-m3-large is invalid (min_node_count (9) ' +
          'should be less or equal to node_count (1)).',
        first: [`openstack coe cluster resize ${CLUSTER_ID} --nodegroup user-m3-large 9`],
      },
    ]);
    const err = magnumWouldRefuse('cluster', s.refused);
    expect(err.code).toBe('MAGNUM_WOULD_REFUSE');
    expect(err.exitCode).toBe(2);
    expect(err.hint).toContain(`run these first, in this order`);
  });

  function variant(edit: (before: Record<string, unknown>, after: Record<string, unknown>) => void) {
    const show = JSON.parse(fixture('show-prescale.json')) as { resource_changes: ResourceChange[] };
    const user = show.resource_changes.find((r) => r.address.endsWith('nodegroup-user-m3-large'));
    const before = { ...(user?.change.before as object) } as Record<string, unknown>;
    const after = { ...(user?.change.after as object) } as Record<string, unknown>;
    edit(before, after);
    if (user) user.change = { ...user.change, before, after };
    return show.resource_changes;
  }

  it('lowering max below the recorded node count: resize down into the new bounds first', () => {
    const changes = variant((b, a) => {
      b.node_count = 11;
      a.node_count = 11;
      a.min_node_count = 1;
      a.max_node_count = 8;
    });
    expect(magnumRefusals(changes)).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining('node_count (11) should be less or equal to max_node_count (8)'),
        first: [`openstack coe cluster resize ${CLUSTER_ID} --nodegroup user-m3-large 8`],
      }),
    ]);
  });

  it('a valid update (min back to 1 after the event) passes', () => {
    const changes = variant((b, a) => {
      b.node_count = 9;
      b.min_node_count = 9;
      a.node_count = 9;
      a.min_node_count = 1;
    });
    expect(magnumRefusals(changes)).toEqual([]);
  });
});

describe('cluster templates in use', () => {
  const T = '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
  const show = JSON.parse(fixture('show-prescale.json')) as { resource_changes: ResourceChange[] };
  const cluster = show.resource_changes.find((r) => r.type === 'openstack_containerinfra_cluster_v1');
  const template = (actions: string[], before: object, after: object | null): ResourceChange => ({
    address: 'openstack_containerinfra_clustertemplate_v1.template',
    type: 'openstack_containerinfra_clustertemplate_v1',
    change: { actions, before: { id: T, ...before }, after },
  });
  const labels = (v: string) => ({ capi_helm_chart_version: v, auto_scaling_enabled: 'true' });

  it('an in-place change of labels or image is ClusterTemplateReferenced', () => {
    const t = template(
      ['update'],
      { name: 'a-capi-0.16.0', labels: labels('0.16.0') },
      { id: T, name: 'a-capi-0.17.0', labels: labels('0.17.0') },
    );
    expect(magnumRefusals([t, ...(cluster ? [cluster] : [])])).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^400 ClusterTemplateReferenced: .*changes labels\)$/),
      }),
    ]);
  });

  it('a rename alone is what Magnum allows; an unused template may change', () => {
    const rename = template(['update'], { name: 'a' }, { id: T, name: 'b' });
    expect(magnumRefusals([rename, ...(cluster ? [cluster] : [])])).toEqual([]);
    const unused = template(['update'], { labels: labels('0.16.0') }, { id: T, labels: labels('0.17.0') });
    expect(magnumRefusals([unused])).toEqual([]);
  });

  it('deleting the template the cluster keeps is refused; deleting the one it leaves is not', () => {
    const gone = template(['delete'], { name: 'a' }, null);
    expect(magnumRefusals([gone, ...(cluster ? [cluster] : [])])).toHaveLength(1);
    const moved = cluster && {
      ...cluster,
      change: {
        ...cluster.change,
        actions: ['update'],
        after: { ...(cluster.change.after as object), cluster_template_id: 'new' },
      },
    };
    expect(magnumRefusals([gone, ...(moved ? [moved] : [])])).toEqual([]);
  });
});

describe('a new template version', () => {
  it('create the new template, upgrade the cluster to it, delete the old one: not destructive, not refused', () => {
    const show = JSON.parse(fixture('show-prescale.json')) as { resource_changes: ResourceChange[] };
    const cluster = show.resource_changes.find((r) => r.type === 'openstack_containerinfra_cluster_v1');
    if (!cluster) throw new Error('fixture has a cluster');
    const T = '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
    const changes = [
      {
        address: 'openstack_containerinfra_clustertemplate_v1.template-img-capi-0-17-0',
        type: 'openstack_containerinfra_clustertemplate_v1',
        change: { actions: ['create'], before: null, after: { name: 'img-capi-0.17.0' } },
      },
      {
        ...cluster,
        change: {
          ...cluster.change,
          actions: ['update'],
          after: { ...(cluster.change.after as object), cluster_template_id: null },
        },
      },
      {
        address: 'openstack_containerinfra_clustertemplate_v1.template-img-capi-0-16-0',
        type: 'openstack_containerinfra_clustertemplate_v1',
        change: { actions: ['delete'], before: { id: T, name: 'img-capi-0.16.0' }, after: null },
      },
    ];
    const s = summarizePlan(JSON.stringify({ resource_changes: changes }));
    expect(s).toEqual({ changes: true, destructive: [], refused: [] });
    // Without a new template, deleting the one the cluster keeps is refused.
    const alone = summarizePlan(JSON.stringify({ resource_changes: [changes[2], cluster] }));
    expect(alone.refused).toHaveLength(1);
  });
});
