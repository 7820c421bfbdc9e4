import { performance } from 'node:perf_hooks';
import type { AbortLike } from './abortable.js';

/**
 * The runner's time. Only the runner and the simulated users touch it; everything they measure is
 * in milliseconds since the run's start. Tests drive a FakeClock instead of sleeping.
 */
export interface Clock {
  /** ms since the run started (monotonic). */
  now(): number;
  /** Resolves at `t` (ms since start), at once if `t` has passed; rejects when `signal` aborts. */
  sleepUntil(t: number, signal?: AbortLike): Promise<void>;
  /** Wall-clock time of a run offset, for records people read. */
  wallTime(t: number): Date;
}

export class RealClock implements Clock {
  private readonly origin: number;

  /**
   * `wallOrigin`: the wall-clock ms (since the epoch) of run time 0; default now. The wall clock
   * is read once, here; after that the clock is monotonic (performance.now).
   */
  constructor(private readonly wallOrigin = Date.now()) {
    this.origin = performance.now() - (Date.now() - wallOrigin);
  }

  now(): number {
    return performance.now() - this.origin;
  }

  sleepUntil(t: number, signal?: AbortLike): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const wait = t - this.now();
    if (wait <= 0) return Promise.resolve(); // due already: no timer, no listener
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  wallTime(t: number): Date {
    return new Date(this.wallOrigin + t);
  }
}

/**
 * A clock tests move by hand: `advance(ms)` runs every sleeper whose time has come, in time order,
 * letting promise continuations run between them (so a woken user can schedule its next sleep).
 */
export class FakeClock implements Clock {
  private t = 0;
  private sleepers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  /**
   * `lateBy`: every sleeper wakes this many ms after its time, as a saturated generator would
   * (for coordinated-omission tests: latencies must still be measured from the scheduled time).
   */
  constructor(
    private readonly wallOrigin = Date.UTC(2026, 0, 1),
    private readonly lateBy = 0,
  ) {}

  now(): number {
    return this.t;
  }

  sleepUntil(t: number, signal?: AbortLike): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (t <= this.t) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== entry);
        reject(signal?.reason);
      };
      const entry = {
        at: t + this.lateBy,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Move time forward by `ms`, waking sleepers in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flushMicrotasks();
  }

  /** Number of pending sleepers (for tests). */
  get pending(): number {
    return this.sleepers.length;
  }

  wallTime(t: number): Date {
    return new Date(this.wallOrigin + t);
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
