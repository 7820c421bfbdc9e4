/**
 * Bounded waits for the coordinator (STYLE: every wait bounded): iterate until a signal, settle a
 * promise or fall back when a signal fires, a signal that fires some time after another, and a
 * concurrency-bounded map that stops starting work once its signal fires.
 */

/**
 * The items of `src` until `signal` aborts (then it returns at once, even while `src` waits).
 * The abandoned iterator is told to return; a rejection it gives after that goes to `late`.
 */
export async function* until<T>(
  src: AsyncIterable<T>,
  signal: AbortSignal,
  late: (err: unknown) => void,
): AsyncGenerator<T> {
  if (signal.aborted) return;
  const it = src[Symbol.asyncIterator]();
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    onAbort = () => resolve({ done: true, value: undefined });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  let pending: Promise<IteratorResult<T>> | undefined;
  try {
    for (;;) {
      pending = it.next();
      const r = await Promise.race([pending, stopped]);
      if (r.done) return;
      pending = undefined;
      yield r.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (pending) {
      pending.catch(late);
      Promise.resolve(it.return?.()).catch(late);
    }
  }
}

/** `p`, or `fallback()` if `signal` aborts first. */
export function orWhen<T>(p: Promise<T>, signal: AbortSignal, fallback: () => T): Promise<T> {
  if (signal.aborted) return Promise.resolve(fallback());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => resolve(fallback());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** A signal that aborts `ms` after `signal` does (at once + ms if it already has), or after `maxMs`. */
export function graceAfter(signal: AbortSignal, ms: number, maxMs: number): AbortSignal {
  const ctl = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const fire = (why: string) => {
    for (const t of timers) clearTimeout(t);
    signal.removeEventListener('abort', onAbort);
    ctl.abort(new Error(why));
  };
  const onAbort = () => {
    const t = setTimeout(() => fire(`${ms} ms after the abort`), ms);
    t.unref();
    timers.push(t);
  };
  const max = setTimeout(() => fire(`after ${Math.round(maxMs / 1000)} s`), maxMs);
  max.unref();
  timers.push(max);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return ctl.signal;
}

/**
 * fn over items, at most `limit` at a time, in order of the items; once `signal` aborts no new
 * item starts and the ones not started get `skipped(item)`. Results in the items' order.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  fn: (item: T) => Promise<R>,
  skipped: (item: T) => R,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      const item = items[i] as T;
      out[i] = signal.aborted ? skipped(item) : await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
