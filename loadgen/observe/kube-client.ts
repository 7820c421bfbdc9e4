import { CoreV1Api, CustomObjectsApi, KubeConfig, Watch } from '@kubernetes/client-node';
import { RehearseError } from '../../core/errors.js';
import { withSignal } from '../../core/with-signal.js';
import type { ListResult } from './list-watch.js';

/**
 * The few Kubernetes calls the observer and `provision doctor` make, through client-node 1.4,
 * each abortable (the generated API takes a signal only through a request middleware).
 */
export interface KubeClient {
  server: string;
  watch: Watch;
  listNodes(signal: AbortSignal): Promise<ListResult>;
  listPods(namespace: string, signal: AbortSignal): Promise<ListResult>;
  listEvents(namespace: string, signal: AbortSignal): Promise<ListResult>;
  /** metrics.k8s.io/v1beta1 PodMetrics of the namespace (404 when metrics-server is not installed). */
  podMetrics(namespace: string, signal: AbortSignal): Promise<PodMetricsList>;
}

export interface PodMetricsList {
  items?: {
    metadata?: { name?: string };
    containers?: { name?: string; usage?: Record<string, string> }[];
  }[];
}

/**
 * Load a kubeconfig file (its current context, or `context`). A file that cannot be read or has
 * no usable cluster is a RehearseError KUBECONFIG_INVALID with a hint.
 */
export function kubeClient(kubeconfigPath: string, context?: string): KubeClient {
  const kc = new KubeConfig();
  const hint =
    'Give --kubeconfig the file `openstack coe cluster config <cluster>` wrote (or ~/.kube/config); ' +
    'check it with `kubectl --kubeconfig <file> get nodes`.';
  try {
    kc.loadFromFile(kubeconfigPath);
    if (context !== undefined) kc.setCurrentContext(context);
  } catch (err) {
    throw new RehearseError(
      'KUBECONFIG_INVALID',
      `cannot load kubeconfig ${kubeconfigPath}: ${(err as Error).message}`,
      {
        hint,
        cause: err,
      },
    );
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new RehearseError('KUBECONFIG_INVALID', `kubeconfig ${kubeconfigPath} has no current cluster`, {
      hint,
    });
  }
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  return {
    server: cluster.server,
    watch: new Watch(kc),
    listNodes: (signal) => core.listNode({}, withSignal(signal)) as Promise<ListResult>,
    listPods: (namespace, signal) =>
      core.listNamespacedPod({ namespace }, withSignal(signal)) as Promise<ListResult>,
    listEvents: (namespace, signal) =>
      core.listNamespacedEvent({ namespace }, withSignal(signal)) as Promise<ListResult>,
    podMetrics: (namespace, signal) =>
      custom.listNamespacedCustomObject(
        { group: 'metrics.k8s.io', version: 'v1beta1', namespace, plural: 'pods' },
        withSignal(signal),
      ) as Promise<PodMetricsList>,
  };
}
