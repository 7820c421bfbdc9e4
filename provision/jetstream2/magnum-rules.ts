/**
 * Magnum's rules for changing a node group's size, as its API enforces them (pure), and the order of
 * calls that keeps every one of them valid. From openstack/magnum (commit in docs/jetstream2.md):
 *
 * - PATCH /v1/clusters/<c>/nodegroups/<ng> (min/max_node_count; `node_count` may not be patched):
 *   `_validate_node_count` on the patched group, with its *recorded* node_count —
 *     max set and max < min         → 409 NodeGroupInvalidInput (attr max_node_count)
 *     max set and node_count > max  → 409 NodeGroupInvalidInput (attr max_node_count)
 *     min > node_count              → 409 NodeGroupInvalidInput (attr min_node_count)
 *   (NodeGroupInvalidInput is a Conflict: 409, not 400; magnum/common/exception.py.)
 * - POST /v1/clusters/<c>/actions/resize {node_count, nodegroup} (`cluster_actions.py _resize`):
 *     min > n, or max set and max < n → 400 NGResizeOutBounds.
 *
 * terraform-provider-openstack v3.4 (`resourceContainerInfraNodeGroupV1Update`) sends ONE PATCH with
 * whichever of min/max changed, then the resize if node_count changed. Magnum's recorded node_count
 * is what the last create/resize set: the CAPI driver never writes the autoscaler's count back, and
 * for an autoscaled group a resize changes that record only (the capi-helm chart omits `replicas`;
 * magnum_capi_helm/driver.py `_get_node_counts`).
 */

export interface Counts {
  nodeCount: number;
  minNodeCount: number;
  /** undefined or 0: no maximum (the provider sends 0 to remove it; Magnum tests `if max`). */
  maxNodeCount?: number;
}

export type MagnumStep =
  | { kind: 'resize'; nodeCount: number }
  | { kind: 'patch'; minNodeCount?: number; maxNodeCount?: number };

export interface MagnumRefusal {
  status: 400 | 409;
  /** Magnum's exception class. */
  error: 'NodeGroupInvalidInput' | 'NGResizeOutBounds';
  /** The message Magnum formats (exception.py templates). */
  detail: string;
}

const hasMax = (max: number | undefined): max is number => max !== undefined && max > 0;

/** Magnum's answer to `step` on a group in state `s`: undefined when accepted. */
export function magnumRefuses(group: string, s: Counts, step: MagnumStep): MagnumRefusal | undefined {
  if (step.kind === 'resize') {
    const n = step.nodeCount;
    if (s.minNodeCount > n || (hasMax(s.maxNodeCount) && s.maxNodeCount < n)) {
      return {
        status: 400,
        error: 'NGResizeOutBounds',
        detail:
          `Resizing ${group} outside the allowed range: min_node_count = ${s.minNodeCount}, ` +
          `max_node_count = ${s.maxNodeCount ?? 'None'}`,
      };
    }
    return undefined;
  }
  const ng = applyStep(s, step);
  const invalid = (attr: string, expl: string): MagnumRefusal => ({
    status: 409,
    error: 'NodeGroupInvalidInput',
    detail: `${attr} for ${group} is invalid (${expl}).`,
  });
  if (hasMax(ng.maxNodeCount)) {
    if (ng.maxNodeCount < ng.minNodeCount) {
      return invalid(
        'max_node_count',
        `min_node_count (${ng.minNodeCount}) should be less or equal to max_node_count (${ng.maxNodeCount})`,
      );
    }
    if (ng.nodeCount > ng.maxNodeCount) {
      return invalid(
        'max_node_count',
        `node_count (${ng.nodeCount}) should be less or equal to max_node_count (${ng.maxNodeCount})`,
      );
    }
  }
  if (ng.minNodeCount > ng.nodeCount) {
    return invalid(
      'min_node_count',
      `min_node_count (${ng.minNodeCount}) should be less or equal to node_count (${ng.nodeCount})`,
    );
  }
  return undefined;
}

export function applyStep(s: Counts, step: MagnumStep): Counts {
  if (step.kind === 'resize') return { ...s, nodeCount: step.nodeCount };
  return {
    nodeCount: s.nodeCount,
    minNodeCount: step.minNodeCount ?? s.minNodeCount,
    maxNodeCount: step.maxNodeCount ?? s.maxNodeCount,
  };
}

/** What the provider sends for before → after: one PATCH of the changed bounds, then a resize. */
export function providerSteps(before: Counts, after: Counts): MagnumStep[] {
  const steps: MagnumStep[] = [];
  const patch: MagnumStep = { kind: 'patch' };
  if (after.minNodeCount !== before.minNodeCount) patch.minNodeCount = after.minNodeCount;
  if ((after.maxNodeCount ?? 0) !== (before.maxNodeCount ?? 0)) patch.maxNodeCount = after.maxNodeCount ?? 0;
  if (patch.minNodeCount !== undefined || patch.maxNodeCount !== undefined) steps.push(patch);
  if (after.nodeCount !== before.nodeCount) steps.push({ kind: 'resize', nodeCount: after.nodeCount });
  return steps;
}

/** The first refusal of `steps` run in order from `s`, with its index; undefined when all pass. */
export function firstRefusal(
  group: string,
  s: Counts,
  steps: MagnumStep[],
): { index: number; refusal: MagnumRefusal } | undefined {
  let state = s;
  for (const [index, step] of steps.entries()) {
    const refusal = magnumRefuses(group, state, step);
    if (refusal) return { index, refusal };
    state = applyStep(state, step);
  }
  return undefined;
}

/**
 * A valid order of single calls taking `before` to `after` (min, max and node count), or undefined
 * when none exists (after itself breaks min <= node_count <= max). Tries, in this order: the
 * provider's own sequence; then every order of {resize, PATCH min, PATCH max}, fewest calls first.
 */
export function validOrder(group: string, before: Counts, after: Counts): MagnumStep[] | undefined {
  const own = providerSteps(before, after);
  if (!firstRefusal(group, before, own)) return own;
  const parts: MagnumStep[] = [];
  if (after.nodeCount !== before.nodeCount) parts.push({ kind: 'resize', nodeCount: after.nodeCount });
  if (after.minNodeCount !== before.minNodeCount)
    parts.push({ kind: 'patch', minNodeCount: after.minNodeCount });
  if ((after.maxNodeCount ?? 0) !== (before.maxNodeCount ?? 0)) {
    parts.push({ kind: 'patch', maxNodeCount: after.maxNodeCount ?? 0 });
  }
  for (const order of permutations(parts)) {
    if (!firstRefusal(group, before, order)) return order;
  }
  return undefined;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** One step as the command that makes it: `openstack coe …` (python-magnumclient). */
export function stepCommand(cluster: string, group: string, step: MagnumStep): string {
  if (step.kind === 'resize') {
    return `openstack coe cluster resize ${cluster} --nodegroup ${group} ${step.nodeCount}`;
  }
  const sets = [
    ...(step.minNodeCount !== undefined ? [`min_node_count=${step.minNodeCount}`] : []),
    ...(step.maxNodeCount !== undefined ? [`max_node_count=${step.maxNodeCount}`] : []),
  ];
  return `openstack coe nodegroup update ${cluster} ${group} replace ${sets.join(' ')}`;
}
