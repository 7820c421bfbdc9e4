/**
 * What doctor-checks.ts judges, fetched: the autoscaler's status ConfigMap and the placeholder pods
 * through the Kubernetes API, and the certificate the ingress serves (a TLS handshake). Each bounded
 * by the caller's timeout.
 */
import { connect } from 'node:tls';
import {
  type ConfigurationOptions,
  CoreV1Api,
  type KubeConfig,
  type ObservableMiddleware,
} from '@kubernetes/client-node';
import { type CertificateSeen, certificateCheck, type DoctorCheck, type PodLite } from './doctor-checks.js';

const notFound = (err: unknown) => (err as { code?: unknown }).code === 404;

export async function clusterState(
  kc: KubeConfig,
  namespace: string,
  options: ConfigurationOptions<ObservableMiddleware>,
): Promise<{ autoscalerStatus: string | undefined; placeholders: PodLite[] | undefined }> {
  const core = kc.makeApiClient(CoreV1Api);
  let autoscalerStatus: string | undefined;
  try {
    const cm = await core.readNamespacedConfigMap(
      { name: 'cluster-autoscaler-status', namespace: 'kube-system' },
      options,
    );
    autoscalerStatus = cm.data?.status;
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  let placeholders: PodLite[] | undefined;
  try {
    const pods = await core.listNamespacedPod(
      { namespace, labelSelector: 'component=user-placeholder' },
      options,
    );
    placeholders = pods.items.map((p) => ({
      name: p.metadata?.name ?? '?',
      ...(p.status?.phase ? { phase: p.status.phase } : {}),
      ...(p.metadata?.creationTimestamp ? { created: new Date(p.metadata.creationTimestamp).getTime() } : {}),
    }));
  } catch (err) {
    if (!notFound(err)) throw err;
  }
  return { autoscalerStatus, placeholders };
}

/** The certificate `url`'s host serves, verified against the system's CAs for that name. */
export async function certificate(url: string, timeoutMs: number, now: number): Promise<DoctorCheck> {
  const { hostname, port } = new URL(url);
  const seen = await new Promise<CertificateSeen | Error>((resolve) => {
    const socket = connect({
      host: hostname,
      port: Number(port || 443),
      servername: hostname,
      rejectUnauthorized: false,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate();
      resolve({
        validTo: c.valid_to,
        subject: [c.subject?.CN ?? ''].flat().join(' '),
        issuer: [c.issuer?.O ?? [], c.issuer?.CN ?? []].flat().join(' '),
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
      });
      socket.end();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
  if (seen instanceof Error) {
    return {
      name: 'certificate',
      ok: false,
      detail: `${hostname}: ${seen.message}`,
      hint: 'Is DNS pointing at the ingress load balancer (kubectl -n nginx-ingress get svc)?',
      unreachable: true,
    };
  }
  return certificateCheck(hostname, seen, now);
}
