import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
import type { CleanupLine } from '../runner/targets.js';
import type { WorkerConfig } from './config.js';
import type { Launcher, WorkerExit, WorkerHandle } from './coordinator.js';
import { jobName, workerManifests } from './k8s-manifests.js';

/**
 * `--workers k8s:N`: creates the ConfigMap (+ token Secret) and the Indexed Job, follows each
 * pod's log (pods found by the labels `job-name` and `batch.kubernetes.io/job-completion-index`),
 * and deletes everything (propagationPolicy Background) at the end and on abort. Every call goes
 * through client-node's CoreV1Api, BatchV1Api and Log. One log stream per pod: if it breaks
 * while the pod still runs, the worker is reported lost (lines are never re-read, so never
 * counted twice).
 */
export class K8sLauncher implements Launcher {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly logs: Log;
  private name: string | undefined;
  private created: { kind: 'ConfigMap' | 'Secret' | 'Job'; name: string }[] = [];
  private readonly streams: AbortController[] = [];

  constructor(
    private readonly o: {
      namespace: string;
      image: string;
      workers: number;
      token?: string;
      activeDeadlineSeconds: number;
      kubeConfig?: KubeConfig;
      /** `--kubeconfig`: this file instead of $KUBECONFIG / ~/.kube/config. */
      kubeconfigPath?: string;
      pollMs?: number;
      /** A pod still not running this long after the start counts as lost. */
      podStartTimeoutMs: number;
    },
  ) {
    const kc = o.kubeConfig ?? defaultKubeConfig(o.kubeconfigPath);
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.logs = new Log(kc);
  }

  async start(config: WorkerConfig): Promise<WorkerHandle[]> {
    const name = jobName(config.runId);
    this.name = name;
    const namespace = this.o.namespace;
    const m = workerManifests({ ...this.o, name, config });
    await this.core.createNamespacedConfigMap({ namespace, body: m.configMap });
    this.created.push({ kind: 'ConfigMap', name });
    if (m.secret) {
      await this.core.createNamespacedSecret({ namespace, body: m.secret });
      this.created.push({ kind: 'Secret', name: `${name}-token` });
    }
    await this.batch.createNamespacedJob({ namespace, body: m.job });
    this.created.push({ kind: 'Job', name });
    const deadline = config.startAt + this.o.podStartTimeoutMs;
    return Array.from({ length: this.o.workers }, (_, index) => this.handle(name, index, deadline));
  }

  private handle(job: string, index: number, deadline: number): WorkerHandle {
    const selector = `job-name=${job},batch.kubernetes.io/job-completion-index=${index}`;
    let pod: string | undefined;
    let linesEnded: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      linesEnded = resolve;
    });
    const h: WorkerHandle = {
      index,
      where: `${job} index ${index}`,
      lines: this.follow(selector, deadline, linesEnded, (p) => {
        pod = p;
        h.where = `pod ${p}`;
      }),
      // Read once the log has ended: the container's exit code and reason.
      exited: ended.then(() =>
        pod ? this.exitOf(pod) : { code: null, signal: null, detail: 'its pod never ran' },
      ),
      kill: () => {
        if (pod) void this.deletePod(pod);
      },
    };
    return h;
  }

  private async *follow(
    selector: string,
    deadline: number,
    ended: () => void,
    found: (pod: string) => void,
  ): AsyncGenerator<string> {
    try {
      yield* this.podLines(selector, deadline, found);
    } finally {
      ended();
    }
  }

  private async *podLines(
    selector: string,
    deadline: number,
    found: (pod: string) => void,
  ): AsyncGenerator<string> {
    const namespace = this.o.namespace;
    let running: V1Pod | undefined;
    while (Date.now() < deadline) {
      const pods = await this.core.listNamespacedPod({ namespace, labelSelector: selector });
      running = pods.items.find((p) => ['Running', 'Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
      if (running) break;
      await sleep(this.o.pollMs ?? 2000);
    }
    const name = running?.metadata?.name;
    if (!name) return;
    found(name);
    const out = new PassThrough();
    this.streams.push(await this.logs.log(namespace, name, 'worker', out, { follow: true }));
    yield* createInterface({ input: out, crlfDelay: Number.POSITIVE_INFINITY });
  }

  private async exitOf(pod: string): Promise<WorkerExit> {
    for (let i = 0; i < 30; i++) {
      const p = await this.core
        .readNamespacedPod({ name: pod, namespace: this.o.namespace })
        .catch(() => undefined);
      const term = p?.status?.containerStatuses?.[0]?.state?.terminated;
      if (!p) return { code: null, signal: null, detail: 'the pod is gone' };
      if (term)
        return { code: term.exitCode, signal: term.signal ? String(term.signal) : null, detail: term.reason };
      await sleep(this.o.pollMs ?? 2000);
    }
    return { code: null, signal: null, detail: 'its log ended while the pod still ran' };
  }

  private async deletePod(name: string): Promise<void> {
    await this.core
      .deleteNamespacedPod({ name, namespace: this.o.namespace, gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }

  async stopAll(): Promise<void> {
    if (!this.name) return;
    // Deleting the Job sends SIGTERM to its pods: the workers stop arrivals and their users leave.
    await this.batch.deleteNamespacedJob({
      name: this.name,
      namespace: this.o.namespace,
      propagationPolicy: 'Background',
    });
  }

  async close(): Promise<CleanupLine[]> {
    for (const s of this.streams) s.abort();
    const lines: CleanupLine[] = [];
    const namespace = this.o.namespace;
    for (const c of [...this.created].reverse()) {
      const del =
        c.kind === 'Job'
          ? this.batch.deleteNamespacedJob({ name: c.name, namespace, propagationPolicy: 'Background' })
          : c.kind === 'Secret'
            ? this.core.deleteNamespacedSecret({ name: c.name, namespace })
            : this.core.deleteNamespacedConfigMap({ name: c.name, namespace });
      try {
        await del;
        lines.push({ what: `${c.kind} ${namespace}/${c.name}`, ok: true, detail: 'deleted' });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) {
          lines.push({ what: `${c.kind} ${namespace}/${c.name}`, ok: true, detail: 'already gone' });
          continue;
        }
        lines.push({
          what: `${c.kind} ${namespace}/${c.name}`,
          ok: false,
          detail: (err as Error).message,
          command: `kubectl -n ${namespace} delete ${c.kind.toLowerCase()} ${c.name}`,
        });
      }
    }
    this.created = [];
    return lines;
  }
}

function defaultKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
