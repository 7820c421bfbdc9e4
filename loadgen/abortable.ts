/**
 * Settle with `p`, or reject with the signal's reason as soon as `signal` aborts. `p` itself goes
 * on; the caller undoes what it was doing (closing the socket, deleting the kernel stops a cell).
 */
export function abortable<T>(p: Promise<T>, signal: AbortLike | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What a wait needs of an abort signal: AbortSignal, or a LocalAbort in front of one. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * One owner's view of an AbortSignal, for many short waits in a row (a simulated user's think
 * times and cells): ONE listener on the signal for the owner's life, and the waits' listeners in a
 * plain array. Node's EventTarget validates and books every add/remove (about a microsecond each,
 * two per wait, a fifth of the runner's CPU per cell when measured); this costs a push and a splice.
 */
export class LocalAbort implements AbortLike {
  private listeners: (() => void)[] = [];

  constructor(private readonly source: AbortSignal) {
    source.addEventListener(
      'abort',
      () => {
        const all = this.listeners;
        this.listeners = [];
        for (const l of all) l();
      },
      { once: true },
    );
  }

  get aborted(): boolean {
    return this.source.aborted;
  }

  get reason(): unknown {
    return this.source.reason;
  }

  /** Listeners registered and not yet removed (waits under way). */
  get waiting(): number {
    return this.listeners.length;
  }

  /** Listeners run once (the signal aborts once); `options` is accepted for AbortSignal's shape. */
  addEventListener(_type: 'abort', listener: () => void, _options?: { once?: boolean }): void {
    this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.lastIndexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
}
