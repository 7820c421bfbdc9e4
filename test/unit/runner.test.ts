import { describe, expect, it } from 'vitest';
import type { Sample } from '../../core/metrics.js';
import { planArrivals } from '../../loadgen/arrivals.js';
import { FakeClock } from '../../loadgen/clock.js';
import { MetricStore } from '../../loadgen/metrics/store.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { RATE_LIMIT_STOP, runPlan } from '../../loadgen/runner/runner.js';
import { LaunchFailure, type LaunchResult, type TargetAdapter } from '../../loadgen/runner/targets.js';
import type { ServerApi } from '../../loadgen/runner/user.js';

// The runner and the simulated user under a fake clock: no network, no sleeping. The target and
// the Jupyter server are in-process stand-ins driven by the same clock (the protocol clients are
// tested against the real local stack elsewhere); what is under test is scheduling and timing.

interface Harness {
  clock: FakeClock;
  samples: Sample[];
  events: RunEvent[];
  stopped: string[];
}

function harness(lateBy = 0): Harness {
  return { clock: new FakeClock(undefined, lateBy), samples: [], events: [], stopped: [] };
}

/** A hub that answers nothing until `stallUntil`, then launches each server in `launchMs`. */
function stalledTarget(
  h: Harness,
  stallUntil: number,
  launchMs: number,
  fail?: (user: string) => LaunchFailure | undefined,
): TargetAdapter {
  return {
    describe: () => ({ kind: 'binderhub', binderUrl: 'http://127.0.0.1:1/' }),
    async launch(user, _t0, { signal }): Promise<LaunchResult> {
      const f = fail?.(user);
      if (f) throw f;
      await h.clock.sleepUntil(Math.max(h.clock.now(), stallUntil) + launchMs, signal);
      return {
        serverUrl: `http://127.0.0.1:1/user/${user}/`,
        token: 't',
        hubUser: user,
        readyAt: h.clock.now(),
        subPhases: {},
        firstAttempt: 'ok',
      };
    },
    async stop(server) {
      h.stopped.push(server.hubUser as string);
      return [{ what: `server of ${server.hubUser}`, ok: true, detail: 'stopped' }];
    },
  };
}

function fakeServer(h: Harness): ServerApi {
  const after = async <T>(ms: number, v: T) => {
    await h.clock.sleepUntil(h.clock.now() + ms);
    return v;
  };
  return {
    startKernel: () => after(100, { id: 'k' }),
    deleteKernel: () => after(10, 'deleted'),
    connect: () =>
      after(50, {
        execute: () =>
          after(200, {
            status: 'ok' as const,
            executionCount: 1,
            stdout: '',
            stderr: '',
            result: undefined,
            displayData: 0,
          }),
        close: () => after(5, undefined),
      }),
  };
}

async function drive(h: Harness, run: Promise<unknown>, stepMs = 500, maxSteps = 10_000): Promise<void> {
  let done = false;
  run.finally(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) await h.clock.advance(stepMs);
  expect(done).toBe(true);
}

function scenario(at: string[]) {
  return {
    seed: 7,
    cohorts: [
      { name: 'class', users: at.length, start: 0, arrival: { kind: 'list' as const, at: at.map(Number) } },
    ],
  };
}

function start(
  h: Harness,
  target: TargetAdapter,
  at: number[],
  opts: { stop?: AbortSignal; duration?: number } = {},
) {
  const store = new MetricStore({ intervalMs: 10_000 });
  const spy = Object.assign(Object.create(store) as MetricStore, {
    add: (s: Sample) => {
      h.samples.push(s);
      store.add(s);
    },
  });
  return runPlan({
    plan: planArrivals(scenario(at.map(String)) as never),
    clock: h.clock,
    store: spy,
    event: (ev) => h.events.push(ev),
    stop: opts.stop ?? new AbortController().signal,
    abort: new AbortController().signal,
    user: {
      target,
      cells: [
        { index: 0, source: 'a' },
        { index: 1, source: 'b' },
      ],
      session: { thinkTime: { median: 0, p95: 0 }, duration: opts.duration ?? 5000, onEnd: 'stop' },
      protocol: 'v1',
      stepTimeoutMs: 60_000,
      cellTimeoutMs: 60_000,
      openServer: () => fakeServer(h),
    },
  });
}

const values = (h: Harness, metric: string) =>
  h.samples.flatMap((s) => (s.kind === 'trend' && s.metric === metric ? [s.value] : []));

describe('runner (fake clock)', () => {
  it('measures every launch from its scheduled click: a 10 s hub stall shows as the full wait of each user', async () => {
    const h = harness();
    const at = [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000];
    const run = start(h, stalledTarget(h, 10_000, 1000), at);
    await drive(h, run);
    const out = await run;
    expect(out.results.map((r) => r.outcome)).toEqual(Array(10).fill('completed'));
    // ready at 11 000 for everyone: each waited 11 000 − its click.
    expect(values(h, 'launch.ready').sort((a, b) => a - b)).toEqual([
      2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000,
    ]);
    expect(values(h, 'kernel.start')).toEqual(Array(10).fill(100));
    expect(values(h, 'ws.connect')).toEqual(Array(10).fill(50));
    expect(values(h, 'cell.exec')).toEqual(Array(20).fill(200));
    expect(values(h, 'generator.lag').every((v) => v === 0)).toBe(true);
    expect(h.stopped.sort()).toEqual(out.results.map((r) => r.id).sort());
    // The session lasts `duration` from ready, then the user leaves.
    const leave = h.events.filter((e) => e.type === 'user-end').map((e) => e.t);
    expect(leave.every((t) => t >= 11_000 + 5000)).toBe(true);
  });

  it('records cells with their index, in order', async () => {
    const h = harness();
    const run = start(h, stalledTarget(h, 0, 1000), [0], { duration: 1400 });
    await drive(h, run, 50);
    const out = await run;
    // ready at 1000; kernel 100 + ws 50 → cell 0 runs 1150..1350, cell 1 1350..1550 (session ends 2400).
    const cells = h.samples.flatMap((s) =>
      s.kind === 'trend' && s.metric === 'cell.exec' && s.tags ? [s.tags.cell] : [],
    );
    expect(cells).toEqual([0, 1]);
    expect(out.results[0]?.cellsRun).toBe(2);
  });

  it('does not start a cell scheduled after the session ends, and counts it as skipped', async () => {
    const h = harness();
    const run = start(h, stalledTarget(h, 0, 1000), [0], { duration: 300 });
    await drive(h, run, 50);
    const out = await run;
    // ready 1000, session ends 1300; cell 0 is scheduled at 1150 (runs), cell 1 at 1350 (past the end).
    expect(out.results[0]?.cellsRun).toBe(1);
    const skipped = h.samples.flatMap((s) =>
      s.kind === 'rate' && s.metric === 'cell.skipped' ? [s.hit] : [],
    );
    expect(skipped).toEqual([false, true]);
  });

  it('a generator that wakes late still measures from the scheduled time, and counts late arrivals', async () => {
    // Every sleep wakes 1500 ms late (a saturated generator): the click at 100 is begun at 1600.
    const h = harness(1500);
    const run = start(h, stalledTarget(h, 0, 1000), [100], { duration: 100 });
    await drive(h, run, 100);
    await run;
    // The 1000 ms launch's own sleep also wakes 1500 late → ready at 4100, i.e. 4000 after the click.
    expect(values(h, 'launch.ready')).toEqual([4000]);
    expect(values(h, 'generator.lag')[0]).toBe(1500);
    expect(h.samples.find((s) => s.kind === 'rate' && s.metric === 'arrival.late')).toMatchObject({
      hit: true,
    });
  });

  it('stops launching after a BinderHub rate limit, says what to do, and lets started users leave', async () => {
    const h = harness();
    const target = stalledTarget(h, 0, 1000, (user) =>
      user === 'u0002' ? new LaunchFailure(new Error('429'), 'rate-limit', 'rate-limit') : undefined,
    );
    const run = start(h, target, [0, 1000, 5000, 6000]);
    await drive(h, run);
    const out = await run;
    expect(out.stopReason).toBe(RATE_LIMIT_STOP);
    expect(out.results.map((r) => r.outcome)).toEqual(['completed', 'failed', 'not-started', 'not-started']);
    expect(out.results[1]?.reason).toBe('rate-limit');
    expect(
      h.samples.some((s) => s.kind === 'failure' && s.reason === 'rate-limit' && s.attempt === 'final'),
    ).toBe(true);
    expect(h.stopped).toEqual(['u0001']);
  });

  it('a stop (Ctrl-C) starts no new arrivals, and users already in a session leave at once and clean up', async () => {
    const h = harness();
    const stop = new AbortController();
    const run = start(h, stalledTarget(h, 0, 1000), [0, 20_000], { stop: stop.signal, duration: 60_000 });
    await h.clock.advance(3000);
    stop.abort(new Error('interrupted (SIGINT)'));
    await drive(h, run);
    const out = await run;
    expect(out.stopReason).toBe('interrupted (SIGINT)');
    expect(out.results.map((r) => r.outcome)).toEqual(['completed', 'not-started']);
    expect(h.stopped).toEqual(['u0001']);
    expect(h.events.find((e) => e.type === 'user-end')?.t).toBeLessThan(4000);
  });
});
