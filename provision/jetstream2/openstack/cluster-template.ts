/**
 * `openstack_containerinfra_clustertemplate_v1` (terraform-provider-openstack
 * `openstack/resource_openstack_containerinfra_clustertemplate_v1.go`; capacity.md §2.1).
 *
 * Prefer referencing Jetstream2's shared template by UUID (capacity.md §1.6): define one only when you
 * need other labels. No argument but `region` forces replacement (openstack-provider-schema.json),
 * and Magnum refuses every update of a template a cluster uses except a rename or publishing it
 * (`_do_update_cluster_template`: ClusterTemplateReferenced, HTTP 400) — and a rename is accepted,
 * which silently relabels the live template. So the stack never updates a template: its name and
 * Terraform address derive from image + CAPI helm chart version (cluster-stack.ts `templateName`),
 * a change is a new resource with `create_before_destroy`, and the cluster moves to it through
 * `cluster_template_id` (an upgrade); terraform-plan.ts refuses an in-place template update.
 */
import type { TerraformMetaArguments } from 'cdktf';
import type { Construct } from 'constructs';
import { OpenstackResource } from './resource.js';

export interface ContainerinfraClustertemplateV1Config extends TerraformMetaArguments {
  /** `region`. **Forces replacement.** */
  readonly region?: string;
  /** `name` (required). In place — a rename of the live template. */
  readonly name: string;
  /** `coe` (required): "kubernetes". */
  readonly coe: string;
  /** `image` (required): the Glance image, by UUID on Jetstream2 (names of shared images read as `Unset`). */
  readonly image: string;
  /** `apiserver_port`: 1024-65535. */
  readonly apiserverPort?: number;
  /** `cluster_distro`. */
  readonly clusterDistro?: string;
  /** `dns_nameserver`. */
  readonly dnsNameserver?: string;
  /** `docker_storage_driver`. */
  readonly dockerStorageDriver?: string;
  /** `docker_volume_size` (GB; sent only if > 0; not read by the CAPI driver). */
  readonly dockerVolumeSize?: number;
  /** `external_network_id` (2i2c: "public"). */
  readonly externalNetworkId?: string;
  /** `fixed_network`. */
  readonly fixedNetwork?: string;
  /** `fixed_subnet`. */
  readonly fixedSubnet?: string;
  /** `flavor`: worker flavor. */
  readonly flavor?: string;
  /** `master_flavor`: control-plane flavor. */
  readonly masterFlavor?: string;
  /** `floating_ip_enabled`. */
  readonly floatingIpEnabled?: boolean;
  /** `http_proxy`. */
  readonly httpProxy?: string;
  /** `https_proxy`. */
  readonly httpsProxy?: string;
  /** `no_proxy`. */
  readonly noProxy?: string;
  /** `insecure_registry`. */
  readonly insecureRegistry?: string;
  /** `keypair_id`. */
  readonly keypairId?: string;
  /** `labels`: map of strings (Magnum rejects non-string values). */
  readonly labels?: Readonly<Record<string, string>>;
  /** `master_lb_enabled` (ignored by the CAPI driver: it always creates a load balancer). */
  readonly masterLbEnabled?: boolean;
  /** `network_driver` (2i2c: "calico", the only CNI the CAPI driver tests). */
  readonly networkDriver?: string;
  /** `public`. */
  readonly public?: boolean;
  /** `registry_enabled`. */
  readonly registryEnabled?: boolean;
  /** `tls_disabled`. */
  readonly tlsDisabled?: boolean;
  /** `hidden`. */
  readonly hidden?: boolean;
  /** `server_type`: "vm". */
  readonly serverType?: string;
  /** `volume_driver`. */
  readonly volumeDriver?: string;
}

export class ContainerinfraClustertemplateV1 extends OpenstackResource<ContainerinfraClustertemplateV1Config> {
  static readonly tfResourceType = 'openstack_containerinfra_clustertemplate_v1';

  constructor(scope: Construct, id: string, config: ContainerinfraClustertemplateV1Config) {
    super(scope, id, ContainerinfraClustertemplateV1.tfResourceType, config);
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    const c = this.config;
    return {
      region: c.region,
      name: c.name,
      coe: c.coe,
      image: c.image,
      apiserver_port: c.apiserverPort,
      cluster_distro: c.clusterDistro,
      dns_nameserver: c.dnsNameserver,
      docker_storage_driver: c.dockerStorageDriver,
      docker_volume_size: c.dockerVolumeSize,
      external_network_id: c.externalNetworkId,
      fixed_network: c.fixedNetwork,
      fixed_subnet: c.fixedSubnet,
      flavor: c.flavor,
      master_flavor: c.masterFlavor,
      floating_ip_enabled: c.floatingIpEnabled,
      http_proxy: c.httpProxy,
      https_proxy: c.httpsProxy,
      no_proxy: c.noProxy,
      insecure_registry: c.insecureRegistry,
      keypair_id: c.keypairId,
      labels: c.labels,
      master_lb_enabled: c.masterLbEnabled,
      network_driver: c.networkDriver,
      public: c.public,
      registry_enabled: c.registryEnabled,
      tls_disabled: c.tlsDisabled,
      hidden: c.hidden,
      server_type: c.serverType,
      volume_driver: c.volumeDriver,
    };
  }
}
