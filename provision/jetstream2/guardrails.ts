/**
 * Guardrails: what Magnum's Cluster API driver on Jetstream2 would reject, or let us regret, checked
 * before anything is synthesized (capacity.md §1.5, §1.6). Errors stop `provision synth` with every
 * problem listed at once; warnings are printed and synth goes on.
 */
import {
  capiRejects,
  DEFAULT_QUOTAS,
  findFlavor,
  jetstream2Catalogue,
  MAGNUM_CAPI,
  type Quota,
} from '../../analysis/catalogue.js';
import { FLOATING_IPS_NEEDED } from '../../analysis/quota.js';
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { InputError, RehearseError } from '../../core/errors.js';
import type { Jetstream2Config } from './config.js';

/** The label Magnum's CAPI driver puts on every node: the (sanitized) node-group name. */
export const NODE_GROUP_LABEL = 'capi.stackhpc.com/node-group';

export interface GuardrailResult {
  errors: string[];
  warnings: string[];
  /** Cores, RAM and floating IPs the cluster can grow to (every group at max_node_count). */
  need: Quota;
}

/**
 * need.cores = Σ_groups max_node_count · vCPU + control-plane count · vCPU (CPU flavors only: GPU and
 * large-memory flavors draw on other quotas); need.ramGB likewise with the flavor's GB;
 * need.floatingIps = 2 (Magnum's API load balancer and the hub's ingress load balancer).
 */
export function checkGuardrails(plan: NodeGroupPlan, config: Jetstream2Config = {}): GuardrailResult {
  const catalogue = jetstream2Catalogue(plan.catalogue.rates);
  const errors: string[] = [];
  const warnings: string[] = [];
  const need: Quota = { cores: 0, ramGB: 0, floatingIps: FLOATING_IPS_NEEDED };
  const sized = [
    { name: 'control plane', flavor: plan.controlPlane.flavor, max: plan.controlPlane.count },
    ...plan.groups.map((g) => ({ name: g.name, flavor: g.flavor, max: g.maxNodeCount })),
  ];
  for (const g of sized) {
    const flavor = flavorOrError(catalogue, g.name, g.flavor, errors);
    if (!flavor) continue;
    const rejected = capiRejects(flavor);
    if (rejected) errors.push(`${g.name}: ${rejected} (minimum_flavor_vcpus 2, minimum_flavor_ram 2048 MB)`);
    if (flavor.resource !== 'cpu') {
      warnings.push(
        `${g.name}: ${flavor.name} draws on the ${flavor.resource} quota, which is not checked here`,
      );
      continue;
    }
    need.cores += g.max * flavor.vcpus;
    need.ramGB += g.max * flavor.ramGiB;
  }
  for (const g of plan.groups) {
    if (g.minNodeCount < MAGNUM_CAPI.minNodeCount || g.nodeCount < MAGNUM_CAPI.minNodeCount) {
      errors.push(
        `${g.name}: min_node_count ${g.minNodeCount} and node_count ${g.nodeCount} must be >= 1 ` +
          "(Magnum's CAPI driver: CAPO cannot scale a node group to zero, launchpad bug 2098002)",
      );
    }
    if (g.minNodeCount > g.nodeCount || g.nodeCount > g.maxNodeCount) {
      errors.push(`${g.name}: need min_node_count <= node_count <= max_node_count`);
    }
    // Only default-worker's bounds are fixed: the driver reads them from the cluster labels
    // (magnum_capi_helm driver.py `_get_node_counts`), and labels force a new cluster. Every other
    // group's max is re-rendered into machineCountMax on a node-group update (`update_nodegroup`).
    if (g.role === 'default-worker' && g.autoscale) {
      warnings.push(
        `${g.name}: its min/max (${g.minNodeCount}..${g.maxNodeCount}) come from the cluster labels and ` +
          'cannot change after creation (labels force a new cluster); other node groups can be resized later',
      );
    }
  }
  // Jetstream2 nodes carry only the driver's node-group label: anything else would match no node.
  const selector = Object.entries(plan.user.nodeSelector);
  if (selector.length !== 1 || plan.user.nodeSelector[NODE_GROUP_LABEL] !== plan.user.group) {
    errors.push(
      `user.nodeSelector must be exactly {${NODE_GROUP_LABEL}: ${plan.user.group}} — the only label ` +
        "Jetstream2's nodes carry (node-group labels and roles are not propagated)",
    );
  }
  checkQuota(need, config.quota, errors, warnings);
  errors.push(...hubErrors(config));
  return { errors, warnings, need };
}

/** Throws InputError GUARDRAIL listing every error; returns the warnings otherwise. */
export function assertGuardrails(plan: NodeGroupPlan, config: Jetstream2Config = {}): GuardrailResult {
  const result = checkGuardrails(plan, config);
  if (result.errors.length > 0) {
    throw new InputError('GUARDRAIL', result.errors.join('\n'), {
      hint:
        'fix the plan (`rehearse plan` with other capacity.flavors or limits) or jetstream2.yaml; ' +
        'Magnum would reject this cluster or it would not fit the allocation',
    });
  }
  return result;
}

function flavorOrError(
  catalogue: ReturnType<typeof jetstream2Catalogue>,
  group: string,
  name: string,
  errors: string[],
) {
  try {
    return findFlavor(catalogue, name);
  } catch (err) {
    if (!(err instanceof RehearseError)) throw err;
    errors.push(`${group}: unknown Jetstream2 flavor "${name}" (${err.hint ?? ''})`);
    return undefined;
  }
}

/**
 * A public, long-lived hub: an ingress with a public host name must get TLS (cert-manager, installed
 * by default, an issuer of your own, or secrets you create), and BinderHub must not build anything
 * from anyone at any rate (an allowlist, or BinderHub's rate limit).
 */
export function hubErrors(config: Jetstream2Config): string[] {
  const b = config.binderhub ?? {};
  const errors: string[] = [];
  const tls = b.tls ?? {};
  if (tls.certManager === false && !tls.clusterIssuer && !tls.existingSecrets) {
    errors.push(
      'binderhub.tls: certManager: false leaves the public hosts without TLS — give clusterIssuer (your ' +
        'cert-manager issuer) or existingSecrets: true (you create binderSecret/hubSecret), or drop certManager: false',
    );
  }
  if (b.rateLimit === 0 && (b.repos?.allowedSpecs ?? []).length === 0) {
    errors.push(
      'binderhub: rateLimit 0 with no repos.allowedSpecs would build any repository for anyone, without limit — ' +
        'list the organisations you serve (e.g. allowedSpecs: ["^ProjectPythia/.*$"]) or keep a rate limit',
    );
  }
  return errors;
}

const WHAT = { cores: 'cores', ramGB: 'GB RAM', floatingIps: 'floating IPs' } as const;

/**
 * Against the quotas in jetstream2.yaml an overrun is an error; with none given, against Jetstream2's
 * startup-allocation defaults (150 cores, 585 GB, 10 floating IPs), only a warning — the real quota may
 * already have been raised.
 */
function checkQuota(need: Quota, quota: Quota | undefined, errors: string[], warnings: string[]): void {
  const have = quota ?? DEFAULT_QUOTAS.startup.cpu!;
  for (const what of ['cores', 'ramGB', 'floatingIps'] as const) {
    if (need[what] <= have[what]) continue;
    if (quota) {
      errors.push(
        `quota: the cluster can grow to ${need[what]} ${WHAT[what]} but the allocation has ${have[what]} ` +
          `(jetstream2.yaml quota.${what}); ask Jetstream2 for more or lower max_node_count`,
      );
    } else {
      warnings.push(
        `quota: the cluster can grow to ${need[what]} ${WHAT[what]}; a startup allocation has ` +
          `${have[what]} by default — request an increase, and put your quotas under quota: in jetstream2.yaml`,
      );
    }
  }
}
