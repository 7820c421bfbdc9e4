import type { V1ConfigMap, V1EnvVar, V1Job, V1ObjectMeta, V1Secret } from '@kubernetes/client-node';
import type { WorkerConfig } from './config.js';

/**
 * The Kubernetes objects of a `--workers k8s:N` run, as client-node models (typed; `--dry-run`
 * prints them as YAML without contacting a cluster):
 *
 *   Job       <name>        Indexed (completionMode Indexed, completions = parallelism = N):
 *                           pod i runs `rehearse worker` on shard i (JOB_COMPLETION_INDEX, set by
 *                           the Job controller). backoffLimitPerIndex 0 and restartPolicy Never: a
 *                           failed (or deleted) pod fails its own index only, and is never re-run
 *                           (a re-run would replay its arrivals late and count them twice), while
 *                           the other indexes run on. maxFailedIndexes N: never stop the Job for
 *                           failed indexes; the coordinator decides. backoffLimit is left unset (it
 *                           then defaults to 2^31-1): a plain `backoffLimit: 0` would mark the whole
 *                           Job failed at the first failed pod and terminate every other pod.
 *                           ttlSecondsAfterFinished removes the Job even if the coordinator could
 *                           not.
 *   ConfigMap <name>        worker.json: the WorkerConfig (scenario, cells, seed, shards, start)
 *   Secret    <name>-token  the hub token, only when the target names a tokenEnv
 *
 * The launcher creates the Job first and the ConfigMap and Secret with an ownerReference to it
 * (`ownedBy`): Kubernetes' garbage collector deletes them with the Job.
 */

export const WORKER_CONFIG_DIR = '/etc/rehearse';
export const WORKER_CONFIG_KEY = 'worker.json';
export const TOKEN_KEY = 'token';
/** The worker image's user (deploy/worker.Dockerfile). */
export const WORKER_UID = 10001;

export interface ManifestOptions {
  name: string;
  namespace: string;
  image: string;
  workers: number;
  config: WorkerConfig;
  /** The hub token's value; undefined in a dry run (a placeholder is printed instead). */
  token?: string;
  /** Bounds the Job: the plan's last arrival + launch timeout + session + margin. */
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished?: number;
  /** Requests per worker pod (docs/scale.md). */
  cpu?: string;
  memory?: string;
}

export interface WorkerManifests {
  configMap: V1ConfigMap;
  secret?: V1Secret;
  job: V1Job;
}

/** A DNS-1123 name for the run's objects: `rehearse-<run id>`, lower case, at most 52 characters. */
export function jobName(runId: string): string {
  const clean = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `rehearse-${clean}`.slice(0, 52).replace(/-+$/, '');
}

export function workerManifests(o: ManifestOptions): WorkerManifests {
  const labels = {
    'app.kubernetes.io/name': 'rehearse',
    'app.kubernetes.io/component': 'worker',
    'app.kubernetes.io/instance': o.name,
  };
  const metadata = { name: o.name, namespace: o.namespace, labels };
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata,
    data: { [WORKER_CONFIG_KEY]: `${JSON.stringify(o.config, null, 2)}\n` },
  };
  const tokenEnv = o.config.target.tokenEnv;
  const secretName = `${o.name}-token`;
  const secret: V1Secret | undefined = tokenEnv
    ? {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...metadata, name: secretName },
        type: 'Opaque',
        stringData: { [TOKEN_KEY]: o.token ?? `<the value of $${tokenEnv} at run time>` },
      }
    : undefined;
  const env: V1EnvVar[] = tokenEnv
    ? [{ name: tokenEnv, valueFrom: { secretKeyRef: { name: secretName, key: TOKEN_KEY } } }]
    : [];
  const job: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata,
    spec: {
      completionMode: 'Indexed',
      completions: o.workers,
      parallelism: o.workers,
      backoffLimitPerIndex: 0,
      maxFailedIndexes: o.workers,
      ttlSecondsAfterFinished: o.ttlSecondsAfterFinished ?? 600,
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // A deleted Job (Ctrl-C) sends SIGTERM: users leave and stop their servers within this.
          terminationGracePeriodSeconds: 90,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: WORKER_UID,
            runAsGroup: WORKER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'worker',
              image: o.image,
              // The image's ENTRYPOINT is `node bin/rehearse.js worker`.
              args: ['--config', `${WORKER_CONFIG_DIR}/${WORKER_CONFIG_KEY}`],
              env,
              resources: {
                requests: { cpu: o.cpu ?? '1', memory: o.memory ?? '1Gi' },
                limits: { memory: o.memory ?? '1Gi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: 'config', mountPath: WORKER_CONFIG_DIR, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: o.name } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
  return secret ? { configMap, secret, job } : { configMap, job };
}

/** metadata.ownerReferences naming the run's Job: deleted with it (not a controller; no blocking). */
export function ownedBy(job: { name: string; uid: string }): Pick<V1ObjectMeta, 'ownerReferences'> {
  return {
    ownerReferences: [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: job.name,
        uid: job.uid,
        controller: false,
        blockOwnerDeletion: false,
      },
    ],
  };
}
