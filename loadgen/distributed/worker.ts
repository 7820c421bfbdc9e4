import { hostname } from 'node:os';
import { parseScenario, scenarioHash } from '../../scenarios/load.js';
import type { Clock } from '../clock.js';
import { planArrivals } from '../plan/arrivals.js';
import { executePlan, INTERVAL_MS } from '../run.js';
import type { UserContext, UserResult } from '../runner/user.js';
import { EpochClock } from './clock.js';
import { targetFromSpec, type WorkerConfig } from './config.js';
import { formatLine, PROTOCOL_VERSION, type WireResult, type WorkerLine } from './protocol.js';
import { shardPlan } from './shard.js';

/**
 * `rehearse worker`: run shard `index` of a distributed run and stream it to the coordinator as
 * protocol lines (protocol.ts) on `out`. The same `executePlan` as a one-process run, from the
 * common start time; cleanup is the users' own (they leave and stop their servers). `stop` (first
 * SIGINT/SIGTERM): no new arrivals, users leave; `abort` (second): now. Returns the exit code: 0
 * when the shard ran to its end (whatever its users' outcomes), 1 when it could not.
 */

/** A worker refuses a start further ahead than this (a wrong clock, or a stale config). */
export const MAX_START_WAIT_MS = 15 * 60_000;
const HEARTBEAT_MS = 1000;

export interface WorkerOptions {
  config: WorkerConfig;
  index: number;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  log: (line: string) => void;
  stop: AbortSignal;
  abort: AbortSignal;
  clock?: Clock;
  openServer?: UserContext['openServer'];
  sampleLoopDelay?: boolean;
}

export async function runWorker(o: WorkerOptions): Promise<number> {
  const { config, index } = o;
  const shard = index;
  const send = (line: WorkerLine) => o.out(formatLine(line));
  const scenario = parseScenario(config.scenarioYaml, config.scenarioSource);
  if (scenarioHash(scenario) !== config.scenarioHash) {
    throw new Error(
      `worker ${index}: the scenario parses to hash ${scenarioHash(scenario).slice(0, 12)}, the coordinator's is ${config.scenarioHash.slice(0, 12)}: different rehearse versions?`,
    );
  }
  if (index >= config.shards) throw new RangeError(`worker index ${index} >= shards ${config.shards}`);
  const plan = shardPlan(planArrivals(scenario, { seed: config.seed }), index, config.shards);
  const clock = o.clock ?? new EpochClock(config.startAt);
  if (-clock.now() > MAX_START_WAIT_MS) {
    throw new Error(`worker ${index}: the start is ${Math.round(-clock.now() / 1000)} s away (clock skew?)`);
  }
  const target = targetFromSpec(config.target, config.launchTimeoutMs, o.env);
  send({
    v: PROTOCOL_VERSION,
    shard,
    type: 'hello',
    shards: config.shards,
    planned: plan.arrivals.length,
    pid: process.pid,
    host: hostname(),
    startAt: config.startAt,
    clock: clock.now(),
  });
  await waitForStart(clock, o, () =>
    send({ v: PROTOCOL_VERSION, shard, type: 'heartbeat', t: clock.now(), flushedUntil: 0 }),
  );
  const run = await executePlan({
    plan,
    clock,
    target,
    cells: config.cells,
    session: scenario.session,
    protocol: config.protocol,
    thresholds: [], // judged once, by the coordinator, on the merged data
    stop: o.stop,
    abort: o.abort,
    sampleLoopDelay: o.sampleLoopDelay,
    openServer: o.openServer,
    reporter: {
      onMessage: (m) => o.log(`worker ${index}: ${m}`),
      // After the runner's flush of the store: every interval ending by floor(t) has been sent.
      onProgress: (p) =>
        send({
          v: PROTOCOL_VERSION,
          shard,
          type: 'heartbeat',
          t: p.t,
          flushedUntil: Math.floor(p.t / INTERVAL_MS) * INTERVAL_MS,
          progress: p,
        }),
    },
    onInterval: (rec) => send({ v: PROTOCOL_VERSION, shard, type: 'interval', rec }),
    event: (ev) => send({ v: PROTOCOL_VERSION, shard, type: 'event', ev }),
    onUserEnd: (r) => send({ v: PROTOCOL_VERSION, shard, type: 'user-end', result: wireResult(r) }),
  });
  send({
    v: PROTOCOL_VERSION,
    shard,
    type: 'done',
    status: run.status === 'running' ? 'failed' : run.status,
    stopReason: run.outcome?.stopReason,
    endedAt: run.endedAt,
    error: run.failed ? String((run.error as Error)?.message ?? run.error) : undefined,
  });
  if (run.failed) o.log(`worker ${index}: ${(run.error as Error)?.stack ?? run.error}`);
  return run.failed ? 1 : 0;
}

/** Heartbeats (flushedUntil 0) until the common start, or until stopped. */
async function waitForStart(clock: Clock, o: WorkerOptions, beat: () => void): Promise<void> {
  const signal = AbortSignal.any([o.stop, o.abort]);
  while (clock.now() < 0 && !signal.aborted) {
    beat();
    try {
      await clock.sleepUntil(Math.min(0, clock.now() + HEARTBEAT_MS), signal);
    } catch {
      return; // stopped before the start: every user of the shard ends not-started
    }
  }
}

/** A user's result as streamed: no server token, the server URL only when it was kept on purpose. */
export function wireResult(r: UserResult): WireResult {
  return {
    id: r.id,
    outcome: r.outcome,
    reason: r.reason,
    cellsRun: r.cellsRun,
    kept: r.kept,
    serverUrl: r.kept ? r.server?.serverUrl : undefined,
    hubUser: r.server?.hubUser,
  };
}
