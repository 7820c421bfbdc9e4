import { hostname } from 'node:os';
import { RehearseError } from '../../core/errors.js';
import { parseScenario, scenarioHash } from '../../scenarios/load.js';
import { planArrivals } from '../arrivals.js';
import type { Clock } from '../clock.js';
import type { MetricStore } from '../metrics/store.js';
import { executePlan } from '../run.js';
import type { UserContext } from '../runner/user.js';
import { EpochClock } from './clock.js';
import { targetFromSpec, type WorkerConfig } from './config.js';
import { LineWriter, PROTOCOL_VERSION, toWire, type WorkerMessage } from './protocol.js';
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
  const writer = new LineWriter(o.out);
  const send = (m: WorkerMessage) => writer.send(m);
  const scenario = parseScenario(config.scenarioYaml, config.scenarioSource);
  if (scenarioHash(scenario) !== config.scenarioHash) {
    throw new RehearseError(
      'WORKER_VERSION_MISMATCH',
      `worker ${index}: the scenario parses to hash ${scenarioHash(scenario).slice(0, 12)}, the coordinator's is ${config.scenarioHash.slice(0, 12)}`,
      { hint: 'Run the same rehearse version in the coordinator and the worker image (--image).' },
    );
  }
  if (index >= config.shards) {
    throw new RehearseError('WORKER_INDEX', `worker index ${index} >= shards ${config.shards}`, {
      hint: 'The index comes from --index or JOB_COMPLETION_INDEX; the coordinator sets both.',
    });
  }
  const plan = shardPlan(planArrivals(scenario, { seed: config.seed }), index, config.shards);
  const clock = o.clock ?? new EpochClock(config.startAt);
  if (-clock.now() > MAX_START_WAIT_MS) {
    throw new RehearseError(
      'WORKER_START_TOO_FAR',
      `worker ${index}: the start is ${Math.round(-clock.now() / 1000)} s away`,
      { hint: "Check this host's clock (NTP) against the coordinator's, or a stale worker config." },
    );
  }
  let store: MetricStore | undefined;
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
    onStore: (s) => {
      store = s;
    },
    reporter: {
      onMessage: (m) => o.log(`worker ${index}: ${m}`),
      // The store's own closed boundary: every interval ending by it has been sent (lines are
      // written in order). Not floor(p.t): the clock may have crossed a boundary since the flush.
      onProgress: (p) =>
        send({
          v: PROTOCOL_VERSION,
          shard,
          type: 'heartbeat',
          t: p.t,
          flushedUntil: store?.closedUntil ?? 0,
          progress: p,
        }),
    },
    onInterval: (rec) => send({ v: PROTOCOL_VERSION, shard, type: 'interval', rec }),
    event: (ev) => send({ v: PROTOCOL_VERSION, shard, type: 'event', ev }),
    onUserEnd: (r) => send({ v: PROTOCOL_VERSION, shard, type: 'user-end', result: toWire(r) }),
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
