import { setMaxListeners } from 'node:events';
import type { ArrivalPlan } from '../arrivals.js';
import type { Clock } from '../clock.js';
import type { MetricStore } from '../metrics/store.js';
import type { RunEvent } from '../record/types.js';
import type { ProgressSnapshot, RunReporter } from './reporter.js';
import { runUser, type UserContext, type UserResult, type UserState } from './user.js';

/**
 * Executes an arrival plan (open model): every planned user is started at its scheduled time,
 * whatever the hub does; users run concurrently as async state machines. The runner owns the
 * clock, counts states for progress, flushes metric intervals, and decides to stop early:
 *   - the caller's `stop` (Ctrl-C, an abortOnFail threshold via `shouldStop`),
 *   - a BinderHub rate limit (429): launching more would only collect refusals.
 * A stop lets started users leave cleanly (launches drain); `abort` cancels everything.
 */

export interface RunPlanOptions {
  plan: ArrivalPlan;
  clock: Clock;
  user: Omit<UserContext, 'clock' | 'emit' | 'event' | 'stop' | 'abort' | 'onState'>;
  store: MetricStore;
  event(ev: RunEvent): void;
  reporter?: RunReporter;
  stop: AbortSignal;
  abort: AbortSignal;
  /** Checked every `checkEveryMs` of run time; a string stops the run with that reason. */
  shouldStop?: () => string | undefined;
  checkEveryMs?: number;
  progressEveryMs?: number;
  /** Called as each user's result is known (a distributed worker streams them to its coordinator). */
  onUserEnd?: (r: UserResult) => void;
}

export interface RunOutcome {
  results: UserResult[];
  stopReason?: string;
  endedAt: number;
}

export const RATE_LIMIT_STOP =
  'BinderHub answered 429 "Rate limit exceeded": launching stopped. Set `c.RateLimiter.limit = 0` on the hub under test, use build tokens, or spread the load over workers.';

/** A user in these states holds a server. */
const holds = (s: UserState) => s !== 'waiting' && s !== 'launching' && s !== 'leaving' && s !== 'done';

export async function runPlan(o: RunPlanOptions): Promise<RunOutcome> {
  const { clock, store } = o;
  const stopCtl = new AbortController();
  const stop = AbortSignal.any([o.stop, stopCtl.signal]);
  const arrivalsCtl = new AbortController(); // stop launching, let sessions go on
  const doneCtl = new AbortController();
  // Every user listens to these run-long signals: no leak warning for thousands of listeners.
  setMaxListeners(0, stop, o.abort, arrivalsCtl.signal, o.stop, stopCtl.signal);
  let stopReason: string | undefined;
  const stopWith = (reason: string) => {
    if (stopCtl.signal.aborted) return;
    stopReason = reason;
    o.event({ type: 'stop', t: clock.now(), reason });
    o.reporter?.onMessage?.(`stopping: ${reason}`);
    stopCtl.abort(new Error(reason));
  };
  const stopArrivals = (reason: string) => {
    if (arrivalsCtl.signal.aborted) return;
    stopReason ??= reason;
    o.event({ type: 'stop', t: clock.now(), reason });
    o.reporter?.onMessage?.(`no more arrivals: ${reason}`);
    arrivalsCtl.abort(new Error(reason));
  };
  o.stop.addEventListener('abort', () => stopWith(String((o.stop.reason as Error)?.message ?? 'stopped')), {
    once: true,
  });

  const counts = { arrived: 0, launching: 0, ready: 0, inCells: 0, completed: 0, failed: 0, late: 0 };
  const onState = (_user: string, from: UserState, to: UserState) => {
    if (from === 'waiting' && to === 'launching') counts.arrived += 1;
    if (to === 'launching') counts.launching += 1;
    if (from === 'launching') counts.launching -= 1;
    if (holds(to) && !holds(from)) counts.ready += 1;
    if (!holds(to) && holds(from)) counts.ready -= 1;
    if (to === 'in-cell') counts.inCells += 1;
    if (from === 'in-cell') counts.inCells -= 1;
  };
  const ctx: UserContext = {
    ...o.user,
    clock,
    stop,
    noMoreArrivals: arrivalsCtl.signal,
    abort: o.abort,
    onState,
    emit: (s) => {
      if (s.kind === 'rate' && s.metric === 'arrival.late' && s.hit) counts.late += s.count ?? 1;
      store.add(s);
    },
    event: (ev) => {
      o.event(ev);
      if (ev.type !== 'user-end') return;
      if (ev.outcome === 'completed') counts.completed += 1;
      else counts.failed += 1;
      if (ev.reason === 'rate-limit') stopArrivals(RATE_LIMIT_STOP);
    },
  };

  o.event({ type: 'run-start', t: clock.now(), plannedUsers: o.plan.arrivals.length });
  // allSettled: one user's unexpected error must not end the run for the others.
  const runOne = (a: (typeof o.plan.arrivals)[number]) =>
    o.onUserEnd
      ? runUser(ctx, a).then((r) => {
          o.onUserEnd?.(r);
          return r;
        })
      : runUser(ctx, a);
  const users = Promise.allSettled(o.plan.arrivals.map(runOne)).then((settled) =>
    settled.map((s, i): UserResult => {
      if (s.status === 'fulfilled') return s.value;
      const id = o.plan.arrivals[i]?.id ?? String(i);
      o.reporter?.onMessage?.(`user ${id}: unexpected error: ${(s.reason as Error)?.message ?? s.reason}`);
      const failed: UserResult = { id, outcome: 'failed', reason: 'other', cellsRun: 0, kept: false };
      o.onUserEnd?.(failed);
      return failed;
    }),
  );
  void users.finally(() => doneCtl.abort());
  const snapshot = (): ProgressSnapshot => ({
    t: clock.now(),
    planned: o.plan.arrivals.length,
    ...counts,
    launchReadyP95: store.cumulativeP('launch.ready', 95),
  });
  const ticker = (async () => {
    const every = o.progressEveryMs ?? 1000;
    const checkEvery = o.checkEveryMs ?? 10_000;
    let nextCheck = checkEvery;
    const wake = AbortSignal.any([o.abort, doneCtl.signal]);
    for (let tick = every; !doneCtl.signal.aborted; tick += every) {
      try {
        await clock.sleepUntil(tick, wake);
      } catch {
        return; // all users done, or aborted
      }
      store.flushUntil(clock.now());
      o.reporter?.onProgress?.(snapshot());
      if (clock.now() >= nextCheck) {
        nextCheck += checkEvery;
        const reason = o.shouldStop?.();
        if (reason) stopWith(reason);
      }
    }
  })();
  const results = await users;
  await ticker;
  const endedAt = clock.now();
  store.flushUntil(endedAt); // the caller closes the store (after its own last samples)
  o.reporter?.onProgress?.(snapshot());
  return { results, stopReason, endedAt };
}
