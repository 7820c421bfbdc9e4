import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { InputError } from '../../core/errors.js';
import { withTimeout } from '../../core/with-signal.js';
import { autoscalerCheck, type DoctorCheck, placeholdersCheck } from './doctor-checks.js';
import { certificate, clusterState } from './doctor-fetch.js';

/**
 * `rehearse provision doctor`: is the cluster what the plan says, and is BinderHub up?
 *
 *   api      the Kubernetes API answers a node list with the kubeconfig's credentials
 *   ready    every node is Ready
 *   labels   every worker node carries capi.stackhpc.com/node-group (Magnum's CAPI driver sets it;
 *            nodegroup role/labels never reach the nodes, capacity.md §1.6), and with a plan:
 *            each plan group has between minNodeCount and maxNodeCount Ready nodes, and the user
 *            group's nodes match the plan's user nodeSelector (else user pods never schedule)
 *   autoscaler, placeholders   cluster-autoscaler-status and pending placeholders (doctor-checks.ts)
 *   binder   BinderHub's /health answers 200 with {"ok": true}
 *   certificate  for an https --binder-url: the certificate it serves is trusted and not expiring
 * Each check says what it found and, when it fails, what to do. `unreachable` marks a check that
 * failed because the API server or BinderHub could not be reached or refused us (CLI exit 3).
 */
export const NODE_GROUP_LABEL = 'capi.stackhpc.com/node-group';

export type { DoctorCheck } from './doctor-checks.js';

export interface DoctorOptions {
  kubeconfigPath: string;
  context?: string;
  plan?: NodeGroupPlan;
  binderUrl?: string;
  timeoutMs?: number;
  /** BinderHub's namespace (the placeholders), default binderhub. */
  namespace?: string;
  now?: () => number;
}

export async function runDoctor(o: DoctorOptions): Promise<DoctorCheck[]> {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const now = o.now ?? Date.now;
  const checks: DoctorCheck[] = [];
  const kc = loadKubeconfig(o);
  const nodes = await listNodes(kc, timeoutMs, checks);
  if (nodes) {
    checks.push(readyCheck(nodes));
    checks.push(labelCheck(nodes, o.plan));
    const cluster = await clusterState(kc, o.namespace ?? 'binderhub', withTimeout(timeoutMs));
    checks.push(autoscalerCheck(cluster.autoscalerStatus, o.plan, now()));
    checks.push(placeholdersCheck(cluster.placeholders, o.namespace ?? 'binderhub', now()));
  }
  if (o.binderUrl !== undefined) {
    checks.push(await binderHealth(o.binderUrl, timeoutMs));
    if (new URL(o.binderUrl).protocol === 'https:')
      checks.push(await certificate(o.binderUrl, timeoutMs, now()));
  }
  return checks;
}

/** The cluster's kubeconfig, or invalid input saying where one comes from. */
export function loadKubeconfig(o: { kubeconfigPath: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(o.kubeconfigPath);
    if (o.context !== undefined) kc.setCurrentContext(o.context);
  } catch (err) {
    throw new InputError(
      'KUBECONFIG_INVALID',
      `cannot load kubeconfig ${o.kubeconfigPath}: ${(err as Error).message}`,
      {
        hint: '`provision apply` writes one; else `openstack coe cluster config <cluster> --dir <dir>`, and pass that file to --kubeconfig.',
        cause: err,
      },
    );
  }
  return kc;
}

async function listNodes(kc: KubeConfig, timeoutMs: number, checks: DoctorCheck[]): Promise<V1Node[] | null> {
  const server = kc.getCurrentCluster()?.server ?? '(no cluster)';
  const withSignal = withTimeout(timeoutMs);
  try {
    const list = await kc.makeApiClient(CoreV1Api).listNode({}, withSignal);
    checks.push({ name: 'api', ok: true, detail: `${server} answered: ${list.items.length} nodes` });
    return list.items;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const status = typeof code === 'number' ? code : undefined;
    const detail =
      status === undefined
        ? `${server} unreachable: ${(err as Error).message.split('\n')[0]}`
        : `${server} answered HTTP ${status} to a node list`;
    const hint =
      status === 401
        ? 'The credentials were rejected: fetch a fresh kubeconfig (openstack coe cluster config).'
        : status === 403
          ? 'The account may not list nodes: give it a ClusterRole with get, list, watch on nodes.'
          : 'Check the cluster is up (openstack coe cluster show) and that this machine may reach its API load balancer (api_master_lb_allowed_cidrs).';
    checks.push({
      name: 'api',
      ok: false,
      detail,
      hint,
      unreachable: status === undefined || status === 401 || status === 403,
    });
    return null;
  }
}

const isReady = (n: V1Node) =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const isControlPlane = (n: V1Node) => {
  const labels = n.metadata?.labels ?? {};
  return 'node-role.kubernetes.io/control-plane' in labels || 'node-role.kubernetes.io/master' in labels;
};

export function readyCheck(nodes: readonly V1Node[]): DoctorCheck {
  const notReady = nodes.filter((n) => !isReady(n)).map((n) => n.metadata?.name ?? '?');
  if (nodes.length === 0) {
    return {
      name: 'ready',
      ok: false,
      detail: 'the cluster has no nodes',
      hint: 'Wait for Magnum to finish creating the cluster.',
    };
  }
  return notReady.length === 0
    ? { name: 'ready', ok: true, detail: `all ${nodes.length} nodes Ready` }
    : {
        name: 'ready',
        ok: false,
        detail: `${notReady.length} of ${nodes.length} nodes not Ready: ${notReady.join(', ')}`,
        hint: 'New nodes take a few minutes (kubectl describe node <name>); one stuck NotReady may need its machine deleted so CAPI replaces it.',
      };
}

/** Ready worker nodes by node-group label; control-plane nodes do not count. */
export function nodesByGroup(nodes: readonly V1Node[]): {
  groups: Map<string, V1Node[]>;
  unlabelled: string[];
} {
  const groups = new Map<string, V1Node[]>();
  const unlabelled: string[] = [];
  for (const n of nodes) {
    if (isControlPlane(n)) continue;
    const g = n.metadata?.labels?.[NODE_GROUP_LABEL];
    if (g === undefined) unlabelled.push(n.metadata?.name ?? '?');
    else groups.set(g, [...(groups.get(g) ?? []), n]);
  }
  return { groups, unlabelled };
}

export function labelCheck(nodes: readonly V1Node[], plan?: NodeGroupPlan): DoctorCheck {
  const { groups, unlabelled } = nodesByGroup(nodes);
  const problems: string[] = [];
  if (unlabelled.length > 0) problems.push(`no ${NODE_GROUP_LABEL} label on ${unlabelled.join(', ')}`);
  if (plan) {
    for (const g of plan.groups) {
      const ready = (groups.get(g.name) ?? []).filter(isReady).length;
      if (ready < g.minNodeCount || ready > g.maxNodeCount) {
        problems.push(
          `group ${g.name}: ${ready} Ready nodes, plan says ${g.minNodeCount}..${g.maxNodeCount}`,
        );
      }
    }
    const userNodes = groups.get(plan.user.group) ?? [];
    const selector = Object.entries(plan.user.nodeSelector);
    const mismatched = userNodes.filter((n) => selector.some(([k, v]) => n.metadata?.labels?.[k] !== v));
    if (mismatched.length > 0) {
      const want = selector.map(([k, v]) => `${k}=${v}`).join(',');
      problems.push(
        `user nodes without the plan's nodeSelector ${want}: ${mismatched.map((n) => n.metadata?.name).join(', ')}`,
      );
    }
  }
  const found = [...groups].map(([g, ns]) => `${g}: ${ns.length}`).join(', ') || 'no labelled nodes';
  if (problems.length === 0) return { name: 'labels', ok: true, detail: `node groups ${found}` };
  return {
    name: 'labels',
    ok: false,
    detail: `${problems.join('; ')} (found ${found})`,
    hint: plan
      ? 'Create or resize the node groups as the plan says (rehearse provision apply --plan <plan>), or plan again for this cluster.'
      : 'Nodes of a Magnum CAPI node group carry the label; a node without it was not made by a node group.',
  };
}

/** BinderHub's /health: 200 and {"ok": true, "checks": [{service, ok}]} (503 when a check fails). */
export async function binderHealth(binderUrl: string, timeoutMs: number): Promise<DoctorCheck> {
  const url = new URL('health', binderUrl.endsWith('/') ? binderUrl : `${binderUrl}/`).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return {
      name: 'binder',
      ok: false,
      detail: `${url} unreachable (${cause})`,
      hint: 'Check --binder-url and that the BinderHub ingress has its DNS name and certificate.',
      unreachable: true,
    };
  }
  let body: { ok?: unknown; checks?: { service?: string; ok?: boolean }[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = {};
  }
  if (res.status === 200 && body.ok === true) return { name: 'binder', ok: true, detail: `${url}: ok` };
  const failing = (body.checks ?? []).filter((c) => c.ok === false).map((c) => c.service ?? '?');
  return {
    name: 'binder',
    ok: false,
    detail: `${url} answered ${res.status}${failing.length ? `; failing: ${failing.join(', ')}` : ''}`,
    hint: 'kubectl -n <binderhub namespace> get pods; the hub and the docker/registry checks are the usual culprits.',
  };
}
