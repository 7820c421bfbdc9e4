import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';

/**
 * The run clock of a distributed run: 0 is the common start `startAt` (wall-clock ms since the
 * epoch, chosen by the coordinator a little in the future), so every worker's arrival offsets and
 * interval starts (k·10 s) mean the same instants. Before the start `now()` is negative. A worker
 * that comes up after the start begins with now() > 0: its first arrivals are due already and are
 * run at once, their lateness recorded as generator.lag and arrival.late, as for a saturated
 * generator. Monotonic after construction (performance.now); the wall clock is read once, so the
 * hosts' clock sync (NTP) bounds how well workers agree.
 */
export class EpochClock implements Clock {
  private readonly origin: number;

  constructor(private readonly startAt: number) {
    this.origin = performance.now() + (startAt - Date.now());
  }

  now(): number {
    return performance.now() - this.origin;
  }

  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (t <= this.now()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, t - this.now()),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  wallTime(t: number): Date {
    return new Date(this.startAt + t);
  }
}
