import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigurationOptions, CoreV1Api, Log, ObservableMiddleware } from '@kubernetes/client-node';
import { kubeErrorText } from '../../core/with-signal.js';

/**
 * Following one worker pod's log for the k8s launcher (k8s-launcher.ts). A log stream that ends or
 * breaks while the pod still runs (kubelet log rotation, an apiserver restart) is followed again
 * from a little before the last line (`sinceTime`); the lines may repeat, and the coordinator drops
 * those it has seen by their `seq`. After `REFOLLOWS` more breaks it gives up.
 */

const REFOLLOWS = 5;
const REFOLLOW_OVERLAP_MS = 10_000;

/** What every follower of one launcher shares. */
export interface PodLogSource {
  namespace: string;
  core: CoreV1Api;
  logs: Log;
  /** Options for one API call: bounded by the API timeout and by the launcher's close(). */
  call: () => ConfigurationOptions<ObservableMiddleware>;
  /** Aborted by the launcher's close(): no more following. */
  closing: AbortSignal;
  pollMs?: number;
  /** Waiting for a log request's response headers is given up after this (default 30 s). */
  apiTimeoutMs?: number;
  log?: (line: string) => void;
}

export class PodFollower {
  /** The current log stream's PassThrough and request. */
  private out?: PassThrough;
  private request?: AbortController;

  /** `killed`: aborted by the launcher's kill() of this worker. */
  constructor(
    private readonly src: PodLogSource,
    private readonly index: number,
    private readonly killed: AbortSignal,
  ) {}

  /**
   * The pod's log, followed again after a break while the pod runs (lines may repeat: seq).
   * Returns how the log ended while the pod still ran, when it gave up following it.
   */
  async *lines(pod: string): AsyncGenerator<string, string | undefined> {
    let lastLineAt: number | undefined;
    for (let attempt = 0; attempt <= REFOLLOWS; attempt++) {
      if (this.killed.aborted || this.src.closing.aborted) return undefined;
      const since =
        lastLineAt === undefined
          ? undefined
          : new Date(lastLineAt - REFOLLOW_OVERLAP_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const out = await this.openLog(pod, since);
      if (out) {
        for await (const text of createInterface({ input: out, crlfDelay: Number.POSITIVE_INFINITY })) {
          lastLineAt = Date.now();
          yield text;
        }
      }
      if (this.killed.aborted || this.src.closing.aborted) return undefined;
      const state = await this.containerState(pod);
      if (state !== 'running') return undefined;
      this.src.log?.(`worker ${this.index}: the log of pod ${pod} ended while it runs: following it again`);
      await sleep(this.src.pollMs ?? 2000, undefined, { signal: this.killed }).catch(() => undefined);
    }
    return `its log ended ${REFOLLOWS + 1} times while pod ${pod} still ran`;
  }

  /** Abort the current log request and end its stream (the launcher's kill() and close()). */
  stop(): void {
    this.request?.abort();
    this.out?.end();
  }

  /**
   * One follow request. client-node's Log pipes the response into `out` and does not end it when
   * the response breaks (pipe() leaves the destination open on a source error): end it ourselves
   * on the source's error or close, and on kill()/close().
   */
  private async openLog(pod: string, sinceTime?: string): Promise<Readable | undefined> {
    const out = new PassThrough();
    out.on('pipe', (src: Readable) => {
      src.once('error', (err) => {
        this.src.log?.(`worker ${this.index}: the log stream of pod ${pod} broke: ${err.message}`);
        out.end();
      });
      src.once('close', () => out.end());
    });
    this.out = out;
    const signal = AbortSignal.any([this.killed, this.src.closing]);
    const opened = this.src.logs.log(this.src.namespace, pod, 'worker', out, {
      follow: true,
      ...(sinceTime ? { sinceTime } : {}),
    });
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(this.src.apiTimeoutMs ?? 30_000)]);
    const gaveUp = new Promise<undefined>((resolve) =>
      timeout.addEventListener('abort', () => resolve(undefined), { once: true }),
    );
    try {
      const request = await Promise.race([opened, gaveUp]);
      if (!request) {
        // Gave up waiting for the response headers: abort it whenever it does come.
        opened
          .then((r) => r.abort())
          .catch((err: unknown) => this.src.log?.(`worker ${this.index}: ${kubeErrorText(err)}`));
        out.end();
        return undefined;
      }
      this.request = request;
      if (signal.aborted) request.abort();
      return out;
    } catch (err) {
      this.src.log?.(`worker ${this.index}: cannot read the log of pod ${pod}: ${kubeErrorText(err)}`);
      out.end();
      return undefined;
    }
  }

  private async containerState(pod: string): Promise<'running' | 'terminated' | 'gone'> {
    try {
      const p = await this.src.core.readNamespacedPod(
        { name: pod, namespace: this.src.namespace },
        this.src.call(),
      );
      return p.status?.containerStatuses?.[0]?.state?.terminated ? 'terminated' : 'running';
    } catch (err) {
      if ((err as { code?: number }).code === 404) return 'gone';
      this.src.log?.(`reading pod ${pod}: ${kubeErrorText(err)}`);
      return 'gone';
    }
  }
}
