/**
 * Magnum's record of the cluster and its node groups, from `terraform show -json` of the cluster
 * stack's state (`values.root_module.resources[]`) or of a saved plan (`prior_state.values…`), in
 * Terraform's JSON output format. The provider's Read fills node_count, min/max_node_count from
 * Magnum on every refresh (resourceContainerInfraNodeGroupV1Read), so a fresh `show -json` after
 * `terraform refresh` is Magnum's record. Pure.
 */
import { InputError } from '../../core/errors.js';
import type { Counts } from './magnum-rules.js';

interface StateResource {
  type?: string;
  values?: Record<string, unknown>;
}

export interface ClusterRecord {
  /** Cluster name (or UUID when the state has no name). */
  cluster?: string;
  groups: Map<string, Counts>;
}

export function readClusterRecord(text: string, source: string): ClusterRecord {
  let data: {
    values?: { root_module?: { resources?: StateResource[] } };
    prior_state?: { values?: { root_module?: { resources?: StateResource[] } } };
  };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (err) {
    throw new InputError('STATE_UNREADABLE', `${source} is not JSON: ${(err as Error).message}`, {
      hint: 'write it with `terraform -chdir=cdktf.out/stacks/cluster show -json > state.json`',
    });
  }
  const resources = data.values?.root_module?.resources ?? data.prior_state?.values?.root_module?.resources;
  if (!resources) {
    throw new InputError('STATE_UNREADABLE', `${source} has no values.root_module.resources`, {
      hint: 'is it `terraform show -json` of the cluster stack (its state, after apply)?',
    });
  }
  const groups = new Map<string, Counts>();
  let cluster: string | undefined;
  for (const r of resources) {
    const v = r.values ?? {};
    if (r.type === 'openstack_containerinfra_cluster_v1') {
      cluster = typeof v.name === 'string' && v.name ? v.name : typeof v.id === 'string' ? v.id : undefined;
    }
    if (r.type !== 'openstack_containerinfra_nodegroup_v1' || typeof v.name !== 'string') continue;
    if (typeof v.node_count !== 'number' || typeof v.min_node_count !== 'number') continue;
    groups.set(v.name, {
      nodeCount: v.node_count,
      minNodeCount: v.min_node_count,
      ...(typeof v.max_node_count === 'number' ? { maxNodeCount: v.max_node_count } : {}),
    });
  }
  return { ...(cluster ? { cluster } : {}), groups };
}
