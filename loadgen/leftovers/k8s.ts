import { BatchV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubeErrorText, withSignal } from '../../core/with-signal.js';
import { defaultKubeConfig } from '../distributed/k8s-launcher.js';

/**
 * Delete one Kubernetes object a dead distributed run left (its worker Job, ConfigMap, token
 * Secret), with the kubeconfig the run used (the ledger records its path, never its content).
 * 404 counts as gone. Bounded: 30 s per call.
 */
export type K8sDelete = (o: {
  object: 'Job' | 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
  kubeconfig?: string;
}) => Promise<'deleted' | 'absent'>;

export function k8sDeleter(kubeConfig?: KubeConfig): K8sDelete {
  return async ({ object, namespace, name, kubeconfig }) => {
    const kc = kubeConfig ?? defaultKubeConfig(kubeconfig);
    const opts = withSignal(AbortSignal.timeout(30_000));
    try {
      if (object === 'Job') {
        await kc
          .makeApiClient(BatchV1Api)
          .deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }, opts);
      } else if (object === 'Secret') {
        await kc.makeApiClient(CoreV1Api).deleteNamespacedSecret({ name, namespace }, opts);
      } else await kc.makeApiClient(CoreV1Api).deleteNamespacedConfigMap({ name, namespace }, opts);
      return 'deleted';
    } catch (err) {
      if ((err as { code?: number }).code === 404) return 'absent';
      throw new Error(kubeErrorText(err), { cause: err });
    }
  };
}
