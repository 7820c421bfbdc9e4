import type { Watch } from '@kubernetes/client-node';
import type { KubeObject } from './kube-objects.js';
import type { WatchType } from './state.js';

/**
 * A bounded list+watch loop on client-node's `Watch`.
 *
 * Why not client-node 1.4's `ListWatch` / `makeInformer` (dist/cache.js):
 * - after any error other than 410 it emits `error` and stops for good (the caller must restart it,
 *   with no backoff of its own); after a normal close or a 410 it relists/rewatches at once, so a
 *   server that closes immediately spins it in a tight loop;
 * - its list function takes no AbortSignal, and `stop()` aborts only a watch whose request has
 *   already returned headers: a stop during a list or a connect leaves that request running;
 * - its cache holds list items as typed objects (Date timestamps) but watch items as raw JSON.
 * Here: every list has a timeout and the stop signal; a watch asks the server to end it after
 * `watchSeconds` and a watchdog ends it locally a little later; 410 Gone (as HTTP status or as a
 * watch ERROR event) relists from scratch; other failures back off exponentially and give up after
 * `maxFailures` in a row. `Watch.watch` itself cannot be aborted before the server answers (it
 * returns its AbortController only then): such a request is aborted as soon as it returns.
 */

export interface ListResult {
  items: KubeObject[];
  metadata?: { resourceVersion?: string };
}

export interface ListWatchOptions {
  /** For messages: 'nodes', 'pods', 'events'. */
  name: string;
  /** The watch path, e.g. /api/v1/nodes. */
  path: string;
  watch: Pick<Watch, 'watch'>;
  list: (signal: AbortSignal) => Promise<ListResult>;
  /** A (re)list: the full current set. */
  onList: (items: KubeObject[]) => void;
  onEvent: (type: WatchType, obj: KubeObject) => void;
  /** A failure; `fatal` when the loop gives up (forbidden, or too many failures in a row). */
  onError: (err: unknown, fatal: boolean) => void;
  signal: AbortSignal;
  listTimeoutMs?: number;
  /** Server-side timeoutSeconds of each watch request. */
  watchSeconds?: number;
  backoff?: { initialMs?: number; maxMs?: number; maxFailures?: number };
}

export interface ListWatchStats {
  lists: number;
  watches: number;
  gone: number;
  failures: number;
}

class GoneError extends Error {
  readonly statusCode = 410;
}

/** The HTTP status of a client-node error (Watch: `statusCode`; generated API: `code`). */
export function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; code?: unknown } | null;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return typeof e?.code === 'number' ? e.code : undefined;
}

/**
 * A one-line description of a client-node error: ApiException messages are "HTTP-Code: N\nMessage:
 * …\nBody: <the whole Status JSON>…"; keep the code and the Status message.
 */
export function errorText(err: unknown): string {
  const e = err as { message?: unknown; body?: unknown } | null;
  const status = statusOf(err);
  let body: unknown = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not JSON: the status code alone says enough.
    }
  }
  const detail = (body as { message?: unknown } | null)?.message;
  if (status !== undefined && typeof detail === 'string') return `HTTP ${status}: ${detail}`;
  const first = String(e?.message ?? err).split('\n')[0] ?? '';
  return status !== undefined && !first.includes(String(status)) ? `HTTP ${status}: ${first}` : first;
}

/** Wait ms, or less if the signal aborts; leaves no listener behind. */
export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Runs until `signal` aborts or the loop gives up; never rejects. */
export async function runListWatch(o: ListWatchOptions): Promise<ListWatchStats> {
  const stats: ListWatchStats = { lists: 0, watches: 0, gone: 0, failures: 0 };
  const initialMs = o.backoff?.initialMs ?? 1000;
  const maxMs = o.backoff?.maxMs ?? 30_000;
  // A run lasts hours; an API server restart or a control-plane upgrade must not end the
  // observation: at the default 30 s cap, 60 failures in a row is about half an hour of outage.
  const maxFailures = o.backoff?.maxFailures ?? 60;
  const listTimeoutMs = o.listTimeoutMs ?? 30_000;
  const watchSeconds = o.watchSeconds ?? 300;
  let rv = '';
  let failuresInRow = 0;
  let goneInRow = 0;
  while (!o.signal.aborted) {
    try {
      if (rv === '') {
        const list = await o.list(AbortSignal.any([o.signal, AbortSignal.timeout(listTimeoutMs)]));
        stats.lists++;
        o.onList(list.items ?? []);
        rv = list.metadata?.resourceVersion ?? '';
      }
      stats.watches++;
      const started = Date.now();
      const received = await watchOnce(o, rv, watchSeconds, (next) => {
        rv = next;
      });
      // A watch that ends at once with nothing in it is a misbehaving server: back off as for a
      // failure rather than reconnecting in a tight loop.
      goneInRow = 0;
      if (received > 0 || Date.now() - started >= 1000) failuresInRow = 0;
      else await backoff();
    } catch (err) {
      if (o.signal.aborted) break;
      const status = statusOf(err);
      if (status === 410 || err instanceof GoneError) {
        // The resourceVersion fell out of the server's window: relist (and say so in stats).
        // A second 410 straight after a fresh list is the server misbehaving: back off then.
        stats.gone++;
        rv = '';
        if (++goneInRow > 1) await backoff();
        continue;
      }
      stats.failures++;
      if (status === 401 || status === 403) {
        o.onError(err, true);
        break;
      }
      if (failuresInRow + 1 >= maxFailures) {
        o.onError(err, true);
        break;
      }
      o.onError(err, false);
      await backoff();
    }
  }
  return stats;

  // Exponential backoff: initialMs · 2^(k−1) for the k-th failure in a row, at most maxMs.
  async function backoff() {
    failuresInRow++;
    await sleep(Math.min(maxMs, initialMs * 2 ** (failuresInRow - 1)), o.signal);
  }
}

/**
 * One watch request from `rv`. Resolves with the number of objects received when the server ends
 * the stream (or the watchdog or the stop signal does); rejects with a GoneError on a 410 ERROR
 * event, or with the request's error.
 */
function watchOnce(
  o: ListWatchOptions,
  rv: string,
  watchSeconds: number,
  setRv: (rv: string) => void,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let received = 0;
    let settled = false;
    let controller: AbortController | undefined;
    const watchdog = setTimeout(() => finish(() => resolve(received)), watchSeconds * 1000 + 10_000);
    const onAbort = () => finish(() => resolve(received));
    o.signal.addEventListener('abort', onAbort, { once: true });
    function finish(settle: () => void) {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      o.signal.removeEventListener('abort', onAbort);
      controller?.abort();
      settle();
    }
    const query = { resourceVersion: rv, timeoutSeconds: watchSeconds, allowWatchBookmarks: true };
    o.watch
      .watch(
        o.path,
        query,
        (type: string, obj: KubeObject & { code?: number; message?: string }) => {
          if (settled) return;
          if (type === 'ERROR') {
            const err = obj.code === 410 ? new GoneError(obj.message ?? 'Gone') : statusError(obj);
            finish(() => reject(err));
            return;
          }
          const next = obj.metadata?.resourceVersion;
          if (next) setRv(next);
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
            received++;
            o.onEvent(type, obj);
          }
        },
        (err: unknown) => finish(() => (err ? reject(err) : resolve(received))),
      )
      .then(
        (c) => {
          controller = c;
          if (settled) c.abort();
        },
        (err: unknown) => finish(() => reject(err)),
      );
  });
}

function statusError(obj: { code?: number; message?: string }): Error & { statusCode?: number } {
  const err: Error & { statusCode?: number } = new Error(`watch error: ${obj.message ?? 'unknown'}`);
  if (typeof obj.code === 'number') err.statusCode = obj.code;
  return err;
}
