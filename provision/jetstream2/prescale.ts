/**
 * The event's pre-scale (and its undoing) as it works on Magnum's Cluster API driver (pure: the steps;
 * prescale-run.ts runs them).
 *
 * On an autoscaled group the capi-helm chart leaves `replicas` out of the MachineDeployment, so a
 * Magnum resize changes Magnum's record only; nodes come from the cluster autoscaler, which adds them
 * for pending pods. So the pre-scale is, in order:
 *
 *   1. placeholders: one large placeholder per node to hold (2i2c's user-placeholders guide: one pod
 *      per N seats avoids head-of-line blocking), each requesting what a node's users get —
 *      perNode × the user guarantee; they are pending until the autoscaler has added their nodes;
 *   2. Magnum's record, then its minimum: a resize to the step's node count (bookkeeping, and what
 *      makes the next call valid), then min_node_count raised — only in an order Magnum accepts
 *      (magnum-rules.ts). The raised minimum keeps the autoscaler from removing the nodes;
 *   3. a bounded wait until the group has that many Ready nodes and no placeholder is pending.
 *
 * Undoing it (unscale): min_node_count back to the plan's, then no placeholders; the autoscaler
 * removes the idle nodes (about 10 min).
 */
import type { NodeGroup, NodeGroupPlan, PreScaleStep } from '../../analysis/sizing-plan.js';
import { InputError } from '../../core/errors.js';
import { type Counts, type MagnumStep, stepCommand, validOrder } from './magnum-rules.js';

/** z2jh's user-placeholder StatefulSet (templates/scheduling/user-placeholder/statefulset.yaml). */
export const PLACEHOLDER_STATEFULSET = 'user-placeholder';
/** Nodes take ~10 min on Jetstream2 (capacity.md §1.6); twice that before we call it failed. */
export const DEFAULT_NODE_WAIT_MS = 20 * 60_000;

export type PrescaleAction =
  | { kind: 'placeholders'; namespace: string; replicas: number }
  | { kind: 'magnum'; group: string; step: MagnumStep; command: string }
  | { kind: 'wait-nodes'; group: string; ready: number; timeoutMs: number };

export interface PrescalePlan {
  step: PreScaleStep;
  group: NodeGroup;
  actions: PrescaleAction[];
  /** What the reader should know (assumptions, what a later apply would undo). */
  notes: string[];
}

export interface PrescaleInput {
  plan: NodeGroupPlan;
  /** ms from the event start of the step to do; 'unscale': the last step (back to rest). */
  at: number | 'unscale';
  /** Magnum's record of the group now; absent: the plan's creation values (said in the notes). */
  current?: Counts;
  /** Cluster name or UUID for the openstack commands. */
  cluster: string;
  namespace: string;
  nodeWaitMs?: number;
}

/** Each placeholder holds one node: perNode × the user guarantee (bytes, cores). */
export function largePlaceholderRequests(plan: NodeGroupPlan): { memory: number; cpu: number } {
  const { perNode, guarantee } = plan.user;
  return { memory: perNode * guarantee.memory, cpu: Math.round(perNode * guarantee.cpu * 1000) / 1000 };
}

/** Placeholders for a step: one per node it holds (its nodeCount, else its seats / perNode). */
export function largePlaceholders(plan: NodeGroupPlan, step: PreScaleStep): number {
  if (step.nodeCount !== undefined) return step.nodeCount;
  return Math.ceil((step.placeholders ?? 0) / plan.user.perNode);
}

export function prescalePlan(input: PrescaleInput): PrescalePlan {
  const { plan } = input;
  const steps = plan.preScale.steps;
  const step = input.at === 'unscale' ? steps[steps.length - 1] : steps.find((s) => s.at === input.at);
  if (!step) {
    const when = input.at === 'unscale' ? 'to undo' : `at ${formatAt(input.at)}`;
    throw new InputError('PRESCALE_STEP_UNKNOWN', `the plan has no pre-scale step ${when}`, {
      hint: `its steps are at ${steps.map((s) => formatAt(s.at)).join(', ') || '(none)'} from the event start`,
    });
  }
  const group = plan.groups.find((g) => g.name === step.group);
  if (!group) throw new Error(`plan step names group ${step.group} (parsePlan guarantees it exists)`);
  const notes: string[] = [];
  // Without Magnum's record: the plan's creation values, or for unscale what the pre-scale left.
  const raised = steps.find((s) => s.group === group.name && s.minNodeCount > group.minNodeCount);
  const assumed: Counts =
    input.at === 'unscale' && raised
      ? {
          nodeCount: Math.max(raised.nodeCount ?? 0, raised.minNodeCount),
          minNodeCount: raised.minNodeCount,
          maxNodeCount: group.maxNodeCount,
        }
      : { nodeCount: group.nodeCount, minNodeCount: group.minNodeCount, maxNodeCount: group.maxNodeCount };
  const current = input.current ?? assumed;
  if (!input.current) {
    notes.push(
      `Magnum's record of ${group.name} assumed (node_count ${assumed.nodeCount}, min ` +
        `${assumed.minNodeCount}, max ${assumed.maxNodeCount}); pass --state to check against the real one`,
    );
  }
  const holding = input.at !== 'unscale' && step.minNodeCount > group.minNodeCount;
  const target: Counts = {
    nodeCount: holding ? Math.max(step.nodeCount ?? step.minNodeCount, current.nodeCount) : current.nodeCount,
    minNodeCount: step.minNodeCount,
    maxNodeCount: current.maxNodeCount ?? group.maxNodeCount,
  };
  const order = validOrder(group.name, current, target);
  if (!order) {
    throw new InputError(
      'MAGNUM_WOULD_REFUSE',
      `${group.name}: no order of calls takes Magnum from node_count ${current.nodeCount}, min ` +
        `${current.minNodeCount}, max ${current.maxNodeCount ?? 'none'} to min ${target.minNodeCount}`,
      { hint: `the step's minimum must be at most the group's max_node_count (${target.maxNodeCount})` },
    );
  }
  const magnum: PrescaleAction[] = order.map((s) => ({
    kind: 'magnum',
    group: group.name,
    step: s,
    command: stepCommand(input.cluster, group.name, s),
  }));
  const replicas = input.at === 'unscale' ? 0 : largePlaceholders(plan, step);
  const placeholders: PrescaleAction = { kind: 'placeholders', namespace: input.namespace, replicas };
  const actions: PrescaleAction[] =
    input.at === 'unscale'
      ? [...magnum, placeholders]
      : [
          placeholders,
          ...magnum,
          {
            kind: 'wait-nodes',
            group: group.name,
            ready: Math.max(step.nodeCount ?? 0, step.minNodeCount),
            timeoutMs: input.nodeWaitMs ?? DEFAULT_NODE_WAIT_MS,
          },
        ];
  notes.push(
    input.at === 'unscale'
      ? 'unset TF_VAR_placeholder_replicas, so that the next `provision apply` keeps them at 0'
      : `a later \`provision apply\` sets the placeholders back to TF_VAR_placeholder_replicas (default 0) ` +
          `and min_node_count back to the plan's: keep TF_VAR_placeholder_replicas=${replicas} exported ` +
          'until the event ends, or do not apply in between',
  );
  return { step, group, actions, notes };
}

/** One line per action, numbered: what `--dry-run` prints. */
export function describePrescale(p: PrescalePlan, requests: { memory: number; cpu: number }): string[] {
  return p.actions.map((a, i) => {
    const n = `${i + 1}.`;
    switch (a.kind) {
      case 'placeholders':
        return a.replicas === 0
          ? `${n} placeholders: scale statefulset/${PLACEHOLDER_STATEFULSET} in ${a.namespace} to 0`
          : `${n} placeholders: scale statefulset/${PLACEHOLDER_STATEFULSET} in ${a.namespace} to ${a.replicas} ` +
              `(one per node, each requesting ${(requests.memory / 1e9).toFixed(1)} GB and ${requests.cpu} CPU): ` +
              'the autoscaler adds a node for each pending one';
      case 'magnum':
        return a.step.kind === 'resize'
          ? `${n} magnum: ${a.command}   # Magnum's record only (no replicas on an autoscaled group); makes the next call valid`
          : `${n} magnum: ${a.command}`;
      default:
        return `${n} wait: until ${a.group} has ${a.ready} Ready nodes and no placeholder is pending (at most ${Math.round(a.timeoutMs / 60_000)} min)`;
    }
  });
}

/** `T-30m`, `T+1h8m41s` (ms from the event start). */
export function formatAt(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  let rest = Math.abs(Math.round(ms / 1000));
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  const parts = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}` || '0';
  return `T${sign}${parts}`;
}
