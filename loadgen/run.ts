import type { LoadedScenario } from '../scenarios/load.js';
import { type Clock, RealClock } from './clock.js';
import { MetricStore } from './metrics/store.js';
import type { CodeCell } from './notebook.js';
import { attachObserver, type ObserveSpec } from './observe/attach.js';
import { type ArrivalPlan, planArrivals } from './plan/arrivals.js';
import { type LedgerResource, LedgerWriter } from './record/ledger.js';
import type { IntervalRecord, RunEvent, RunStatus, RunSummary } from './record/types.js';
import { INTERVAL_MS, RunRecorder } from './run-record.js';
import { HubHealthProbe, healthEndpoints } from './runner/hub-health.js';
import { ledgered } from './runner/ledgered.js';
import { startLoopDelaySampler } from './runner/loop-delay.js';
import type { RunReporter } from './runner/progress.js';
import { RATE_LIMIT_STOP, type RunOutcome, runPlan } from './runner/runner.js';
import type { TargetAdapter } from './runner/targets.js';
import { realServerApi, type UserContext, type UserResult } from './runner/user.js';
import { checkAbort, type Threshold, thresholdPercentiles } from './thresholds.js';

/**
 * `rehearse run` as a library call: plan the arrivals, run them against a target, record
 * everything into `runs/<id>/`, judge the thresholds. The caller owns the target's lifetime
 * (the CLI starts and stops the local one) and the signals (`stop`: finish cleanly; `abort`: now).
 *
 * `executePlan` is the one code path that runs a plan, whole (here) or one shard of it (a
 * distributed worker, loadgen/distributed/worker.ts); only where its intervals, events and user
 * results go differs.
 */

export { INTERVAL_MS };

export interface RehearseOptions {
  loaded: LoadedScenario;
  runsDir: string;
  runId?: string;
  target: TargetAdapter;
  thresholds: Threshold[];
  cells: CodeCell[];
  seed?: number;
  protocol?: 'v1' | 'legacy';
  reporter?: RunReporter;
  stop: AbortSignal;
  abort: AbortSignal;
  clock?: Clock;
  toolVersion: string;
  stepTimeoutMs?: number;
  cellTimeoutMs?: number;
  /** Record generator.loopDelay (real time only; off under a fake clock). */
  sampleLoopDelay?: boolean;
  /** How users talk to their servers (default: the real REST and websocket clients). */
  openServer?: UserContext['openServer'];
  /** Watch the hub's Kubernetes cluster during the run (cluster.json in the record). */
  observe?: ObserveSpec;
  /** Resources the caller created for this run (the local stack it started): into the ledger. */
  owned?: LedgerResource[];
  /** Hub health probe (default on, every 3 s); `false` only for tests that drive a fake clock. */
  healthProbe?: false | { everyMs?: number; timeoutMs?: number };
}

export interface RehearseResult {
  summary: RunSummary;
  dir: string;
  rateLimited: boolean;
}

export interface ExecuteOptions {
  plan: ArrivalPlan;
  clock: Clock;
  target: TargetAdapter;
  cells: readonly CodeCell[];
  session: UserContext['session'];
  protocol: 'v1' | 'legacy';
  /** abortOnFail thresholds are checked on this process's own metrics (none for a worker). */
  thresholds: readonly Threshold[];
  reporter?: RunReporter;
  stop: AbortSignal;
  abort: AbortSignal;
  stepTimeoutMs?: number;
  cellTimeoutMs?: number;
  sampleLoopDelay?: boolean;
  openServer?: UserContext['openServer'];
  hubHealth?: UserContext['hubHealth'];
  onInterval(rec: IntervalRecord): void;
  event(ev: RunEvent): void;
  onUserEnd?: (r: UserResult) => void;
  /** The run's metric store once created (a worker reads its `closedUntil` for heartbeats). */
  onStore?: (store: MetricStore) => void;
}

export interface PlanExecution {
  /** What runPlan returned; undefined when it threw (`error`). */
  outcome: RunOutcome | undefined;
  status: RunStatus;
  /** Run-clock ms when it ended. */
  endedAt: number;
  failed: boolean;
  error?: unknown;
}

/**
 * Run a plan into a metric store whose closed intervals go to `onInterval`. Never throws: an
 * error ends the run with status 'failed' (returned in `error`) after the store is closed, so the
 * caller can still complete its record or stream before rethrowing.
 */
export async function executePlan(o: ExecuteOptions): Promise<PlanExecution> {
  const { clock } = o;
  const store = new MetricStore({ intervalMs: INTERVAL_MS, onInterval: o.onInterval });
  o.onStore?.(store);
  const stopSampler =
    o.sampleLoopDelay === false
      ? () => undefined
      : startLoopDelaySampler(
          (s) => store.add(s),
          () => clock.now(),
        );
  let outcome: RunOutcome | undefined;
  let error: unknown;
  let failed = false;
  try {
    outcome = await runPlan({
      plan: o.plan,
      clock,
      store,
      event: o.event,
      reporter: o.reporter,
      stop: o.stop,
      abort: o.abort,
      onUserEnd: o.onUserEnd,
      user: {
        target: o.target,
        cells: o.cells,
        session: o.session,
        protocol: o.protocol,
        stepTimeoutMs: o.stepTimeoutMs ?? 120_000,
        cellTimeoutMs: o.cellTimeoutMs ?? 600_000,
        openServer: o.openServer,
        hubHealth: o.hubHealth,
      },
      // Only when a threshold asks for it: the live snapshot summarises histograms (not free at scale).
      shouldStop: o.thresholds.some((th) => th.abortOnFail)
        ? () => {
            const failing = checkAbort(o.thresholds, store.snapshot(thresholdPercentiles(o.thresholds)));
            return failing.length > 0
              ? `abortOnFail threshold failed: ${failing.map((f) => f.expr).join('; ')}`
              : undefined;
          }
        : undefined,
    });
  } catch (err) {
    error = err;
    failed = true;
  } finally {
    stopSampler();
  }
  const status: RunStatus = failed ? 'failed' : outcome?.stopReason ? 'aborted' : 'completed';
  const endedAt = outcome?.endedAt ?? clock.now();
  o.event({ type: 'run-end', t: endedAt, status });
  store.close(endedAt);
  return { outcome, status, endedAt, failed, error };
}

export async function rehearse(o: RehearseOptions): Promise<RehearseResult> {
  const { scenario } = o.loaded;
  const clock = o.clock ?? new RealClock();
  const seed = o.seed ?? scenario.seed;
  const plan = planArrivals(scenario, { seed });
  const recorder = new RunRecorder({
    runsDir: o.runsDir,
    runId: o.runId,
    loaded: o.loaded,
    seed,
    target: o.target.describe(),
    toolVersion: o.toolVersion,
    plannedUsers: plan.arrivals.length,
    startedAt: clock.wallTime(0).toISOString(),
  });
  const ledger = LedgerWriter.open(recorder.dir);
  for (const res of o.owned ?? []) ledger.created(ledger.intent(res));
  const { target, openServer } = ledgered(o.target, o.openServer ?? realServerApi, ledger);
  const endpoints = o.healthProbe === false ? [] : healthEndpoints(o.target.describe());
  const probe =
    endpoints.length === 0 || o.healthProbe === false
      ? undefined
      : new HubHealthProbe({
          endpoints,
          now: () => clock.now(),
          event: recorder.event,
          everyMs: o.healthProbe?.everyMs,
          timeoutMs: o.healthProbe?.timeoutMs,
        }).start();
  const observer = await attachObserver(o.observe, {
    now: () => clock.now(),
    startWallMs: clock.wallTime(0).getTime(),
    signal: o.abort,
  });
  const run = await executePlan({
    plan,
    clock,
    target,
    cells: o.cells,
    session: scenario.session,
    protocol: o.protocol ?? 'v1',
    thresholds: o.thresholds,
    reporter: o.reporter,
    stop: o.stop,
    abort: o.abort,
    stepTimeoutMs: o.stepTimeoutMs,
    cellTimeoutMs: o.cellTimeoutMs,
    sampleLoopDelay: o.sampleLoopDelay,
    openServer,
    hubHealth: probe,
    onInterval: recorder.interval,
    event: recorder.event,
  });
  await probe?.stop();
  ledger.close();
  await observer.finish(recorder.dir);
  // Also after an error: the record is completed (status failed) so that it stays readable.
  const summary = recorder.finish({
    status: run.status,
    stopReason: run.outcome?.stopReason,
    endedAt: run.endedAt,
    endedAtIso: clock.wallTime(run.endedAt).toISOString(),
    results: run.outcome?.results ?? [],
    thresholds: o.thresholds,
  });
  if (run.failed) throw run.error;
  return { summary, dir: recorder.dir, rateLimited: run.outcome?.stopReason === RATE_LIMIT_STOP };
}
