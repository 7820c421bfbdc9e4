/**
 * `openstack_containerinfra_nodegroup_v1` (terraform-provider-openstack
 * `openstack/resource_openstack_containerinfra_nodegroup_v1.go`; capacity.md §2.3). ID
 * `<cluster_id>/<nodegroup_id>`.
 *
 * The driver labels the nodes `capi.stackhpc.com/node-group=<name>` (dots become dashes); `role` and
 * `labels` do not reach the nodes (azimuth-cloud/capi-helm-charts#84), so pods select a group by
 * that label only. Sizes change in place; everything else **forces replacement** of the group (its
 * nodes and whatever runs on them).
 */
import type { TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { OpenstackResource, type ResourceTimeouts } from './resource.js';

export interface ContainerinfraNodegroupV1Config extends TerraformMetaArguments {
  /** `region`. **Forces replacement.** */
  readonly region?: string;
  /** `cluster_id` (required). **Forces replacement.** */
  readonly clusterId: string;
  /** `name` (required). **Forces replacement.** */
  readonly name: string;
  /** `docker_volume_size` (GB). **Forces replacement.** */
  readonly dockerVolumeSize?: number;
  /** `labels`: map of strings. **Forces replacement.** */
  readonly labels?: Readonly<Record<string, string>>;
  /** `merge_labels`: merge with the cluster's labels. **Forces replacement.** */
  readonly mergeLabels?: boolean;
  /** `role`. **Forces replacement.** (Not propagated to the nodes on Jetstream2.) */
  readonly role?: string;
  /** `node_count` (default 1, >= 0; Magnum CAPI needs >= 1). In place (resize). */
  readonly nodeCount?: number;
  /** `min_node_count`. In place (PATCH); Magnum refuses a min above its recorded node_count (409). */
  readonly minNodeCount?: number;
  /**
   * `max_node_count` (0 removes it). In place (PATCH); the CAPI driver re-renders the group's
   * machineCountMax (`update_nodegroup`). Magnum refuses a max under its recorded node_count or min
   * (409, magnum-rules.ts).
   */
  readonly maxNodeCount?: number;
  /** `image_id` (the docs say it updates the image; the code forces replacement). **Forces replacement.** */
  readonly imageId?: string;
  /** `flavor_id`: a flavor name or ID. **Forces replacement.** */
  readonly flavorId?: string;
  /** The `timeouts` block (provider defaults: create 60 m, update 30 m, delete 30 m). */
  readonly timeouts?: ResourceTimeouts;
}

export class ContainerinfraNodegroupV1 extends OpenstackResource<ContainerinfraNodegroupV1Config> {
  static readonly tfResourceType = 'openstack_containerinfra_nodegroup_v1';

  constructor(scope: Construct, id: string, config: ContainerinfraNodegroupV1Config) {
    super(scope, id, ContainerinfraNodegroupV1.tfResourceType, config);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      region: c.region,
      cluster_id: c.clusterId,
      name: c.name,
      docker_volume_size: c.dockerVolumeSize,
      labels: c.labels,
      merge_labels: c.mergeLabels,
      role: c.role,
      node_count: c.nodeCount,
      min_node_count: c.minNodeCount,
      max_node_count: c.maxNodeCount,
      image_id: c.imageId,
      flavor_id: c.flavorId,
      timeouts: c.timeouts,
    };
  }
}
