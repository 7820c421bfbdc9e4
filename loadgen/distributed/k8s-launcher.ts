import { setTimeout as sleep } from 'node:timers/promises';
import { BatchV1Api, CoreV1Api, KubeConfig, Log, type V1Pod } from '@kubernetes/client-node';
import { RehearseError } from '../../core/errors.js';
import { kubeErrorText, withSignal } from '../../core/with-signal.js';
import { type LedgerWriter, ledgerKey } from '../record/ledger.js';
import type { CleanupLine } from '../runner/targets.js';
import type { WorkerConfig } from './config.js';
import { jobName, ownedBy, workerManifests } from './k8s-manifests.js';
import type { Launcher, WorkerExit, WorkerHandle } from './launcher.js';
import { PodFollower, type PodLogSource } from './pod-follower.js';

/**
 * `--workers k8s:N`: creates the Indexed Job, then its ConfigMap and token Secret owned by the Job
 * (ownerReferences: Kubernetes deletes them with the Job, also when we die; the pods wait for
 * them), follows each pod's log (pods found by the labels `job-name` and
 * `batch.kubernetes.io/job-completion-index`), and deletes everything (Secret first; Job with
 * propagationPolicy Background) at the end and on abort.
 *
 * Every API call is bounded (`apiTimeoutMs`, and the handle's or close()'s signal). A pod's log
 * stream that ends or breaks while the pod still runs is followed again (pod-follower.ts). A pod
 * not running `podStartTimeoutMs` after the start is deleted and reported with its waiting reason
 * (ImagePullBackOff, …).
 */

interface PodWatch {
  index: number;
  selector: string;
  ctl: AbortController;
  pod?: string;
  follower: PodFollower;
  /** Why no pod ran, or how the log ended while the pod ran. */
  detail?: string;
}

export class K8sLauncher implements Launcher {
  private readonly core: CoreV1Api;
  private readonly batch: BatchV1Api;
  private readonly podLogs: PodLogSource;
  private job: { name: string; uid: string } | undefined;
  private created: { kind: 'ConfigMap' | 'Secret' | 'Job'; name: string }[] = [];
  private readonly watches: PodWatch[] = [];
  private readonly closing = new AbortController();
  /** Pod deletions under way (kill): close() waits for them. */
  private readonly deletions: Promise<void>[] = [];
  private ledger: LedgerWriter | undefined;

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
      /** A pod still not running this long after the start is deleted and counts as lost. */
      podStartTimeoutMs: number;
      /** Each API call (not a log stream) is given up after this (default 30 s). */
      apiTimeoutMs?: number;
      log?: (line: string) => void;
    },
  ) {
    const kc = o.kubeConfig ?? defaultKubeConfig(o.kubeconfigPath);
    this.core = kc.makeApiClient(CoreV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.podLogs = {
      namespace: o.namespace,
      core: this.core,
      logs: new Log(kc),
      call: () => this.call(),
      closing: this.closing.signal,
      pollMs: o.pollMs,
      apiTimeoutMs: o.apiTimeoutMs,
      log: o.log,
    };
  }

  useLedger(ledger: LedgerWriter): void {
    this.ledger = ledger;
  }

  private ledgerKey(object: 'ConfigMap' | 'Secret' | 'Job', name: string): string {
    return ledgerKey({ kind: 'k8s', object, namespace: this.o.namespace, name });
  }

  /** Options for one API call: bounded by the timeout, close(), and `signal`. */
  private call(signal?: AbortSignal) {
    const signals = [AbortSignal.timeout(this.o.apiTimeoutMs ?? 30_000), this.closing.signal];
    return withSignal(AbortSignal.any(signal ? [...signals, signal] : signals));
  }

  async start(config: WorkerConfig, signal: AbortSignal): Promise<WorkerHandle[]> {
    const name = jobName(config.runId);
    const namespace = this.o.namespace;
    const m = workerManifests({ ...this.o, name, config });
    // The Job first: its ConfigMap and Secret name it as their owner, so that Kubernetes removes
    // them with it even if this process dies. Its pods wait for them (volume, env) meanwhile.
    const job = await this.create('Job', name, () =>
      this.batch.createNamespacedJob({ namespace, body: m.job }, this.call()),
    );
    const uid = job.metadata?.uid;
    this.job = { name, uid: uid ?? '' };
    if (!uid)
      this.o.log?.(`Job ${namespace}/${name} came back without a uid: its ConfigMap is not owned by it`);
    const owner = uid ? ownedBy({ name, uid }) : undefined;
    await this.create('ConfigMap', name, () =>
      this.core.createNamespacedConfigMap(
        { namespace, body: { ...m.configMap, metadata: { ...m.configMap.metadata, ...owner } } },
        this.call(),
      ),
    );
    if (m.secret) {
      const secret = m.secret;
      await this.create('Secret', `${name}-token`, () =>
        this.core.createNamespacedSecret(
          { namespace, body: { ...secret, metadata: { ...secret.metadata, ...owner } } },
          this.call(),
        ),
      );
    }
    const deadline = config.startAt + this.o.podStartTimeoutMs;
    return Array.from({ length: this.o.workers }, (_, index) => this.handle(name, index, deadline, signal));
  }

  private async create<T>(
    kind: 'ConfigMap' | 'Secret' | 'Job',
    name: string,
    fn: () => Promise<T>,
  ): Promise<T> {
    const { namespace, kubeconfigPath } = this.o;
    const key = this.ledger?.intent({
      kind: 'k8s',
      object: kind,
      namespace,
      name,
      ...(kubeconfigPath ? { kubeconfig: kubeconfigPath } : {}),
    });
    try {
      await this.ledger?.durable();
      const res = await fn();
      this.created.push({ kind, name });
      if (key) this.ledger?.created(key);
      return res;
    } catch (err) {
      throw new RehearseError(
        'K8S_CREATE_FAILED',
        `cannot create ${kind} ${this.o.namespace}/${name}: ${kubeErrorText(err)}`,
        {
          hint: `The kubeconfig's user needs create/get/list/delete on jobs, configmaps, secrets and pods (and pods/log) in namespace ${this.o.namespace}: kubectl auth can-i create jobs -n ${this.o.namespace}`,
          cause: err,
        },
      );
    }
  }

  private handle(job: string, index: number, deadline: number, startSignal: AbortSignal): WorkerHandle {
    const ctl = new AbortController();
    const w: PodWatch = {
      index,
      selector: `job-name=${job},batch.kubernetes.io/job-completion-index=${index}`,
      ctl,
      follower: new PodFollower(this.podLogs, index, ctl.signal),
    };
    this.watches.push(w);
    let linesEnded: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      linesEnded = resolve;
    });
    const killed = new Promise<void>((resolve) => w.ctl.signal.addEventListener('abort', () => resolve()));
    const h: WorkerHandle = {
      index,
      where: `${job} index ${index}`,
      lines: this.follow(w, deadline, startSignal, linesEnded, (pod) => {
        h.where = `pod ${pod}`;
      }),
      // Read once the log has ended: the container's exit code and reason.
      exited: Promise.race([ended, killed]).then(() => this.exitOf(w)),
      kill: () => this.kill(w),
    };
    return h;
  }

  private async *follow(
    w: PodWatch,
    deadline: number,
    startSignal: AbortSignal,
    ended: () => void,
    found: (pod: string) => void,
  ): AsyncGenerator<string> {
    try {
      const pod = await this.waitForPod(w, deadline, startSignal);
      if (!pod) return;
      w.pod = pod;
      found(pod);
      const gaveUp = yield* w.follower.lines(pod);
      if (gaveUp) w.detail = gaveUp;
    } finally {
      ended();
    }
  }

  /** The pod's name once it runs; undefined when it did not by the deadline, or we stopped. */
  private async waitForPod(
    w: PodWatch,
    deadline: number,
    startSignal: AbortSignal,
  ): Promise<string | undefined> {
    const signal = AbortSignal.any([w.ctl.signal, startSignal, this.closing.signal]);
    let last: V1Pod | undefined;
    while (Date.now() < deadline && !signal.aborted) {
      try {
        const pods = await this.core.listNamespacedPod(
          { namespace: this.o.namespace, labelSelector: w.selector },
          this.call(signal),
        );
        last = pods.items[0];
        const running = pods.items.find((p) =>
          ['Running', 'Succeeded', 'Failed'].includes(p.status?.phase ?? ''),
        );
        if (running?.metadata?.name) return running.metadata.name;
      } catch (err) {
        if (signal.aborted) break;
        this.o.log?.(`worker ${w.index}: listing its pod: ${kubeErrorText(err)}`);
      }
      await sleep(this.o.pollMs ?? 2000, undefined, { signal }).catch(() => undefined); // the loop re-checks
    }
    w.detail = signal.aborted ? 'stopped before its pod ran' : `its pod never ran: ${waiting(last)}`;
    // Not running by the deadline: delete it, so that it does not start loading the hub late.
    if (!w.ctl.signal.aborted && !this.closing.signal.aborted && !startSignal.aborted) this.kill(w);
    return undefined;
  }

  private async exitOf(w: PodWatch): Promise<WorkerExit> {
    if (!w.pod) return { code: null, signal: null, detail: w.detail ?? 'its pod never ran' };
    if (w.ctl.signal.aborted)
      return { code: null, signal: null, detail: 'its pod was deleted by the coordinator' };
    for (let i = 0; i < 5; i++) {
      let p: V1Pod;
      try {
        p = await this.core.readNamespacedPod(
          { name: w.pod, namespace: this.o.namespace },
          this.call(w.ctl.signal),
        );
      } catch (err) {
        const gone = (err as { code?: number }).code === 404;
        return {
          code: null,
          signal: null,
          detail: gone ? 'the pod is gone' : `pod unreadable: ${kubeErrorText(err)}`,
        };
      }
      const term = p.status?.containerStatuses?.[0]?.state?.terminated;
      if (term)
        return { code: term.exitCode, signal: term.signal ? String(term.signal) : null, detail: term.reason };
      await sleep(this.o.pollMs ?? 2000, undefined, { signal: w.ctl.signal }).catch(() => undefined);
    }
    return { code: null, signal: null, detail: w.detail ?? 'its log ended while the pod still ran' };
  }

  /** Stop following and delete the pod: by name once known, else by its labels (Pending). */
  private kill(w: PodWatch): void {
    if (w.ctl.signal.aborted) return;
    w.ctl.abort(new Error('killed'));
    w.follower.stop();
    const namespace = this.o.namespace;
    // Bounded by the API timeout only: not by close(), which waits for it.
    const opts = withSignal(AbortSignal.timeout(this.o.apiTimeoutMs ?? 30_000));
    const del = w.pod
      ? this.core.deleteNamespacedPod({ name: w.pod, namespace, gracePeriodSeconds: 0 }, opts)
      : this.core.deleteCollectionNamespacedPod(
          { namespace, labelSelector: w.selector, gracePeriodSeconds: 0 },
          opts,
        );
    this.deletions.push(
      del.then(
        () => undefined,
        (err: unknown) => {
          if ((err as { code?: number }).code !== 404) {
            this.o.log?.(`worker ${w.index}: could not delete its pod: ${kubeErrorText(err)}`);
          }
        },
      ),
    );
  }

  async stopAll(): Promise<void> {
    if (!this.job) return; // nothing created yet: the coordinator asks again once start() returns
    // Deleting the Job sends SIGTERM to its pods: the workers stop arrivals and their users leave.
    try {
      await this.batch.deleteNamespacedJob(
        { name: this.job.name, namespace: this.o.namespace, propagationPolicy: 'Background' },
        this.call(),
      );
    } catch (err) {
      if ((err as { code?: number }).code === 404) return;
      throw new RehearseError(
        'K8S_DELETE_FAILED',
        `cannot delete Job ${this.job.name}: ${kubeErrorText(err)}`,
        {
          hint: `kubectl -n ${this.o.namespace} delete job ${this.job.name}`,
        },
      );
    }
  }

  async close(signal?: AbortSignal): Promise<CleanupLine[]> {
    for (const w of this.watches) w.follower.stop();
    this.closing.abort(new Error('closed'));
    await Promise.all(this.deletions);
    const lines: CleanupLine[] = [];
    const namespace = this.o.namespace;
    // The token first: the most sensitive, and the ConfigMap goes with the Job anyway.
    const order = { Secret: 0, Job: 1, ConfigMap: 2 } as const;
    for (const c of [...this.created].sort((a, b) => order[a.kind] - order[b.kind])) {
      const opts = withSignal(
        AbortSignal.any([AbortSignal.timeout(this.o.apiTimeoutMs ?? 30_000), ...(signal ? [signal] : [])]),
      );
      const what = `${c.kind} ${namespace}/${c.name}`;
      try {
        if (c.kind === 'Job') {
          await this.batch.deleteNamespacedJob(
            { name: c.name, namespace, propagationPolicy: 'Background' },
            opts,
          );
        } else if (c.kind === 'Secret')
          await this.core.deleteNamespacedSecret({ name: c.name, namespace }, opts);
        else await this.core.deleteNamespacedConfigMap({ name: c.name, namespace }, opts);
        lines.push({ what, ok: true, detail: 'deleted' });
        this.ledger?.gone(this.ledgerKey(c.kind, c.name), 'deleted');
      } catch (err) {
        if ((err as { code?: number }).code === 404) {
          lines.push({ what, ok: true, detail: 'already gone' });
          this.ledger?.gone(this.ledgerKey(c.kind, c.name), 'already gone');
          continue;
        }
        lines.push({
          what,
          ok: false,
          detail: kubeErrorText(err),
          command: `kubectl -n ${namespace} delete ${c.kind.toLowerCase()} ${c.name}`,
        });
      }
    }
    this.created = [];
    return lines;
  }
}

/** Why a pod is not running: phase, and the container's waiting reason and message. */
function waiting(pod: V1Pod | undefined): string {
  if (!pod) return 'no pod was created (see kubectl describe job: quota, admission, node selector)';
  const w = pod.status?.containerStatuses?.[0]?.state?.waiting;
  const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const why = w?.reason
    ? `${w.reason}${w.message ? `: ${w.message.slice(0, 160)}` : ''}`
    : sched?.reason
      ? `${sched.reason}${sched.message ? `: ${sched.message.slice(0, 160)}` : ''}`
      : '';
  return `${pod.status?.phase ?? 'Pending'}${why ? ` (${why})` : ''}`;
}

export function defaultKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new RehearseError('KUBECONFIG_INVALID', `cannot load the kubeconfig: ${(err as Error).message}`, {
      hint: 'Give --kubeconfig <file>, or set KUBECONFIG; check it with `kubectl get pods`.',
      cause: err,
    });
  }
  return kc;
}
