import type { LoadedScenario } from '../../scenarios/load.js';
import { MetricTotals } from '../metrics/summary.js';
import type { CodeCell } from '../notebook.js';
import { attachObserver, type ObserveSpec } from '../observe/attach.js';
import { planArrivals } from '../plan/arrivals.js';
import type { RecordedTarget, RunStatus, RunSummary, WorkerReport } from '../record/types.js';
import { INTERVAL_MS, RunRecorder } from '../run-record.js';
import type { ProgressSnapshot, RunReporter } from '../runner/progress.js';
import { RATE_LIMIT_STOP } from '../runner/runner.js';
import type { CleanupLine } from '../runner/targets.js';
import type { UserResult } from '../runner/user.js';
import { checkAbort, type Threshold, thresholdPercentiles } from '../thresholds.js';
import type { TargetSpec, WorkerConfig } from './config.js';
import { IntervalMerger } from './merge.js';
import { parseLine, type WireResult, type WorkerLine } from './protocol.js';
import { shardSizes } from './shard.js';

/**
 * The coordinator of a distributed run: writes one worker config (common start a little in the
 * future), starts N workers through a launcher (child processes or an Indexed Job), follows their
 * protocol lines, merges their intervals exactly (merge.ts), writes one run record, and judges the
 * thresholds once on the merged data (abortOnFail ones as merged intervals close).
 *
 * Lost workers. A worker that exits without `done`, is killed, or sends nothing for
 * `heartbeatTimeoutMs` is lost: its users that never reported an outcome are counted in
 * `users.lost` and its entry in `workers`, the run's status is 'failed' with the reason, and users
 * it had launched are cleaned up through `cleanupLost` (or listed as leftovers). Exit-code policy
 * (cli/commands/run.ts): 99 when thresholds fail on the data received, else 1 when a worker was
 * lost: the merged figures miss part of the load, so a pass on them is no pass.
 */

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  detail?: string;
}

export interface WorkerHandle {
  index: number;
  /** `pid 1234`, or a pod name. */
  where: string;
  /** Protocol lines as they come (child stdout, pod log); ends with the worker's output. */
  lines: AsyncIterable<string>;
  exited: Promise<WorkerExit>;
  /** Now: SIGKILL, or delete the pod. */
  kill(): void;
}

export interface Launcher {
  /** Start one worker per shard; resolves once all are started (not yet running). */
  start(config: WorkerConfig): Promise<WorkerHandle[]>;
  /** Soft stop for every worker (SIGINT; in k8s deleting the Job sends SIGTERM to its pods). */
  stopAll(): Promise<void>;
  /** Remove what was created (Job, ConfigMap); lines for what could not be. Idempotent. */
  close(): Promise<CleanupLine[]>;
}

export interface CoordinateOptions {
  loaded: LoadedScenario;
  scenarioYaml: string;
  cells: CodeCell[];
  seed?: number;
  workers: number;
  launcher: Launcher;
  target: TargetSpec;
  recordedTarget: RecordedTarget;
  launchTimeoutMs: number;
  protocol: 'v1' | 'legacy';
  runsDir: string;
  runId?: string;
  thresholds: Threshold[];
  toolVersion: string;
  reporter?: RunReporter;
  stop: AbortSignal;
  abort: AbortSignal;
  /** How far in the future the common start is (workers must be up by then). */
  startDelayMs: number;
  heartbeatTimeoutMs: number;
  /** Remove what lost workers' users left (servers, hub users); lines for the record. */
  cleanupLost?: (users: { user: string; hubUser?: string }[]) => Promise<CleanupLine[]>;
  now?: () => number;
  /** Watch the hub's Kubernetes cluster during the run (cluster.json in the record). */
  observe?: ObserveSpec;
}

export interface CoordinatedResult {
  summary: RunSummary;
  dir: string;
  rateLimited: boolean;
  lostUsers: number;
}

interface Shard {
  handle?: WorkerHandle;
  planned: number;
  results: WireResult[];
  lastSeen: number;
  progress?: ProgressSnapshot;
  /** Users with an arrival and no outcome yet, with the hub user once launched. */
  inFlight: Map<string, { hubUser?: string }>;
  done?: Extract<WorkerLine, { type: 'done' }>;
  lost?: string;
  lastT: number;
  protocolErrors: number;
}

export async function coordinate(o: CoordinateOptions): Promise<CoordinatedResult> {
  const now = o.now ?? Date.now;
  const { scenario } = o.loaded;
  const seed = o.seed ?? scenario.seed;
  const planned = planArrivals(scenario, { seed }).arrivals.length;
  const startAt = now() + o.startDelayMs;
  const sizes = shardSizes(planned, o.workers);
  const recorder = new RunRecorder({
    runsDir: o.runsDir,
    runId: o.runId,
    loaded: o.loaded,
    seed,
    target: o.recordedTarget,
    toolVersion: o.toolVersion,
    plannedUsers: planned,
    startedAt: new Date(startAt).toISOString(),
  });
  const observer = await attachObserver(o.observe, {
    now: () => now() - startAt,
    startWallMs: startAt,
    signal: o.abort,
  });
  const config: WorkerConfig = {
    v: 1,
    runId: recorder.id,
    scenarioYaml: o.scenarioYaml,
    scenarioSource: o.loaded.sourcePath,
    scenarioHash: o.loaded.hash,
    cells: o.cells,
    seed,
    shards: o.workers,
    startAt,
    protocol: o.protocol,
    target: o.target,
    launchTimeoutMs: o.launchTimeoutMs,
  };
  const shards: Shard[] = sizes.map((size) => ({
    planned: size,
    results: [],
    lastSeen: now(),
    inFlight: new Map(),
    lastT: 0,
    protocolErrors: 0,
  }));
  const merger = new IntervalMerger(o.workers, INTERVAL_MS);
  const totals = new MetricTotals();
  const stopReasons: string[] = [];
  const say = (m: string) => o.reporter?.onMessage?.(m);
  recorder.event({ type: 'run-start', t: 0, plannedUsers: planned });

  let stopping = false;
  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    stopReasons.push(reason);
    recorder.event({ type: 'stop', t: now() - startAt, reason });
    say(`stopping every worker: ${reason}`);
    void o.launcher
      .stopAll()
      .catch((err: unknown) => say(`could not stop the workers: ${(err as Error).message}`));
  };
  const drain = () => {
    for (const rec of merger.drain()) {
      recorder.interval(rec);
      totals.addRecord(rec);
    }
    if (!stopping && o.thresholds.some((t) => t.abortOnFail)) {
      const failing = checkAbort(o.thresholds, totals.summarize(thresholdPercentiles(o.thresholds)));
      if (failing.length > 0)
        stopAll(`abortOnFail threshold failed: ${failing.map((f) => f.expr).join('; ')}`);
    }
  };
  const handleLine = (i: number, s: Shard, line: WorkerLine) => {
    if (line.shard !== i) throw new Error(`worker ${i} sent a line for shard ${line.shard}`);
    switch (line.type) {
      case 'hello':
        if (line.planned !== s.planned)
          throw new Error(`worker ${i} plans ${line.planned} users, not ${s.planned}`);
        if (line.clock > 0)
          say(`worker ${i} (${line.host}) started ${Math.round(line.clock)} ms after the start`);
        return;
      case 'interval':
        merger.add(line.rec);
        return;
      case 'event': {
        const ev = line.ev;
        if (ev.type === 'run-start' || ev.type === 'run-end') return; // per shard; the record has one of each
        if (ev.type === 'arrival') s.inFlight.set(ev.user, {});
        if (ev.type === 'step' && ev.step === 'launch' && ev.ok && ev.detail) {
          s.inFlight.set(ev.user, { hubUser: ev.detail });
        }
        recorder.event(ev);
        return;
      }
      case 'user-end':
        s.results.push(line.result);
        s.inFlight.delete(line.result.id);
        return;
      case 'heartbeat':
        s.lastT = Math.max(s.lastT, line.t);
        if (line.progress) s.progress = line.progress;
        merger.advance(i, line.flushedUntil);
        drain();
        return;
      case 'done':
        s.done = line;
        s.lastT = Math.max(s.lastT, line.endedAt);
        if (line.stopReason) stopReasons.push(line.stopReason);
        if (line.error) say(`worker ${i} failed: ${line.error}`);
        return;
    }
  };
  const lose = (i: number, s: Shard, why: string) => {
    if (s.done || s.lost) return;
    s.lost = why;
    const lost = s.planned - s.results.length;
    say(
      `worker ${i} (${s.handle?.where ?? 'not started'}) lost: ${why}; ${lost} of its ${s.planned} users never reported`,
    );
    merger.end(i);
    drain();
  };
  const follow = async (i: number, h: WorkerHandle) => {
    const s = shards[i] as Shard;
    s.handle = h;
    // Silence counts from the common start: a pod may take a while to be scheduled and pulled.
    s.lastSeen = Math.max(now(), startAt);
    try {
      for await (const text of h.lines) {
        s.lastSeen = now();
        if (s.lost) continue; // declared lost (silent): what it still says is not counted
        if (!text.startsWith('{')) continue; // not protocol (a stray print)
        const parsed = parseLine(text);
        if (!parsed.ok) {
          s.protocolErrors += 1;
          if (s.protocolErrors <= 3) say(`worker ${i}: ignored a line: ${parsed.error}`);
          continue;
        }
        handleLine(i, s, parsed.line);
      }
    } catch (err) {
      say(`worker ${i}: its output broke off: ${(err as Error).message}`);
    }
    const exit = await h.exited;
    const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
    if (!s.done) lose(i, s, `${how} before it finished${exit.detail ? ` (${exit.detail})` : ''}`);
    else if (exit.code !== 0) say(`worker ${i} ${how} after it finished`);
    merger.end(i);
    drain();
  };

  const onStop = () => stopAll(String((o.stop.reason as Error)?.message ?? 'stopped'));
  const onAbort = () => {
    stopAll(String((o.abort.reason as Error)?.message ?? 'aborted'));
    for (const s of shards) s.handle?.kill();
  };
  o.stop.addEventListener('abort', onStop, { once: true });
  o.abort.addEventListener('abort', onAbort, { once: true });
  const watchdog = setInterval(() => {
    const t = now();
    shards.forEach((s, i) => {
      if (!s.handle || s.done || s.lost || t - s.lastSeen <= o.heartbeatTimeoutMs) return;
      lose(i, s, `no line for ${Math.round((t - s.lastSeen) / 1000)} s (heartbeat timeout)`);
      s.handle.kill();
    });
    o.reporter?.onProgress?.(sumProgress(shards, t - startAt, planned, totals));
  }, 1000);
  let launcherLines: CleanupLine[] = [];
  let failure: unknown;
  try {
    const handles = await o.launcher.start(config);
    say(
      `${handles.length} workers: ${handles.map((h) => `${h.index}: ${h.where}`).join(', ')}; start at ${new Date(startAt).toISOString()}`,
    );
    await Promise.all(handles.map((h) => follow(h.index, h)));
    shards.forEach((s, i) => {
      if (!s.handle) lose(i, s, 'never started');
    });
  } catch (err) {
    failure = err;
    for (const s of shards) s.handle?.kill();
  } finally {
    clearInterval(watchdog);
    o.stop.removeEventListener('abort', onStop);
    o.abort.removeEventListener('abort', onAbort);
    launcherLines = await o.launcher
      .close()
      .catch((err: unknown) => [{ what: 'the workers', ok: false, detail: (err as Error).message }]);
  }
  for (let i = 0; i < o.workers; i++) merger.end(i);
  drain();
  const lostShards = shards.filter((s) => s.lost);
  if (lostShards.length > 0) {
    const users = lostShards.flatMap((s) =>
      [...s.inFlight].map(([user, v]) => ({ user, hubUser: v.hubUser })),
    );
    const lines = users.length === 0 ? [] : await cleanupLostUsers(o, users);
    for (const l of [...lines, ...launcherLines]) recorder.event({ type: 'cleanup', t: endOf(shards), ...l });
  } else {
    for (const l of launcherLines) recorder.event({ type: 'cleanup', t: endOf(shards), ...l });
  }
  o.reporter?.onProgress?.(sumProgress(shards, endOf(shards), planned, totals));
  const lostUsers = lostShards.reduce((n, s) => n + (s.planned - s.results.length), 0);
  const lostReasons = shards.flatMap((s, i) => (s.lost ? [`worker ${i} lost (${s.lost})`] : []));
  const status: RunStatus =
    failure !== undefined || lostShards.length > 0 || shards.some((s) => s.done?.status === 'failed')
      ? 'failed'
      : stopping || shards.some((s) => s.done?.status === 'aborted')
        ? 'aborted'
        : 'completed';
  const reasons = [...new Set([...lostReasons, ...stopReasons])];
  if (failure !== undefined) reasons.unshift(String((failure as Error)?.message ?? failure));
  const endedAt = endOf(shards);
  recorder.event({ type: 'run-end', t: endedAt, status });
  await observer.finish(recorder.dir);
  const summary = recorder.finish({
    status,
    stopReason: reasons.length > 0 ? reasons.join('; ') : undefined,
    endedAt,
    endedAtIso: new Date(startAt + endedAt).toISOString(),
    results: shards.flatMap((s) => s.results.map(toUserResult)),
    thresholds: o.thresholds,
    extend: (sum) => ({
      ...sum,
      users: { ...sum.users, lost: lostUsers },
      workers: shards.map((s, i) => workerReport(i, s)),
    }),
  });
  if (failure !== undefined) throw failure;
  return {
    summary,
    dir: recorder.dir,
    rateLimited: stopReasons.includes(RATE_LIMIT_STOP),
    lostUsers,
  };
}

async function cleanupLostUsers(
  o: CoordinateOptions,
  users: { user: string; hubUser?: string }[],
): Promise<CleanupLine[]> {
  if (!o.cleanupLost) {
    return users.map((u) => ({
      what: `${u.user}: whatever its lost worker had launched`,
      ok: false,
      detail: 'the worker was lost before the user left',
      command: "the hub's idle culler removes it; or stop it from the hub admin page",
    }));
  }
  return o.cleanupLost(users);
}

const endOf = (shards: Shard[]) => Math.max(0, ...shards.map((s) => s.lastT));

function workerReport(index: number, s: Shard): WorkerReport {
  const reported = s.results.length;
  return {
    index,
    where: s.handle?.where ?? 'not started',
    planned: s.planned,
    reported,
    lost: s.lost ? s.planned - reported : 0,
    state: s.lost ? 'lost' : 'done',
    status: s.lost ? 'failed' : (s.done?.status ?? 'failed'),
    ...(s.lost ? { detail: s.lost } : s.done?.stopReason ? { detail: s.done.stopReason } : {}),
  };
}

function toUserResult(r: WireResult): UserResult {
  return {
    id: r.id,
    outcome: r.outcome,
    reason: r.reason,
    cellsRun: r.cellsRun,
    kept: r.kept,
    server:
      r.kept && r.serverUrl
        ? {
            serverUrl: r.serverUrl,
            token: '',
            hubUser: r.hubUser,
            readyAt: 0,
            subPhases: {},
            firstAttempt: 'ok',
          }
        : undefined,
  };
}

/** The workers' last progress summed (launchReadyP95 from the merged, closed intervals). */
function sumProgress(shards: Shard[], t: number, planned: number, totals: MetricTotals): ProgressSnapshot {
  const sum: ProgressSnapshot = {
    t,
    planned,
    arrived: 0,
    launching: 0,
    ready: 0,
    inCells: 0,
    completed: 0,
    failed: 0,
    late: 0,
    launchReadyP95: null,
  };
  for (const s of shards) {
    const p = s.progress;
    if (!p) continue;
    if (s.done || s.lost) {
      // Ended: its own outcomes, not its last heartbeat (which may predate the last users' ends).
      const started = s.results.filter((r) => r.outcome !== 'not-started');
      sum.arrived += s.lost ? p.arrived : started.length;
      sum.completed += started.filter((r) => r.outcome === 'completed').length;
      sum.failed += started.filter((r) => r.outcome === 'failed').length;
      sum.late += p.late;
      continue;
    }
    sum.arrived += p.arrived;
    sum.launching += p.launching;
    sum.ready += p.ready;
    sum.inCells += p.inCells;
    sum.completed += p.completed;
    sum.failed += p.failed;
    sum.late += p.late;
  }
  const h = totals.trends.get('launch.ready');
  if (h && h.totalCount > 0) sum.launchReadyP95 = h.getValueAtPercentile(95) / 1000;
  return sum;
}
