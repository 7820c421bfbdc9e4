/**
 * The `cluster` stack: the OpenStack provider, the cluster template (Jetstream2's, referenced by UUID —
 * recommended — or one defined here), the Magnum cluster and one node group per plan group except
 * `default-worker`, which Magnum creates with the cluster and sizes from the cluster's own fields and
 * labels. Output: the admin kubeconfig (sensitive), which the driver hands to the binderhub stack.
 */
import { LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import type { NodeGroup, NodeGroupPlan } from '../../analysis/sizing-plan.js';
import type { Jetstream2Config } from './config.js';
import { ContainerinfraClusterV1 } from './openstack/cluster.js';
import { ContainerinfraClustertemplateV1 } from './openstack/cluster-template.js';
import { ContainerinfraNodegroupV1 } from './openstack/nodegroup.js';
import { OpenstackProvider } from './openstack/provider.js';

/**
 * The first cluster of a project (or after a long pause) takes 2-2.5 h on Jetstream2 while images are
 * cached (capacity.md §1.6); zonca's recipe waits up to 4 h. Magnum's own create_timeout (minutes) and
 * Terraform's wait both get 4 h, instead of the provider's 60 min.
 */
export const CREATE_TIMEOUT_MIN = 240;

/**
 * Both stacks' `terraform.required_version`, the version docs/jetstream2.md asks for. An older binary
 * stops at `init` with a clear message instead of failing somewhere in a plan; OpenTofu checks the
 * constraint against its own version (1.8 and later pass).
 */
export const REQUIRED_TERRAFORM = '>= 1.8';

/** Labels Magnum's CAPI driver honours (magnum_capi_helm conf.py); values must be strings. */
export function clusterLabels(
  plan: NodeGroupPlan,
  extra: Record<string, string> = {},
): Record<string, string> {
  const worker = defaultWorker(plan);
  return {
    auto_scaling_enabled: 'true',
    // The template's default dashboard is defunct and leaves Magnum at CREATE_IN_PROGRESS (§1.6).
    kube_dashboard_enabled: 'false',
    monitoring_enabled: 'false',
    // For default-worker these labels override the node-group fields (driver _get_autoscale_values).
    min_node_count: String(worker.minNodeCount),
    max_node_count: String(worker.maxNodeCount),
    ...extra,
  };
}

export interface ClusterStackProps {
  plan: NodeGroupPlan;
  config: Jetstream2Config;
  /** Folder of the local Terraform state. */
  stateDir: string;
}

export class ClusterStack extends TerraformStack {
  readonly cluster: ContainerinfraClusterV1;
  readonly nodeGroups: ContainerinfraNodegroupV1[];

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { plan, config } = props;
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM);
    new LocalBackend(this, { path: `${props.stateDir}/terraform.${id}.tfstate` });
    new OpenstackProvider(this, 'openstack', {
      ...(config.cloud ? { cloud: config.cloud } : {}),
      ...(config.region ? { region: config.region } : {}),
    });
    const worker = defaultWorker(plan);
    const c = config.cluster ?? {};
    this.cluster = new ContainerinfraClusterV1(this, 'cluster', {
      name: c.name ?? clusterName(plan),
      clusterTemplateId: templateId(this, plan, config),
      masterFlavor: plan.controlPlane.flavor,
      masterCount: plan.controlPlane.count,
      flavor: worker.flavor,
      nodeCount: worker.nodeCount,
      // Only from jetstream2.yaml, never a variable defaulting to "": keypair is optional+computed and
      // forces replacement, so "" against a template's keypair would plan a new cluster.
      ...(c.keypair ? { keypair: c.keypair } : {}),
      labels: clusterLabels(plan, c.labels),
      mergeLabels: true,
      floatingIpEnabled: false,
      createTimeout: CREATE_TIMEOUT_MIN,
      // update: a template change is a rolling upgrade of every node (provider default 30 min).
      timeouts: { create: `${CREATE_TIMEOUT_MIN}m`, update: `${CREATE_TIMEOUT_MIN}m` },
      // With merge_labels the provider reads labels back rebuilt from Magnum's added/skipped/overridden
      // lists, and a labels diff would force a new cluster (capacity.md §2.2): ignore it.
      lifecycle: { ignoreChanges: ['labels'] },
    });
    // Each group waits for the previous one: Magnum's node-group creation races (launchpad bug
    // 2097946), which -parallelism=1 also avoids; the chain keeps a plain `terraform apply` safe too.
    this.nodeGroups = [];
    let previous: ContainerinfraNodegroupV1 | undefined;
    for (const g of plan.groups.filter((x) => x.role !== 'default-worker')) {
      const ng = new ContainerinfraNodegroupV1(this, `nodegroup-${g.name}`, {
        clusterId: this.cluster.id,
        name: g.name,
        role: g.role,
        flavorId: g.flavor,
        nodeCount: g.nodeCount,
        minNodeCount: g.minNodeCount,
        maxNodeCount: g.maxNodeCount,
        mergeLabels: true,
        timeouts: { create: `${CREATE_TIMEOUT_MIN}m` },
        ...(previous ? { dependsOn: [previous] } : {}),
        // An autoscaled group's size belongs to the autoscaler (and to the pre-scale step): without
        // this, any later apply would resize it back to the plan's creation size — mid-event, that
        // drains nodes with users on them. min/max_node_count still follow the plan.
        ...(g.minNodeCount !== g.maxNodeCount ? { lifecycle: { ignoreChanges: ['node_count'] } } : {}),
      });
      this.nodeGroups.push(ng);
      previous = ng;
    }
    new TerraformOutput(this, 'kubeconfig', {
      value: this.cluster.kubeconfigAttribute('raw_config'),
      sensitive: true,
      description: 'admin kubeconfig of the cluster (terraform output -raw kubeconfig)',
    });
    new TerraformOutput(this, 'cluster_id', { value: this.cluster.id });
    new TerraformOutput(this, 'api_address', { value: this.cluster.apiAddress });
  }
}

function defaultWorker(plan: NodeGroupPlan): NodeGroup {
  const worker = plan.groups.find((g) => g.role === 'default-worker');
  if (!worker) throw new Error('plan has no default-worker group (parsePlan guarantees one)');
  return worker;
}

/** Magnum cluster name from the scenario name: lower-case letters, digits and -, at most 63. */
export function clusterName(plan: NodeGroupPlan): string {
  const slug = plan.scenario.name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `binder-${slug}`.slice(0, 63).replace(/-+$/, '');
}

/** The template reference: a UUID from the config, a template defined here, or a variable. */
function templateId(stack: TerraformStack, plan: NodeGroupPlan, config: Jetstream2Config): string {
  const c = config.cluster ?? {};
  if (c.templateId) return c.templateId;
  const t = c.template;
  if (!t) {
    return variable(
      stack,
      'cluster_template_id',
      'UUID of a Jetstream2 cluster template, e.g. kubernetes-1-33-jammy-fixed-labels (openstack coe cluster template list)',
    );
  }
  // 2i2c's template (terraform/openstack/cluster.tf), labels as in clusterLabels. Its name and its
  // Terraform address come from the image and the CAPI helm chart version: a new version is a new
  // resource, created first (create_before_destroy); the cluster moves to it through
  // cluster_template_id, which the provider applies in place as Magnum's cluster upgrade (not
  // ForceNew, provider v3.4 resourceContainerInfraClusterV1Update); the old template is deleted
  // once no cluster references it. Changing a template in use in place would be refused
  // (ClusterTemplateReferenced), and so would renaming it in place lose track of what it holds.
  const name = templateName(t);
  return new ContainerinfraClustertemplateV1(stack, templateAddress(name), {
    name,
    coe: 'kubernetes',
    image: t.image,
    serverType: 'vm',
    tlsDisabled: false,
    externalNetworkId: 'public',
    masterLbEnabled: false,
    floatingIpEnabled: false,
    networkDriver: 'calico',
    flavor: plan.controlPlane.flavor,
    masterFlavor: plan.controlPlane.flavor,
    labels: {
      ...clusterLabels(plan),
      capi_helm_chart_version: t.capiHelmChartVersion,
      ...t.labels,
    },
    lifecycle: { createBeforeDestroy: true },
  }).id;
}

/** 2i2c's naming: `<image>-capi-<capi_helm_chart_version>`. */
export function templateName(t: { image: string; imageName?: string; capiHelmChartVersion: string }): string {
  return `${t.imageName ?? t.image}-capi-${t.capiHelmChartVersion}`;
}

/** The template's construct id (Terraform resource name): `template-` and the name, dots as dashes. */
export function templateAddress(name: string): string {
  return `template-${name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;
}

/** A string variable of the stack; its value (a token) resolves to `${var.<name>}`. */
export function variable(stack: TerraformStack, name: string, description: string, dflt?: string): string {
  return new TerraformVariable(stack, name, {
    type: 'string',
    description,
    ...(dflt !== undefined ? { default: dflt } : {}),
  }).stringValue;
}
