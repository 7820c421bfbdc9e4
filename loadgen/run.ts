import { cpus, hostname, totalmem } from 'node:os';
import type { LoadedScenario } from '../scenarios/load.js';
import { type Clock, RealClock } from './clock.js';
import { MetricStore } from './metrics/store.js';
import type { CodeCell } from './notebook.js';
import { planArrivals } from './plan/arrivals.js';
import type { IntervalRecord, RunEvent, RunStatus, RunSummary } from './record/types.js';
import { RecordWriter } from './record/writer.js';
import { startLoopDelaySampler } from './runner/loop-delay.js';
import type { RunReporter } from './runner/progress.js';
import { RATE_LIMIT_STOP, runPlan } from './runner/runner.js';
import { buildSummary } from './runner/summary.js';
import type { TargetAdapter } from './runner/targets.js';
import type { UserContext } from './runner/user.js';
import { checkAbort, type Threshold, thresholdPercentiles } from './thresholds.js';

/**
 * `rehearse run` as a library call: plan the arrivals, run them against a target, record
 * everything into `runs/<id>/`, judge the thresholds. The caller owns the target's lifetime
 * (the CLI starts and stops the local one) and the signals (`stop`: finish cleanly; `abort`: now).
 */

export const INTERVAL_MS = 10_000;

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
}

export interface RehearseResult {
  summary: RunSummary;
  dir: string;
  rateLimited: boolean;
}

export async function rehearse(o: RehearseOptions): Promise<RehearseResult> {
  const { scenario } = o.loaded;
  const clock = o.clock ?? new RealClock();
  const seed = o.seed ?? scenario.seed;
  const plan = planArrivals(scenario, { seed });
  const startedAt = clock.wallTime(0).toISOString();
  const writer = RecordWriter.create(o.runsDir, {
    id: o.runId,
    tool: { name: 'rehearse', version: o.toolVersion },
    scenario: { name: scenario.name, hash: o.loaded.hash, source: o.loaded.sourcePath, normalized: scenario },
    seed,
    target: o.target.describe(),
    host: {
      hostname: hostname(),
      platform: process.platform,
      arch: process.arch,
      node: process.version,
      cpus: cpus().length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
    intervalMs: INTERVAL_MS,
    plannedUsers: plan.arrivals.length,
    startedAt,
  });
  const intervals: IntervalRecord[] = [];
  const failedCleanups: RunEvent[] = [];
  const store = new MetricStore({
    intervalMs: INTERVAL_MS,
    onInterval: (rec) => {
      intervals.push(rec);
      writer.interval(rec);
    },
  });
  const event = (ev: RunEvent) => {
    writer.event(ev);
    if (ev.type === 'cleanup' && !ev.ok) failedCleanups.push(ev);
  };
  const stopSampler =
    o.sampleLoopDelay === false
      ? () => undefined
      : startLoopDelaySampler(
          (s) => store.add(s),
          () => clock.now(),
        );
  let status: RunStatus = 'failed';
  let outcome: Awaited<ReturnType<typeof runPlan>> | undefined;
  let summary: RunSummary | undefined;
  try {
    outcome = await runPlan({
      plan,
      clock,
      store,
      event,
      reporter: o.reporter,
      stop: o.stop,
      abort: o.abort,
      user: {
        target: o.target,
        cells: o.cells,
        session: scenario.session,
        protocol: o.protocol ?? 'v1',
        stepTimeoutMs: o.stepTimeoutMs ?? 120_000,
        cellTimeoutMs: o.cellTimeoutMs ?? 600_000,
        openServer: o.openServer,
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
    status = outcome.stopReason ? 'aborted' : 'completed';
  } finally {
    // Also after an error: the record is completed (status failed) so that it stays readable.
    stopSampler();
    const endedAt = outcome?.endedAt ?? clock.now();
    event({ type: 'run-end', t: endedAt, status });
    store.close(endedAt);
    summary = buildSummary({
      id: writer.id,
      scenario: scenario.name,
      status,
      stopReason: outcome?.stopReason,
      startedAt,
      endedAt: clock.wallTime(endedAt).toISOString(),
      durationMs: endedAt,
      planned: plan.arrivals.length,
      results: outcome?.results ?? [],
      intervals,
      events: failedCleanups,
      thresholds: o.thresholds,
    });
    writer.finish(summary, status, outcome?.stopReason);
    writer.close();
  }
  return { summary, dir: writer.dir, rateLimited: outcome.stopReason === RATE_LIMIT_STOP };
}
