/**
 * What Magnum would refuse in a saved Terraform plan, found before apply (pure). `terraform show -json
 * <planfile>` carries each resource's `before` (the state just refreshed from Magnum by the provider's
 * Read: node_count, min/max_node_count as Magnum records them) and `after`, so the checks run against
 * the current state, not against what the plan file was written from.
 *
 * - Node groups: the provider's PATCH-then-resize sequence (magnum-rules.ts) checked call by call;
 *   when it would fail, the order that works, as commands to run before applying.
 * - Cluster templates: an in-place update of a template a cluster uses, other than a rename or
 *   publishing it, is ClusterTemplateReferenced (HTTP 400, magnum/db/sqlalchemy/api.py
 *   `_do_update_cluster_template`); so is deleting one a cluster still uses.
 */
import {
  applyStep,
  type Counts,
  firstRefusal,
  type MagnumStep,
  providerSteps,
  stepCommand,
  validOrder,
} from './magnum-rules.js';

export interface ResourceChange {
  address: string;
  type: string;
  change: { actions: string[]; before?: unknown; after?: unknown };
}

export interface Refusal {
  address: string;
  /** What Magnum answers to the provider's call, e.g. `409 NodeGroupInvalidInput: …`. */
  reason: string;
  /** Commands to run first, in order, after which the plan applies (empty: change the plan). */
  first: string[];
}

const NODEGROUP = 'openstack_containerinfra_nodegroup_v1';
const CLUSTER = 'openstack_containerinfra_cluster_v1';
const TEMPLATE = 'openstack_containerinfra_clustertemplate_v1';
/** What Magnum lets change on a template in use (`_is_publishing_cluster_template`, or name alone). */
const TEMPLATE_MUTABLE_IN_USE = new Set(['name', 'public', 'hidden']);
/** Attributes the provider computes; a difference there is not a change we send. */
const COMPUTED = new Set(['id', 'created_at', 'updated_at', 'project_id', 'user_id', 'region']);

type Attrs = Record<string, unknown>;
const attrs = (v: unknown): Attrs => (typeof v === 'object' && v !== null ? (v as Attrs) : {});
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function counts(a: Attrs): Counts | undefined {
  const nodeCount = num(a.node_count);
  const minNodeCount = num(a.min_node_count);
  if (nodeCount === undefined || minNodeCount === undefined) return undefined;
  const max = num(a.max_node_count);
  return { nodeCount, minNodeCount, ...(max !== undefined ? { maxNodeCount: max } : {}) };
}

/** Every update in the plan that Magnum would refuse. */
export function magnumRefusals(changes: ResourceChange[]): Refusal[] {
  const out: Refusal[] = [];
  for (const r of changes) {
    if (r.type === NODEGROUP && r.change.actions.includes('update')) {
      const refusal = nodeGroupRefusal(r);
      if (refusal) out.push(refusal);
    }
    if (r.type === TEMPLATE) out.push(...templateRefusals(r, changes));
  }
  return out;
}

function nodeGroupRefusal(r: ResourceChange): Refusal | undefined {
  const before = attrs(r.change.before);
  const after = attrs(r.change.after);
  const from = counts(before);
  const to = counts(after);
  if (!from || !to) return undefined;
  const group = String(before.name ?? r.address);
  const cluster = String(before.cluster_id ?? '<cluster>');
  const own = providerSteps(from, to);
  const failed = firstRefusal(group, from, own);
  if (!failed) return undefined;
  const reason = `${failed.refusal.status} ${failed.refusal.error}: ${failed.refusal.detail}`;
  // What Terraform will send is fixed (PATCH, then resize). First bring Magnum's record to a count
  // inside the new bounds (the plan keeps node_count for an autoscaled group: ignore_changes), by a
  // resize alone when that makes the provider's sequence (the saved plan's, unchanged) valid, else by single calls in a valid order.
  const target: Counts = { ...to, nodeCount: clamp(to.nodeCount, to.minNodeCount, to.maxNodeCount) };
  const resize: MagnumStep = { kind: 'resize', nodeCount: target.nodeCount };
  const resized = applyStep(from, resize);
  const order =
    target.nodeCount !== from.nodeCount &&
    !firstRefusal(group, from, [resize]) &&
    !firstRefusal(group, resized, own)
      ? [resize]
      : validOrder(group, from, target);
  return { address: r.address, reason, first: (order ?? []).map((s) => stepCommand(cluster, group, s)) };
}

function clamp(n: number, min: number, max: number | undefined): number {
  const upper = max !== undefined && max > 0 ? max : Number.POSITIVE_INFINITY;
  return Math.min(Math.max(n, min), upper);
}

function templateRefusals(r: ResourceChange, changes: ResourceChange[]): Refusal[] {
  const before = attrs(r.change.before);
  const id = before.id;
  if (typeof id !== 'string') return [];
  const clusters = changes.filter((c) => c.type === CLUSTER);
  const usedBefore = clusters.some((c) => attrs(c.change.before).cluster_template_id === id);
  const usedAfter = clusters.some(
    (c) => !c.change.actions.includes('delete') && attrs(c.change.after).cluster_template_id === id,
  );
  const actions = r.change.actions;
  if (actions.includes('update') && usedBefore) {
    const after = attrs(r.change.after);
    const changed = Object.keys({ ...before, ...after }).filter(
      (k) => !COMPUTED.has(k) && JSON.stringify(before[k]) !== JSON.stringify(after[k]),
    );
    const refused = changed.filter((k) => !TEMPLATE_MUTABLE_IN_USE.has(k));
    if (refused.length > 0) {
      return [
        {
          address: r.address,
          reason:
            `400 ClusterTemplateReferenced: the template is used by a cluster, and Magnum changes only ` +
            `name, public and hidden of such a template (this plan changes ${refused.join(', ')})`,
          first: [],
        },
      ];
    }
  }
  if (actions.includes('delete') && !actions.includes('create') && usedAfter) {
    return [
      {
        address: r.address,
        reason: '400 ClusterTemplateReferenced: the plan deletes a template the cluster still uses',
        first: [],
      },
    ];
  }
  return [];
}
