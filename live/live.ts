/**
 * `rehearse run --live` / `--metrics` on the run's own thread: starts the worker thread that serves
 * them (live/worker.ts), and hands the run a RecordTap (loadgen/record/tap.ts) and a reporter
 * wrapper. The run's thread only forwards: the events the page needs (arrivals, launches, users'
 * ends, stops, outages), each closed metrics interval, and the runner's progress once a second —
 * a postMessage each, no chart or metric work here.
 *
 * After the run: `finish()` asks the worker to write the final report (the page then links to it),
 * `close(lingerMs)` keeps serving that long (Ctrl-C ends it early), then stops the servers.
 */
import { Worker } from 'node:worker_threads';
import { InputError } from '../core/errors.js';
import type { RecordTap } from '../loadgen/record/tap.js';
import type { ProgressSnapshot, RunReporter } from '../loadgen/runner/reporter.js';
import { hostPort, type ListenAddress } from './address.js';
import type { LiveMessage } from './hub.js';
import { liveWants } from './state.js';
import type { ControlMessage, WorkerInit, WorkerReply } from './worker.js';

export interface LiveOptions {
  token: string;
  /** Serve the page (and /metrics) here. */
  page?: ListenAddress;
  /** Serve /metrics (only) here. */
  metrics?: ListenAddress;
  /** Where a problem of the live server is reported (it never stops the run). */
  warn: (line: string) => void;
}

export interface Live {
  /** The page's URL with its token; undefined without `page`. */
  pageUrl?: string;
  /** The URL Prometheus scrapes (token as a query parameter here; a bearer token works too). */
  metricsUrl: string;
  tap: RecordTap;
  /** The reporter the run gets: `inner`, plus progress forwarded to the page and the users gauge. */
  reporter<R extends RunReporter>(inner: R): R;
  /** Write the final report (after the run's record is finished); its path, or undefined on failure. */
  finish(): Promise<string | undefined>;
  /** Keep serving `lingerMs` (or until `until` fires), then stop. Idempotent. */
  close(lingerMs?: number, until?: AbortSignal): Promise<void>;
}

const FLAG = { page: '--live', metrics: '--metrics' } as const;

export async function startLive(o: LiveOptions): Promise<Live> {
  const init: WorkerInit = {
    token: o.token,
    ...(o.page ? { page: o.page } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init });
  let failed = false;
  const replies: ((m: WorkerReply) => void)[] = [];
  worker.on('message', (m: WorkerReply) => {
    for (const r of [...replies]) r(m);
  });
  worker.on('error', (err) => {
    failed = true;
    o.warn(`live page: its server stopped: ${err.message}`);
  });
  const next = <K extends WorkerReply['kind']>(...kinds: K[]) =>
    new Promise<Extract<WorkerReply, { kind: K }>>((resolve) => {
      const r = (m: WorkerReply) => {
        if (!(kinds as string[]).includes(m.kind)) return;
        replies.splice(replies.indexOf(r), 1);
        resolve(m as Extract<WorkerReply, { kind: K }>);
      };
      replies.push(r);
    });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const first = await Promise.race([next('listening', 'listen-error'), exited.then(() => null)]);
  if (first === null) throw new Error('the live server did not start (its worker thread exited)');
  if (first.kind === 'listen-error') {
    await worker.terminate();
    throw listenError(first.which, first.code, first.address, first.message);
  }
  const post = (m: LiveMessage | ControlMessage) => {
    if (!failed) worker.postMessage(m);
  };
  const url = (a: ListenAddress, port: number, path: string) =>
    `http://${hostPort({ host: a.host === '0.0.0.0' || a.host === '::' ? '127.0.0.1' : a.host, port })}${path}?token=${encodeURIComponent(o.token)}`;
  const pageUrl = o.page && first.page !== undefined ? url(o.page, first.page, '/') : undefined;
  const metricsUrl =
    o.metrics && first.metrics !== undefined
      ? url(o.metrics, first.metrics, '/metrics')
      : o.page && first.page !== undefined
        ? url(o.page, first.page, '/metrics')
        : '';

  let closing: Promise<void> | null = null;
  let runFinished = false;
  return {
    ...(pageUrl ? { pageUrl } : {}),
    metricsUrl,
    tap: {
      start: (run) => post({ kind: 'start', run }),
      event: (ev) => {
        if (liveWants(ev)) post({ kind: 'event', ev });
      },
      interval: (rec) => post({ kind: 'interval', rec }),
      finish: (summary, dir) => {
        runFinished = true;
        post({ kind: 'finish', summary, dir });
      },
    },
    reporter<R extends RunReporter>(inner: R): R {
      const onProgress = (p: ProgressSnapshot) => {
        inner.onProgress?.(p);
        post({ kind: 'progress', p });
      };
      return { ...inner, onProgress } as R;
    },
    async finish() {
      if (failed || !runFinished) return undefined; // no record was completed: nothing to report
      const done = next('report-written', 'report-failed');
      post({ kind: 'write-report' });
      const r = await Promise.race([done, exited.then(() => null)]);
      if (r === null) return undefined;
      if (r.kind === 'report-failed') {
        o.warn(`live page: the final report could not be written: ${r.message}`);
        return undefined;
      }
      return r.path;
    },
    close(lingerMs = 0, until) {
      closing ??= (async () => {
        if (lingerMs > 0 && !failed && !until?.aborted) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, lingerMs);
            until?.addEventListener(
              'abort',
              () => {
                clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
        }
        if (!failed) {
          const closed = next('closed');
          post({ kind: 'close' });
          await Promise.race([closed, exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
        }
        await worker.terminate();
      })();
      return closing;
    },
  };
}

function listenError(which: 'page' | 'metrics', code: string, a: ListenAddress, message: string): Error {
  const where = `${FLAG[which]} ${hostPort(a)}`;
  if (code === 'EADDRINUSE') {
    return new InputError('LIVE_ADDRESS_IN_USE', `${where}: the address is already in use`, {
      hint: `Another process listens on ${hostPort(a)}: choose another port, or give ${FLAG[which]} without a port (a free one is picked).`,
    });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new InputError('LIVE_ADDRESS_INVALID', `${where}: cannot listen there (${code}: ${message})`, {
      hint: 'Use an address of this machine (127.0.0.1), and a port above 1023 unless you run as root.',
    });
  }
  return new Error(`${where}: cannot listen (${code}: ${message})`);
}
