// The generator bench's parts that drive the whole product (rehearse()) against the stub. Each runs
// in a fresh worker process (bench/lib/worker.mjs), so that its CPU and RSS are its own.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRuns, readEvents, runAgainstStub, stubScenario, timeCalls, tinyCells, trend } from './drive.mjs';

const { MetricStore } = await import(new URL('../../dist/loadgen/metrics/store.js', import.meta.url));
const { summarizeIntervals } = await import(new URL('../../dist/loadgen/metrics/totals.js', import.meta.url));

const MB = 2 ** 20;
const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;

function common(run) {
  const s = run.summary;
  return {
    users: s.users,
    failures: s.failures,
    leftovers: s.leftovers.length,
    wallSeconds: r1(run.wallMs / 1000),
    cpuSeconds: r3(run.cpuSeconds),
    cpuCoresUsed: r3(run.cpuSeconds / (run.wallMs / 1000)),
    generatorLagMs: trend(s, 'generator.lag'),
    loopDelayMs: trend(s, 'generator.loopDelay'),
  };
}

/** generator.lag over the intervals within [from, to] (ms of the run), or null when none fits. */
function steadyLag(intervals, from, to) {
  const inside = intervals.filter((i) => i.start >= from && i.end <= to);
  const t = inside.length === 0 ? undefined : summarizeIntervals(inside).trends['generator.lag'];
  if (!t) return null;
  const r = (x) => Math.round(x * 100) / 100;
  return { intervals: inside.length, count: t.count, p50: r(t.p50), p99: r(t.p99), max: r(t.max) };
}

/** (a) N users click at once; session 1 ms (the schema's minimum: duration must be > 0), no cells. */
export async function launches({ url, users }) {
  const loaded = stubScenario({
    name: 'bench-launches',
    binderUrl: url,
    cohorts: [{ name: 'burst', users, arrival: { kind: 'burst', over: '0s' } }],
    thinkMs: { median: 0, p95: 0 },
    durationMs: 1,
  });
  globalThis.gc?.();
  const run = await runAgainstStub({ loaded, cells: [], binderUrl: url, maxMs: 240_000 });
  const steps = await readEvents(
    run.dir,
    (e) => (e.type === 'step' && e.step === 'launch') || e.type === 'user-end',
  );
  dropRuns(run.runsDir);
  const ok = steps.filter((e) => e.type === 'step' && e.ok);
  const lastReady = Math.max(...ok.map((e) => e.scheduled + e.duration));
  const lastEnd = Math.max(...steps.filter((e) => e.type === 'user-end').map((e) => e.t));
  return {
    launchesOk: ok.length,
    lastReadyMs: r1(lastReady),
    launchesPerSecond: r1(ok.length / (lastReady / 1000)),
    lastUserEndMs: r1(lastEnd),
    fullUsersPerSecond: r1(ok.length / (lastEnd / 1000)),
    launchReadyMs: trend(run.summary, 'launch.ready'),
    kernelStartMs: trend(run.summary, 'kernel.start'),
    wsConnectMs: trend(run.summary, 'ws.connect'),
    ...common(run),
  };
}

/**
 * Sessions held open: users arriving over `rampMs`, each running tiny cells with a fixed think time
 * (`thinkMs`, median = p95) for `durationMs`. thinkMs 1000 = 1 execute/s per session; 0 = closed
 * loop at the maximum rate. "Steady" figures are counted between the first progress tick after the
 * last ws.connect and the last tick before the first session ended (every session in its cells):
 * round trips/s from the record's cell.exec steps, CPU from this process's per-tick cpuUsage.
 * RSS per session = (RSS in that window − RSS before the run) / sessions (median and max of the
 * 1 s samples). The store's periodic work is timed by wrapping its methods (behaviour unchanged).
 */
export async function sessions({ url, users, rampMs, durationMs, thinkMs, cells, live = false }) {
  const loaded = stubScenario({
    name: thinkMs > 0 ? 'bench-sessions' : 'bench-max',
    binderUrl: url,
    cohorts: [{ name: 'class', users, arrival: { kind: 'burst', over: `${rampMs}ms` } }],
    thinkMs: { median: thinkMs, p95: thinkMs },
    durationMs,
  });
  const timed = {
    'MetricStore.snapshot (abortOnFail check, every 10 s)': timeCalls(MetricStore.prototype, 'snapshot'),
    'MetricStore.flushUntil (every 1 s; closes an interval every 10 s)': timeCalls(
      MetricStore.prototype,
      'flushUntil',
    ),
  };
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const rssBefore = process.memoryUsage.rss() / MB;
  const run = await runAgainstStub({
    loaded,
    cells: tinyCells(cells),
    binderUrl: url,
    maxMs: rampMs + durationMs + 120_000,
    live,
  });
  const evs = await readEvents(
    run.dir,
    (e) => e.type === 'step' && (e.step === 'launch' || e.step === 'ws.connect' || e.step === 'cell.exec'),
  );
  const intervals = readFileSync(join(run.dir, 'intervals.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
  dropRuns(run.runsDir);
  const lastConnect = Math.max(...evs.filter((e) => e.step === 'ws.connect').map((e) => e.t));
  const firstEnd = Math.min(...evs.filter((e) => e.step === 'launch').map((e) => e.t)) + durationMs;
  const steady = run.samples.filter((p) => p.t >= lastConnect && p.t <= firstEnd);
  const peak = Math.max(...run.samples.map((p) => p.ready));
  const executed = run.summary.trends['cell.exec']?.count ?? 0;
  let window = null;
  if (steady.length >= 2) {
    const [a, b] = [steady[0], steady.at(-1)];
    const rts = evs.filter((e) => e.step === 'cell.exec' && e.t >= a.t && e.t < b.t).length;
    const secs = (b.t - a.t) / 1000;
    const rss = steady.map((p) => p.rssMB).sort((x, y) => x - y);
    const rssMedian = rss[Math.floor((rss.length - 1) / 2)];
    window = {
      fromMs: a.t,
      toMs: b.t,
      sessions: Math.min(...steady.map((p) => p.ready)),
      roundTripsPerSecond: r1(rts / secs),
      execPerSessionPerSecond: r3(rts / secs / users),
      cpuCoresUsed: r3((b.cpuSeconds - a.cpuSeconds) / secs),
      cpuSecondsPer1000RoundTrips: r3(((b.cpuSeconds - a.cpuSeconds) / rts) * 1000),
      rssMedianMB: r1(rssMedian),
      rssMaxMB: r1(rss.at(-1)),
      rssPerSessionKB: r1(((rssMedian - rssBefore) * 1024) / peak),
      rssPerSessionKBMax: r1(((rss.at(-1) - rssBefore) * 1024) / peak),
      // Schedule lag of the 10 s intervals wholly inside the window (every session holding its
      // kernel; the ramp's launches excluded), merged exactly.
      generatorLagMs: steadyLag(intervals, a.t, b.t),
    };
  }
  return {
    peakSessions: peak,
    rssBeforeMB: r1(rssBefore),
    roundTrips: executed,
    cellsFailed: run.summary.rates['cell.failed']?.hits ?? null,
    steady: window,
    wholeRun: { cpuSecondsPer1000RoundTrips: r3((run.cpuSeconds / executed) * 1000) },
    cellExecMs: trend(run.summary, 'cell.exec'),
    launchReadyMs: trend(run.summary, 'launch.ready'),
    ...common(run),
    ...(run.viewer ? { liveViewer: run.viewer } : {}),
    eventLoopBlockers: Object.fromEntries(
      Object.entries(timed).map(([k, t]) => [
        k,
        { calls: t.calls, totalMs: r1(t.totalMs), maxMs: r1(t.maxMs) },
      ]),
    ),
  };
}

/**
 * The runner alone: `users` sessions whose "server" lives in this process (a target that launches
 * at once, a kernel session whose execute answers on the next turn of the event loop), each
 * running `cells` cells with a 1 ms think time. No socket, no JSON on a wire: what is left is the
 * runner's own work per cell (scheduling, timing, the samples, the step event, the record). Reports
 * CPU-µs per cell over the whole run, and the same with the record's events (run end included).
 */
export async function runnerOnly({ users, cells, seconds }) {
  const { rehearse } = await import(new URL('../../dist/loadgen/run.js', import.meta.url));
  const loaded = stubScenario({
    name: 'bench-runner',
    binderUrl: 'http://127.0.0.1:9/',
    cohorts: [{ name: 'class', users, arrival: { kind: 'burst', over: '0s' } }],
    thinkMs: { median: 1, p95: 1 },
    durationMs: seconds * 1000,
  });
  let n = 0;
  const target = {
    describe: () => ({ kind: 'binderhub', binderUrl: 'http://127.0.0.1:9/' }),
    launch: async (user, _t0, o) => ({
      serverUrl: `http://127.0.0.1:9/user/${user}/`,
      token: 'x',
      hubUser: user,
      readyAt: o.now(),
      subPhases: {},
      firstAttempt: 'ok',
    }),
    stop: async () => [],
  };
  const answer = { status: 'ok', executionCount: 1, stdout: '', stderr: '', result: '1', displayData: 0 };
  const session = {
    execute: () =>
      new Promise((r) =>
        setImmediate(() => {
          n += 1;
          r(answer);
        }),
      ),
    close: async () => undefined,
  };
  const openServer = () => ({
    startKernel: async () => ({ id: 'k' }),
    connect: async () => session,
    deleteKernel: async () => 'deleted',
  });
  const runsDir = mkdtempSync(join(tmpdir(), 'rehearse-bench-runner-'));
  globalThis.gc?.();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await rehearse({
    loaded,
    runsDir,
    target,
    openServer,
    healthProbe: false,
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    thresholds: [],
    cells: tinyCells(cells),
    protocol: 'v1',
    toolVersion: 'bench',
    stepTimeoutMs: 60_000,
    cellTimeoutMs: 60_000,
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  dropRuns(runsDir);
  const cpuUs = cpu.user + cpu.system;
  return {
    users,
    cellsRun: n,
    wallSeconds: r1(wall / 1000),
    cpuSeconds: r3(cpuUs / 1e6),
    cpuMicrosPerCell: r1(cpuUs / n),
    cellsPerSecond: r1(n / (wall / 1000)),
    failures: result.summary.failures,
  };
}
