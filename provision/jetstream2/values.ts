/**
 * BinderHub chart values from a NodeGroupPlan (pure; the binderhub stack releases them). Strings may
 * carry Terraform expressions such as `${var.binder_host}` for what jetstream2.yaml did not give;
 * `splitValues` separates those parts so the stack can hand them to Terraform's `yamlencode`, which
 * quotes every string: a host or user named `no`, `*` or `&x` stays a string.
 *
 * Placement: Jetstream2's nodes carry only the driver's `capi.stackhpc.com/node-group=<group>` label
 * (node-group labels and roles are not propagated, capacity.md §1.6), so every pod is placed by that
 * label and z2jh's node-purpose affinity is switched off (`matchNodePurpose: ignore`), as 2i2c does
 * for Pythia (§3.1): hub, proxy, user-scheduler and binder on `core`; user servers, placeholders,
 * builds (the dind daemonset and the image cleaner) on the user group.
 */
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { largePlaceholderRequests } from './prescale.js';

const GIB = 2 ** 30;

export interface BinderhubValuesInput {
  plan: NodeGroupPlan;
  /** BinderHub and JupyterHub host names (or Terraform expressions). */
  binderHost: string;
  hubHost: string;
  ingressClassName: string;
  tls: { clusterIssuer?: string; binderSecret: string; hubSecret: string };
  /** Registry API URL and user; the password goes in through a sensitive `set`, never in these values. */
  registry: { url: string; username: string; imagePrefix: string };
  /** BinderHub RateLimiter.limit (launches per client IP per hour); 0 turns it off for rehearsals. */
  rateLimit: number;
  /** GitHubRepoProvider.allowed_specs / banned_specs (regular expressions); empty: not set. */
  repos: { allowedSpecs: string[]; bannedSpecs: string[] };
  /** Cap on the image builders' disk (GiB). */
  dindDiskGiB: number;
  cull: { timeoutSec: number; everySec: number };
  /**
   * userPlaceholder.replicas: a Terraform variable (0 between events), never the plan's event-size
   * number — placeholders at that size would keep the nodes they fill on, all year. A number, or
   * the variable's expression as a string.
   */
  placeholderReplicas: number | string;
}

/** Chart values are JSON-like data. */
export type Values = { [key: string]: unknown };

/** Inside the cluster, BinderHub reaches JupyterHub through z2jh's proxy-public service. */
export const HUB_URL_LOCAL = 'http://proxy-public/';

export function binderhubValues(input: BinderhubValuesInput): Values {
  const { plan } = input;
  const core = coreSelector(plan);
  const user = plan.user.nodeSelector;
  const ingress = (host: string, secretName: string, kind: 'binder' | 'hub') => ({
    enabled: true,
    ingressClassName: input.ingressClassName,
    hosts: [host],
    annotations: ingressAnnotations(kind, input.tls.clusterIssuer),
    tls: [{ hosts: [host], secretName }],
  });
  const { guarantee, limit } = plan.user;
  return {
    nodeSelector: core,
    service: { type: 'ClusterIP' },
    // Jetstream2 nodes run containerd with no Docker socket, so the chart's default `host` builder
    // has nothing to talk to: builds use a Docker-in-Docker daemonset.
    imageBuilderType: 'dind',
    registry: { url: input.registry.url, username: input.registry.username },
    config: {
      BinderHub: {
        use_registry: true,
        image_prefix: input.registry.imagePrefix,
        hub_url: `https://${input.hubHost}`,
        // The chart's deployment uses `hub_url_local | default hub_url`: without it BinderHub talks
        // to the hub through the public ingress (DNS, TLS and the load balancer on every launch).
        hub_url_local: HUB_URL_LOCAL,
        // The dind daemonset and the image cleaner are placed by this selector (chart
        // templates/container-builder/daemonset.yaml, image-cleaner.yaml), the build pods by
        // KubernetesBuildExecutor.node_selector: both on the user group, where the builds run.
        build_node_selector: user,
      },
      ...repoProvider(input.repos),
      // BinderHub's default is 10 launches per client IP per hour: a rehearsal from one machine
      // would be refused after 10 attendees (protocols.md). Restore it after the rehearsal.
      RateLimiter: { limit: input.rateLimit },
      KubernetesBuildExecutor: { node_selector: user },
    },
    ingress: ingress(input.binderHost, input.tls.binderSecret, 'binder'),
    // The dind daemonset keeps images on a hostPath, which no sizeLimit can bound: the image cleaner
    // in absolute mode (bytes; "use absolute mode when you are using DIND", docker-image-cleaner)
    // prunes — with the node cordoned — once the builders' disk passes the cap.
    imageCleaner: {
      enabled: true,
      imageGCThresholdType: 'absolute',
      imageGCThresholdHigh: input.dindDiskGiB * GIB,
      imageGCThresholdLow: Math.floor(input.dindDiskGiB * 0.6) * GIB,
    },
    jupyterhub: {
      hub: { concurrentSpawnLimit: plan.hub.concurrentSpawnLimit, nodeSelector: core },
      proxy: { service: { type: 'ClusterIP' }, chp: { nodeSelector: core } },
      singleuser: {
        nodeSelector: user,
        startTimeout: plan.hub.startTimeoutSec,
        // Bytes and cores as numbers: KubeSpawner reads a bare number as bytes, so no unit ambiguity
        // (KubeSpawner's "G" is 2^30, Kubernetes' is 10^9).
        cpu: { guarantee: guarantee.cpu, limit: limit.cpu },
        memory: { guarantee: guarantee.memory, limit: limit.memory },
      },
      scheduling: z2jhScheduling(input),
      // No prePuller settings: the BinderHub chart turns z2jh's hook and continuous pullers off
      // (every repository has its own image), so a prePuller.hook.nodeSelector would do nothing.
      cull: { enabled: true, timeout: input.cull.timeoutSec, every: input.cull.everySec },
      ingress: ingress(input.hubHost, input.tls.hubSecret, 'hub'),
    },
  };
}

/**
 * Ingress annotations for NGINX Inc's controller, as 2i2c sets them (basehub values.yaml): no
 * buffering and a 120 s read timeout (BinderHub's build log is a long event stream), websocket
 * upgrades on the hub (kernels), 256m bodies (notebook uploads), and cert-manager's issuer with
 * http01-edit-in-place (nginx-ingress refuses the duplicate host of a separate ACME ingress).
 */
/**
 * z2jh's `scheduling` for either chart shape. Placeholders at priority -10: the lowest that still
 * triggers scale-up (cluster-autoscaler's expendable-pods cutoff, capacity.md §4.3) and below every
 * user pod, so they are evicted first; one placeholder holds one node (provision prescale): what a
 * node's users are guaranteed.
 */
export function z2jhScheduling(input: Pick<BinderhubValuesInput, 'plan' | 'placeholderReplicas'>): Values {
  const { plan } = input;
  return {
    podPriority: { enabled: true, userPlaceholderPriority: plan.user.placeholders.priority },
    userPlaceholder: {
      enabled: true,
      replicas: input.placeholderReplicas,
      resources: { requests: largePlaceholderRequests(plan) },
    },
    userScheduler: { nodeSelector: coreSelector(plan) },
    corePods: { nodeAffinity: { matchNodePurpose: 'ignore' } },
    userPods: { nodeAffinity: { matchNodePurpose: 'ignore' } },
  };
}

export function ingressAnnotations(kind: 'binder' | 'hub', clusterIssuer?: string): Record<string, string> {
  return {
    'nginx.org/client-max-body-size': '256m',
    'nginx.org/proxy-buffering': 'false',
    'nginx.org/proxy-read-timeout': '120s',
    ...(kind === 'hub'
      ? {
          'nginx.org/location-snippets':
            'proxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection $connection_upgrade;\n',
        }
      : {}),
    ...(clusterIssuer
      ? {
          'cert-manager.io/cluster-issuer': clusterIssuer,
          'acme.cert-manager.io/http01-edit-in-place': 'true',
        }
      : {}),
  };
}

/** BinderHub's GitHubRepoProvider allow/deny lists, when given. */
export function repoProvider(repos: { allowedSpecs: string[]; bannedSpecs: string[] }): Values {
  const provider: Values = {
    ...(repos.allowedSpecs.length > 0 ? { allowed_specs: repos.allowedSpecs } : {}),
    ...(repos.bannedSpecs.length > 0 ? { banned_specs: repos.bannedSpecs } : {}),
  };
  return Object.keys(provider).length > 0 ? { GitHubRepoProvider: provider } : {};
}

/** nodeSelector of the plan's core group (its labels carry capi.stackhpc.com/node-group). */
export function coreSelector(plan: NodeGroupPlan): Record<string, string> {
  const core = plan.groups.find((g) => g.role === 'core');
  return { 'capi.stackhpc.com/node-group': core?.name ?? 'core' };
}

/**
 * Split values into `fixed` (plain data) and `templated` (every leaf for which `isExpression` holds,
 * with the maps above it). A list that holds an expression anywhere goes to `templated` whole: Helm
 * merges maps key by key but replaces lists. Deep-merging the two gives the values back.
 */
export function splitValues(
  values: Values,
  isExpression: (leaf: unknown) => boolean,
): { fixed: Values; templated: Values } {
  const fixed: Values = {};
  const templated: Values = {};
  for (const [key, value] of Object.entries(values)) {
    if (isPlainObject(value)) {
      const inner = splitValues(value, isExpression);
      if (Object.keys(inner.fixed).length > 0) fixed[key] = inner.fixed;
      if (Object.keys(inner.templated).length > 0) templated[key] = inner.templated;
    } else if (holdsExpression(value, isExpression)) {
      templated[key] = value;
    } else {
      fixed[key] = value;
    }
  }
  return { fixed, templated };
}

/** `b` merged into `a`, maps key by key and everything else replaced, as Helm merges values files. */
export function mergeValues(a: Values, b: Values): Values {
  const out: Values = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeValues(prev, value) : value;
  }
  return out;
}

function holdsExpression(value: unknown, isExpression: (leaf: unknown) => boolean): boolean {
  if (Array.isArray(value)) return value.some((v) => holdsExpression(v, isExpression));
  if (isPlainObject(value)) return Object.values(value).some((v) => holdsExpression(v, isExpression));
  return isExpression(value);
}

function isPlainObject(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
