import { CLUSTER_RECORD_VERSION, type ClusterRecord, type MetricsAvailability } from '../record/cluster.js';
import { derive, Sampler } from './derive.js';
import { type KubeClient, kubeClient } from './kube-client.js';
import { parseQuantity } from './kube-objects.js';
import { errorText, type ListWatchOptions, runListWatch, sleep, statusOf } from './list-watch.js';
import { ClusterState } from './state.js';

/**
 * The cluster observer (`rehearse run --kubeconfig <file> --namespace <ns>`): list+watch of nodes,
 * the namespace's pods and events, and a poll of metrics.k8s.io, for the length of a run. It never
 * fails the run: whatever it cannot do (bad kubeconfig, RBAC, no metrics API, an unreachable API
 * server) becomes a warning — through `onWarning` as it happens, and in the record — and the rest
 * goes on. `stop()` ends every request and resolves within `stopTimeoutMs` whatever the server does.
 */
export interface ObserverOptions {
  kubeconfigPath: string;
  namespace: string;
  /** A context of the kubeconfig other than its current one. */
  context?: string;
  /** The run's clock: ms since the run's start. */
  now: () => number;
  /** The run's start, epoch ms (to place Kubernetes timestamps on the run's clock); default Date.now() − now(). */
  runStartWallMs?: number;
  /** Aborting it ends the watches early (stop() still returns what was seen). */
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
  /** A timeline sample at most this often (default 5 s). */
  sampleEveryMs?: number;
  /** metrics.k8s.io poll period (default 15 s, metrics-server's default resolution). */
  metricsEveryMs?: number;
  listTimeoutMs?: number;
  watchSeconds?: number;
  backoff?: ListWatchOptions['backoff'];
  stopTimeoutMs?: number;
  /** A ready client instead of loading kubeconfigPath (tests). */
  client?: KubeClient;
}

export interface Observer {
  /** End every watch and poll; resolves within stopTimeoutMs with everything seen. Idempotent. */
  stop(): Promise<ClusterRecord>;
  /** What was seen so far (for a live display), without stopping. */
  snapshot(): ClusterRecord;
  readonly warnings: readonly string[];
}

const RBAC: Record<string, string> = {
  nodes:
    'a ClusterRole with get, list, watch on nodes (kubectl create clusterrole rehearse-observer --verb=get,list,watch --resource=nodes, and a ClusterRoleBinding to the account)',
  pods: 'a Role in the namespace with get, list, watch on pods',
  events: 'a Role in the namespace with get, list, watch on events',
  metrics: 'get, list on pods.metrics.k8s.io in the namespace',
};

export function startObserver(o: ObserverOptions): Observer {
  const warnings: string[] = [];
  const warn = (message: string) => {
    if (warnings.length >= 100 || warnings.includes(message)) return;
    warnings.push(message);
    o.onWarning?.(message);
  };
  const from = o.now();
  const runStartWallMs = o.runStartWallMs ?? Date.now() - from;
  const observedFromWall = Date.now();
  const state = new ClusterState();
  const sampler = new Sampler();
  let metrics: MetricsAvailability = 'not-tried';
  /** The record so far; the final one also takes a last sample (the state at stop). */
  const record = (final: boolean): ClusterRecord => {
    if (final) sampler.offer(state.sample(o.now()));
    const d = derive(state, runStartWallMs, observedFromWall, metrics);
    return {
      version: CLUSTER_RECORD_VERSION,
      namespace: o.namespace,
      from,
      to: o.now(),
      samples: [...sampler.samples],
      ...d,
      events: state.eventNotes(runStartWallMs),
      eventsDropped: state.eventsDropped,
      warnings: [...warnings],
    };
  };

  let client: KubeClient;
  try {
    client = o.client ?? kubeClient(o.kubeconfigPath, o.context);
  } catch (err) {
    const hint = (err as { hint?: string }).hint;
    warn(`cluster observer off: ${(err as Error).message}${hint ? ` (${hint})` : ''}`);
    return { stop: async () => record(true), snapshot: () => record(false), warnings };
  }

  const stopper = new AbortController();
  const signal = o.signal ? AbortSignal.any([stopper.signal, o.signal]) : stopper.signal;
  const ns = o.namespace;
  const describe = (what: string, err: unknown, fatal: boolean) => {
    const status = statusOf(err);
    const message = errorText(err);
    if (status === 403) {
      return `cluster observer: forbidden to list/watch ${what} (403); needs ${RBAC[what]}; continuing without ${what}`;
    }
    if (status === 401) {
      return `cluster observer: the Kubernetes API at ${client.server} rejected the kubeconfig's credentials (401); refresh them (openstack coe cluster config); no ${what}`;
    }
    return fatal
      ? `cluster observer: gave up watching ${what} after repeated failures (last: ${message}); the timeline stops there`
      : `cluster observer: ${what} list/watch failed (${message}); retrying with backoff`;
  };
  const stream = (
    name: 'nodes' | 'pods' | 'events',
    path: string,
    list: ListWatchOptions['list'],
    onList: ListWatchOptions['onList'],
    onEvent: ListWatchOptions['onEvent'],
  ) =>
    runListWatch({
      name,
      path,
      watch: client.watch,
      list,
      onList: (items) => {
        onList(items);
        if (name !== 'events') sampler.offer(state.sample(o.now()));
      },
      onEvent,
      onError: (err, fatal) => warn(describe(name, err, fatal)),
      signal,
      ...(o.listTimeoutMs === undefined ? {} : { listTimeoutMs: o.listTimeoutMs }),
      ...(o.watchSeconds === undefined ? {} : { watchSeconds: o.watchSeconds }),
      ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
    });

  const loops: Promise<unknown>[] = [
    stream(
      'nodes',
      '/api/v1/nodes',
      (s) => client.listNodes(s),
      (items) => state.replaceNodes(items),
      (type, obj) => state.applyNode(type, obj),
    ),
    stream(
      'pods',
      `/api/v1/namespaces/${ns}/pods`,
      (s) => client.listPods(ns, s),
      (items) => state.replacePods(items),
      (type, obj) => state.applyPod(type, obj),
    ),
    stream(
      'events',
      `/api/v1/namespaces/${ns}/events`,
      (s) => client.listEvents(ns, s),
      (items) => {
        for (const i of items) state.applyEvent(i);
      },
      (_type, obj) => state.applyEvent(obj),
    ),
    pollMetrics(),
  ];
  const timer = setInterval(() => sampler.offer(state.sample(o.now())), o.sampleEveryMs ?? 5000);
  timer.unref();

  /** Poll metrics.k8s.io; 404 (no metrics-server) or 403 ends it with a warning, other errors retry. */
  async function pollMetrics(): Promise<void> {
    let failures = 0;
    const every = o.metricsEveryMs ?? 15_000;
    while (!signal.aborted) {
      try {
        const list = await client.podMetrics(
          ns,
          AbortSignal.any([signal, AbortSignal.timeout(o.listTimeoutMs ?? 30_000)]),
        );
        metrics = 'available';
        failures = 0;
        for (const item of list.items ?? []) {
          let memory = 0;
          let cpu = 0;
          for (const c of item.containers ?? []) {
            memory += parseQuantity(c.usage?.memory) ?? 0;
            cpu += parseQuantity(c.usage?.cpu) ?? 0;
          }
          state.applyUsage(item.metadata?.name ?? '', memory, cpu);
        }
      } catch (err) {
        if (signal.aborted) return;
        const status = statusOf(err);
        if (status === 404) {
          if (metrics === 'not-tried') metrics = 'absent';
          warn(
            'cluster observer: metrics.k8s.io is not served by this cluster (404): no CPU/memory figures, so no peak memory per user; install metrics-server to get them',
          );
          return;
        }
        if (status === 403 || status === 401) {
          metrics = 'forbidden';
          warn(
            `cluster observer: forbidden to read pod metrics (${status}); needs ${RBAC.metrics}; no memory figures`,
          );
          return;
        }
        if (metrics !== 'available') metrics = 'failed';
        warn(`cluster observer: reading pod metrics failed (${errorText(err)}); retrying`);
        if (++failures >= 5) return;
      }
      await sleep(every, signal);
    }
  }

  let stopped: Promise<ClusterRecord> | undefined;
  return {
    warnings,
    snapshot: () => record(false),
    stop() {
      stopped ??= (async () => {
        clearInterval(timer);
        stopper.abort();
        let timeout: NodeJS.Timeout | undefined;
        const late = await Promise.race([
          Promise.allSettled(loops).then(() => false),
          new Promise<boolean>((resolve) => {
            timeout = setTimeout(() => resolve(true), o.stopTimeoutMs ?? 5000);
          }),
        ]);
        clearTimeout(timeout);
        if (late)
          warn(
            'cluster observer: a Kubernetes request did not end within the stop timeout; left to close on its own',
          );
        return record(true);
      })();
      return stopped;
    },
  };
}
