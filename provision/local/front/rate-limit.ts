/**
 * BinderHub's `RateLimiter` (binderhub/ratelimit.py): `limit` requests per remote IP in a fixed
 * (not sliding) window of `periodSec`; off when limit is 0. Time is injected.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    readonly periodSec: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Count one request from `key`; returns what to send back, or `exceeded`. */
  increment(key: string): { exceeded: boolean; remaining: number; resetEpochSec: number } {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || t >= w.resetAt) {
      w = { count: 0, resetAt: t + this.periodSec * 1000 };
      this.windows.set(key, w);
    }
    w.count += 1;
    return {
      exceeded: w.count > this.limit,
      remaining: Math.max(0, this.limit - w.count),
      resetEpochSec: Math.floor(w.resetAt / 1000),
    };
  }
}
