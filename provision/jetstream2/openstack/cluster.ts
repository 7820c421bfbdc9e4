/**
 * `openstack_containerinfra_cluster_v1` (terraform-provider-openstack
 * `openstack/resource_openstack_containerinfra_cluster_v1.go`; capacity.md §2.2).
 *
 * Almost every argument **forces replacement** — a new cluster, i.e. every user server and the hub
 * rebuilt, 10 min to 2.5 h on Jetstream2. Only `cluster_template_id` (in-place upgrade) and
 * `node_count` (resize of the default-worker group) change in place.
 */
import type { TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { OpenstackResource, type ResourceTimeouts } from './resource.js';

export interface ContainerinfraClusterV1Config extends TerraformMetaArguments {
  /** `region`. **Forces replacement.** */
  readonly region?: string;
  /** `name` (optional, computed). **Forces replacement.** */
  readonly name?: string;
  /** `cluster_template_id` (required; env OS_MAGNUM_CLUSTER_TEMPLATE). In place: a change runs Magnum's cluster upgrade. */
  readonly clusterTemplateId: string;
  /** `create_timeout` (minutes). **Forces replacement.** */
  readonly createTimeout?: number;
  /** `discovery_url`. **Forces replacement.** */
  readonly discoveryUrl?: string;
  /** `docker_volume_size` (GB). **Forces replacement.** */
  readonly dockerVolumeSize?: number;
  /** `flavor`: default-worker flavor (env OS_MAGNUM_FLAVOR). **Forces replacement.** */
  readonly flavor?: string;
  /** `master_flavor`: control-plane flavor (env OS_MAGNUM_MASTER_FLAVOR). **Forces replacement.** */
  readonly masterFlavor?: string;
  /** `keypair`: a Nova keypair name. **Forces replacement.** */
  readonly keypair?: string;
  /**
   * `labels`: map of strings. **Forces replacement**, and Jetstream2 refuses label updates ("cannot
   * change cluster property(ies) labels", HTTP 400): `max_node_count` here is fixed at creation.
   */
  readonly labels?: Readonly<Record<string, string>>;
  /** `merge_labels`: merge `labels` into the template's instead of replacing them. **Forces replacement.** */
  readonly mergeLabels?: boolean;
  /** `master_count`. **Forces replacement.** */
  readonly masterCount?: number;
  /** `master_lb_enabled` (ignored by the CAPI driver). **Forces replacement.** */
  readonly masterLbEnabled?: boolean;
  /** `node_count` (default 1): default-worker size. In place (resize). */
  readonly nodeCount?: number;
  /** `fixed_network`. **Forces replacement.** */
  readonly fixedNetwork?: string;
  /** `fixed_subnet`. **Forces replacement.** */
  readonly fixedSubnet?: string;
  /** `floating_ip_enabled`: floating IPs on the nodes. **Forces replacement.** */
  readonly floatingIpEnabled?: boolean;
  /** The `timeouts` block (provider defaults: create 60 m, update 30 m, delete 30 m). */
  readonly timeouts?: ResourceTimeouts;
}

export class ContainerinfraClusterV1 extends OpenstackResource<ContainerinfraClusterV1Config> {
  static readonly tfResourceType = 'openstack_containerinfra_cluster_v1';

  constructor(scope: Construct, id: string, config: ContainerinfraClusterV1Config) {
    super(scope, id, ContainerinfraClusterV1.tfResourceType, config);
  }

  /** `api_address` (computed). */
  get apiAddress(): string {
    return this.getStringAttribute('api_address');
  }

  /**
   * `kubeconfig` (computed, **sensitive** map): `raw_config`, `host`, `cluster_ca_certificate`,
   * `client_certificate`, `client_key`. The key is an admin (system:masters) client certificate.
   */
  kubeconfigAttribute(
    key: 'raw_config' | 'host' | 'cluster_ca_certificate' | 'client_certificate' | 'client_key',
  ): string {
    return this.getStringAttribute(`kubeconfig.${key}`);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      region: c.region,
      name: c.name,
      cluster_template_id: c.clusterTemplateId,
      create_timeout: c.createTimeout,
      discovery_url: c.discoveryUrl,
      docker_volume_size: c.dockerVolumeSize,
      flavor: c.flavor,
      master_flavor: c.masterFlavor,
      keypair: c.keypair,
      labels: c.labels,
      merge_labels: c.mergeLabels,
      master_count: c.masterCount,
      master_lb_enabled: c.masterLbEnabled,
      node_count: c.nodeCount,
      fixed_network: c.fixedNetwork,
      fixed_subnet: c.fixedSubnet,
      floating_ip_enabled: c.floatingIpEnabled,
      timeouts: c.timeouts,
    };
  }
}
