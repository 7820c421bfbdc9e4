import type { LoadedScenario } from '../../scenarios/load.js';
import { MetricTotals } from '../metrics/summary.js';
import type { CodeCell } from '../notebook.js';
import { attachObserver, type ObserveSpec } from '../observe/attach.js';
import { planArrivals } from '../plan/arrivals.js';
import { LedgerWriter } from '../record/ledger.js';
import type { RecordedTarget, RunStatus, RunSummary } from '../record/types.js';
import { INTERVAL_MS, RunRecorder } from '../run-record.js';
import { HubHealthProbe, healthEndpoints } from '../runner/hub-health.js';
import type { RunReporter } from '../runner/progress.js';
import { RATE_LIMIT_STOP } from '../runner/runner.js';
import type { CleanupLine } from '../runner/targets.js';
import { checkAbort, type Threshold, thresholdPercentiles } from '../thresholds.js';
import { graceAfter, orWhen, until } from './bounded.js';
import { cleanUp } from './cleanup.js';
import { buildWorkerConfig, type TargetSpec } from './config.js';
import type { Launcher, WorkerExit, WorkerHandle } from './launcher.js';
import { IntervalMerger } from './merge.js';
import { sumProgress } from './progress.js';
import { fromWire } from './protocol.js';
import { shardSizes } from './shard.js';
import { ShardTracker } from './shard-tracker.js';

export type { Launcher, WorkerExit, WorkerHandle } from './launcher.js';

/**
 * The coordinator of a distributed run: writes one worker config (common start a little in the
 * future), starts N workers through a launcher (child processes or an Indexed Job), follows their
 * protocol lines (shard-tracker.ts: per-shard state, when a worker is lost), merges their
 * intervals exactly (merge.ts), writes one run record, and judges the thresholds once on the
 * merged data (abortOnFail ones as merged intervals close).
 *
 * Lost workers: their users that never reported an outcome are counted in `users.lost` and their
 * entries in `workers`, the run's status is 'failed' with the reason, and users they had launched
 * are cleaned up through `cleanupLost` (or listed as leftovers). Exit-code policy
 * (cli/commands/run.ts): 1 when no worker delivered any data; else 99 when thresholds fail on the
 * data received; else 1 when a worker was lost (the figures miss part of the load).
 *
 * Stop (first Ctrl-C, abortOnFail, a worker's rate limit): every worker stops arriving. Abort
 * (second Ctrl-C): every worker is killed and reported 'aborted', and cleanup is bounded to a few
 * seconds so that the record is written before the CLI's hard exit.
 */

export interface CoordinateOptions {
  /** The hub health probe (default on); `false` for tests whose target is not a hub. */
  healthProbe?: false;
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
  /** After `done`, a worker that has not exited within this is killed (default 15 s). */
  doneGraceMs?: number;
  /**
   * Remove what lost workers' users left (servers, hub users); lines for the record. `signal`
   * bounds it: stop starting new work when it fires.
   */
  cleanupLost?: (users: { user: string; hubUser?: string }[], signal: AbortSignal) => Promise<CleanupLine[]>;
  now?: () => number;
  /** Watch the hub's Kubernetes cluster during the run (cluster.json in the record). */
  observe?: ObserveSpec;
}

export interface CoordinatedResult {
  summary: RunSummary;
  dir: string;
  rateLimited: boolean;
  lostUsers: number;
  /** Some worker sent data (an interval, a user's outcome, or done). */
  delivered: boolean;
}

/** After an abort: how long a killed worker's exit is awaited, and how long cleanup may take. */
const ABORT_EXIT_WAIT_MS = 2_000;
const ABORT_CLEANUP_MS = 4_000;
/** Otherwise: a worker's exit once its output ended; all cleanup together. */
const EXIT_WAIT_MS = 60_000;
const CLEANUP_MS = 5 * 60_000;

export async function coordinate(o: CoordinateOptions): Promise<CoordinatedResult> {
  const now = o.now ?? Date.now;
  const { scenario } = o.loaded;
  const seed = o.seed ?? scenario.seed;
  const planned = planArrivals(scenario, { seed }).arrivals.length;
  const startAt = now() + o.startDelayMs;
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
  // Before the launcher creates anything: a coordinator killed mid-run leaves a ledger naming it.
  const ledger = LedgerWriter.open(recorder.dir);
  o.launcher.useLedger?.(ledger);
  // The hub's health, from here (the workers' launches are not attributed to an outage).
  const endpoints = o.healthProbe === false ? [] : healthEndpoints(o.recordedTarget);
  const probe =
    endpoints.length === 0
      ? undefined
      : new HubHealthProbe({
          endpoints,
          now: () => Math.max(0, now() - startAt),
          event: recorder.event,
        }).start();
  const observer = await attachObserver(o.observe, {
    now: () => now() - startAt,
    startWallMs: startAt,
    signal: o.abort,
  });
  const config = buildWorkerConfig({ ...o, runId: recorder.id, shards: o.workers, startAt });
  const merger = new IntervalMerger(o.workers, INTERVAL_MS);
  const totals = new MetricTotals();
  const stopReasons: string[] = [];
  const say = (m: string) => o.reporter?.onMessage?.(m);
  recorder.event({ type: 'run-start', t: 0, plannedUsers: planned });

  let stopping = false;
  let started = false;
  const requestStop = () =>
    void o.launcher
      .stopAll()
      .catch((err: unknown) => say(`could not stop the workers: ${(err as Error).message}`));
  const stopAll = (reason: string) => {
    if (stopping) return;
    stopping = true;
    tracker.stopped = true;
    stopReasons.push(reason);
    recorder.event({ type: 'stop', t: Math.max(0, now() - startAt), reason });
    say(`stopping every worker: ${reason}`);
    if (started) requestStop(); // else once start() has returned (a Job must exist to be deleted)
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
  const tracker = new ShardTracker({
    sizes: shardSizes(planned, o.workers),
    now,
    startAt,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs,
    doneGraceMs: o.doneGraceMs ?? 15_000,
    merger,
    event: (ev) => recorder.event(ev),
    drain,
    stopAll,
    say,
  });
  const follow = async (h: WorkerHandle) => {
    const s = tracker.attach(h);
    const late = (err: unknown) => say(`worker ${h.index}: after it was given up: ${(err as Error).message}`);
    try {
      for await (const text of until(h.lines, s.following.signal, late)) tracker.line(h.index, text);
    } catch (err) {
      say(`worker ${h.index}: its output broke off: ${(err as Error).message}`);
    }
    const unknown = (): WorkerExit => ({
      code: null,
      signal: null,
      detail: 'its exit was not known in time',
    });
    tracker.exited(
      h.index,
      await orWhen(h.exited, graceAfter(o.abort, ABORT_EXIT_WAIT_MS, EXIT_WAIT_MS), unknown),
    );
  };

  const onStop = () => stopAll(String((o.stop.reason as Error)?.message ?? 'stopped'));
  const onAbort = () => {
    stopAll(String((o.abort.reason as Error)?.message ?? 'aborted'));
    tracker.abortAll();
  };
  o.stop.addEventListener('abort', onStop, { once: true });
  o.abort.addEventListener('abort', onAbort, { once: true });
  // Listeners added to an already aborted signal never run: look first.
  if (o.stop.aborted) onStop();
  if (o.abort.aborted) onAbort();
  const progress = (t: number) => sumProgress(tracker.shards.map(shardProgress), t, planned, totals);
  const watchdog = setInterval(() => {
    tracker.tick();
    o.reporter?.onProgress?.(progress(now() - startAt));
  }, 1000);
  let failure: unknown;
  try {
    if (!stopping) {
      const handles = await o.launcher.start(config, AbortSignal.any([o.stop, o.abort]));
      started = true;
      if (stopping) requestStop(); // Ctrl-C while the workers were being created
      say(
        `${handles.length} workers: ${handles.map((h) => `${h.index}: ${h.where}`).join(', ')}; start at ${new Date(startAt).toISOString()}`,
      );
      await Promise.all(handles.map(follow));
    }
    tracker.neverStarted(stopping ? 'stopped before it started' : 'never started', stopping);
  } catch (err) {
    failure = err;
    tracker.abortAll();
  } finally {
    clearInterval(watchdog);
    o.stop.removeEventListener('abort', onStop);
    o.abort.removeEventListener('abort', onAbort);
  }
  for (let i = 0; i < o.workers; i++) merger.end(i);
  drain();
  // Bounded: a few seconds after an abort (the CLI exits hard 10 s after the second Ctrl-C).
  const budget = graceAfter(o.abort, ABORT_CLEANUP_MS, CLEANUP_MS);
  const heard = tracker.lastHeard;
  const endedAt = heard ?? Math.max(0, now() - startAt);
  const cleanup = await cleanUp({
    launcher: o.launcher,
    stranded: tracker.strandedUsers(),
    cleanupLost: o.cleanupLost,
    signal: budget,
    say,
  });
  for (const l of cleanup) recorder.event({ type: 'cleanup', t: endedAt, ...l });
  ledger.close();
  o.reporter?.onProgress?.(progress(endedAt));
  const failed = failure !== undefined || tracker.failedShards.length > 0;
  const aborted = stopping || tracker.shards.some((s) => s.aborted || s.done?.status === 'aborted');
  const status: RunStatus = failed ? 'failed' : aborted ? 'aborted' : 'completed';
  const reasons = [...new Set([...tracker.lostReasons(), ...stopReasons, ...tracker.stopReasons])];
  if (failure !== undefined) reasons.unshift(String((failure as Error)?.message ?? failure));
  await probe?.stop();
  recorder.event({ type: 'run-end', t: endedAt, status });
  await observer.finish(recorder.dir);
  const lostUsers = tracker.lostUsers;
  const summary = recorder.finish({
    status,
    stopReason: reasons.length > 0 ? reasons.join('; ') : undefined,
    endedAt,
    // Nothing heard from any worker: the end is now, not the (maybe future) common start.
    endedAtIso: new Date(heard === undefined ? now() : startAt + endedAt).toISOString(),
    results: tracker.shards.flatMap((s) => s.results.map(fromWire)),
    thresholds: o.thresholds,
    extend: (sum) => ({
      ...sum,
      users: { ...sum.users, lost: lostUsers },
      workers: tracker.shards.map((s) => tracker.report(s)),
    }),
  });
  if (failure !== undefined) throw failure;
  return {
    summary,
    dir: recorder.dir,
    rateLimited: tracker.rateLimited || stopReasons.includes(RATE_LIMIT_STOP),
    lostUsers,
    delivered: tracker.delivered,
  };
}

const shardProgress = (s: ShardTracker['shards'][number]) => ({
  progress: s.progress,
  results: s.results,
  ended: s.ended,
  lost: s.lost !== undefined,
});
