/**
 * Calibration: replace default parameters with what a run record measured, each marked
 * `measured` with the record and metric it came from. From the summary's trends (ms): spawn
 * (`launch.start`), pulls (`launch.pull`), node scale-up (`launch.scaleup`), builds (`launch.build`),
 * BinderHub's own overhead (`launch.queue`), cells (`cell.exec`); from the recorded local-target
 * settings: concurrent_spawn_limit, launch quota, build time. For a local-target record the
 * machine itself is fitted as one node (fitLocal).
 */

import type { TrendSummary } from '../core/hdr.js';
import type { Spread } from '../core/random.js';
import { stat } from '../loadgen/record/cluster.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import { type ModelParams, type ModelValues, type Param, valuesOf } from './model.js';
import { simulate } from './sim/simulate.js';
import type { SimInput } from './sim/types.js';

/** One user of a recorded run: click time and time-to-ready (null: the launch failed). */
export interface Observed {
  arrival: number;
  timeToReady: number | null;
}

export interface LocalFit {
  /** Spawn work at full speed (ms). */
  spawn: number;
  /** Jobs the machine runs at full speed at once: its cores (meta.host.cpus). */
  concurrency: number;
  /** A new session's warm-up work (ms). */
  warmup: number;
  /** The hub's own CPU work per spawn (ms), in its one process that interleaves the spawns it handles. */
  hubWork: number;
  /** Root-mean-square error of ln(predicted / measured) time-to-ready over the users. */
  rmsLogError: number;
  users: number;
}

export interface Calibration {
  params: ModelParams;
  recordId: string;
  observed: Observed[];
  localFit?: LocalFit;
  notes: string[];
}

const spreadOf = (t: TrendSummary): Spread => ({ median: t.p50, p95: Math.max(t.p95, t.p50) });

/** Every launch of the record, in click order, from its `launch` step events. */
export function observedLaunches(record: RunRecord): Observed[] {
  const out: Observed[] = [];
  for (const ev of record.events) {
    if (ev.type !== 'step' || ev.step !== 'launch') continue;
    out.push({ arrival: ev.scheduled, timeToReady: ev.ok ? ev.duration : null });
  }
  return out.sort((a, b) => a.arrival - b.arrival);
}

/**
 * `targetKind` is what the *scenario being planned* targets. A record from the local target sizes a
 * local plan fully; for a Kubernetes plan only its cell times carry over: its spawns are
 * jupyter-server processes on this machine (not pods on a node), its builds an emulation, its
 * limits the local stack's settings.
 */
export function calibrate(
  base: ModelParams,
  record: RunRecord,
  targetKind: 'local' | 'binderhub' | 'jupyterhub',
): Calibration {
  const id = record.meta.id;
  const p: ModelParams = { ...base };
  const notes: string[] = [];
  if (record.meta.target.kind === 'local' && targetKind !== 'local') {
    return calibrateCellsOnly(p, record, targetKind);
  }
  const trend = (key: string): TrendSummary | undefined => {
    const t = record.summary.trends[key];
    return t && t.count > 0 ? t : undefined;
  };
  const measured = <T>(value: T, what: string): Param<T> => ({
    value,
    origin: 'measured',
    source: `${id}: ${what}`,
  });
  const described = (key: string, t: TrendSummary) => `${key} p50/p95 (n=${t.count})`;

  const start = trend('launch.start');
  if (start) p.spawn = measured(spreadOf(start), described('launch.start', start));
  const pull = trend('launch.pull');
  if (pull) p.imagePull = measured(spreadOf(pull), described('launch.pull', pull));
  const scaleup = trend('launch.scaleup');
  if (scaleup) p.nodeReady = measured(spreadOf(scaleup), described('launch.scaleup', scaleup));
  applyCluster(p, record, notes);
  const queue = trend('launch.queue');
  if (queue) p.binderOverhead = measured(queue.p50, `launch.queue p50 (n=${queue.count})`);
  const cells = trend('cell.exec');
  if (cells) p.cellExec = measured(spreadOf(cells), described('cell.exec', cells));
  const build = trend('launch.build');
  if (build && build.max >= 1000) {
    const time = { median: build.max, p95: build.max };
    p.build = measured(
      { needed: base.build.value.needed, time },
      'launch.build max (the first launch built)',
    );
  }

  const local = record.meta.target.kind === 'local' ? record.meta.target.local : undefined;
  if (local) {
    const setting = (key: string) => (typeof local[key] === 'number' ? local[key] : undefined);
    const limit = setting('concurrentSpawnLimit');
    if (limit !== undefined) p.concurrentSpawnLimit = measured(limit, 'target.local.concurrentSpawnLimit');
    const quota = setting('launchQuota');
    if (quota !== undefined) p.launchQuota = measured(quota, 'target.local.launchQuota');
    const buildSeconds = setting('buildSeconds');
    if (buildSeconds !== undefined) {
      const ms = buildSeconds * 1000;
      p.build = measured({ needed: ms > 0, time: { median: ms, p95: ms } }, 'target.local.buildSeconds');
    }
  }
  const observed = observedLaunches(record);
  let localFit: LocalFit | undefined;
  if (local && observed.some((o) => o.timeToReady !== null)) {
    // On the local target launch.queue ('launching' → the hub's first progress event) is the hub's
    // own start part of each spawn, which the fit models as hub work shared in its one process; as
    // a fixed overhead only what no load stretches: the least any launch took.
    if (queue)
      p.binderOverhead = measured(queue.min, `launch.queue min (n=${queue.count}): the hub's work is fitted`);
    localFit = fitLocal(valuesOf(p), observed, record.meta.seed, Math.max(1, record.meta.host.cpus));
    const fit = `local fit over ${localFit.users} launches, rms ln error ${localFit.rmsLogError.toFixed(3)}`;
    // The fit finds the median work (deterministic replay); the spread of single spawns is the
    // recorded one: p95 = S · launch.start p95/p50 (1 without that trend). Without it a rush's
    // slowest launches are under-predicted (bench/calibration.mjs). launch.start also holds some
    // queueing when spawns overlap, so this errs on the wide side.
    const spread = start ? Math.max(1, start.p95 / Math.max(1, start.p50)) : 1;
    p.spawn = measured(
      { median: localFit.spawn, p95: Math.round(localFit.spawn * spread) },
      `spawn work, ${fit}; spread launch.start p95/p50 ${spread.toFixed(2)}`,
    );
    p.spawnConcurrency = measured(
      localFit.concurrency,
      'meta.host.cpus: the machine is one node of that many cores',
    );
    p.sessionWarmup = measured(localFit.warmup, `session warm-up work, ${fit}`);
    p.hubWork = measured(localFit.hubWork, `hub work per spawn (its one process, shared), ${fit}`);
  }
  if (record.partial)
    notes.push(`${id} is a partial record (${record.summary.status}); its figures may be skewed`);
  if (!start && !pull && !scaleup)
    notes.push(`${id} has no launch phase timings; spawn and node times stay defaults`);
  return { params: p, recordId: id, observed, ...(localFit ? { localFit } : {}), notes };
}

function calibrateCellsOnly(p: ModelParams, record: RunRecord, targetKind: string): Calibration {
  const id = record.meta.id;
  const notes = [
    `${id} ran on the local target: only its cell times apply to a ${targetKind} plan (spawns, builds and limits there are this machine's, not a cluster's); the rest stay defaults`,
  ];
  const cells = record.summary.trends['cell.exec'];
  if (cells && cells.count > 0) {
    p.cellExec = {
      value: spreadOf(cells),
      origin: 'measured',
      source: `${id}: cell.exec p50/p95 (n=${cells.count})`,
    };
  }
  if (record.partial)
    notes.push(`${id} is a partial record (${record.summary.status}); its figures may be skewed`);
  return { params: p, recordId: id, observed: observedLaunches(record), notes };
}

/**
 * What the cluster observer saw (cluster.json, a run with --kubeconfig) outranks the progress
 * messages: image pulls as the kubelet timed them (not cached ones), the wait for a new node as
 * TriggeredScaleUp → Scheduled of each user pod. Peak memory above the guarantee is a warning:
 * the plan packs users by their guarantee.
 */
function applyCluster(p: ModelParams, record: RunRecord, notes: string[]): void {
  const c = record.cluster;
  if (!c) return;
  const id = record.meta.id;
  const fromStat = (st: { median: number; p95: number }): Spread => ({
    median: st.median,
    p95: Math.max(st.p95, st.median),
  });
  const pull = c.summary.imagePull;
  if (pull && pull.n > 0) {
    p.imagePull = {
      value: fromStat(pull),
      origin: 'measured',
      source: `${id}: cluster.json kubelet pulls p50/p95 (n=${pull.n})`,
    };
  }
  const scaleups = stat(
    c.launches.flatMap((l) => (l.phases.scaleup === undefined ? [] : [l.phases.scaleup])),
  );
  if (scaleups) {
    p.nodeReady = {
      value: fromStat(scaleups),
      origin: 'measured',
      source: `${id}: cluster.json TriggeredScaleUp → Scheduled p50/p95 (n=${scaleups.n})`,
    };
  }
  const mem = c.summary.peakMemoryPerUser;
  const guarantee = p.user.value.request.memory;
  if (mem && guarantee > 0 && mem.p95 > guarantee) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
    notes.push(
      `${id}: users' peak memory p95 ${gib(mem.p95)} exceeds the guarantee ${gib(guarantee)} (cluster.json): raise capacity.user.memory, or nodes will be overcommitted`,
    );
  }
  if (c.warnings.length > 0) notes.push(`${id}: the cluster observer was degraded: ${c.warnings.join('; ')}`);
}

/** The local target as the simulator sees it: one fixed node with unbounded room, no pulls. */
export function localTargetInput(model: ModelValues, arrivals: readonly number[], seed: number): SimInput {
  const unbounded = {
    cpu: Number.POSITIVE_INFINITY,
    memory: Number.POSITIVE_INFINITY,
    pods: Number.POSITIVE_INFINITY,
  };
  return {
    seed,
    arrivals,
    user: { name: 'local', role: 'user', room: unbounded, min: 1, max: 1, initial: 1, suPerHour: 0 },
    placeholders: 0,
    model: { ...model, prePull: true, imagePull: { median: 0, p95: 0 }, dask: { mode: 'in-pod' } },
  };
}

const WARMUP_MS = Array.from({ length: 17 }, (_, i) => 500 * i);
const SPAWN_MS = Array.from({ length: 31 }, (_, i) => 500 + 250 * i);
const HUB_MS = [0, 100, 200, 300, 500, 750, 1000, 1500];

/**
 * Fit the local machine as one node whose concurrency c is its core count (recorded in the run's
 * meta): grid search over the hub's own work per spawn H (0–1.5 s, in its one process, which
 * interleaves the spawns it handles and shares the cores with them), spawn work S (0.5–8 s, shared
 * by processor sharing) and a new session's warm-up W (0–8 s),
 * replaying the recorded click times through the one-node model (deterministic spawns), minimising
 *   E(H, S, W) = Σ_users (ln predicted_i − ln measured_i)²
 * over users whose launch succeeded. H is the one JupyterHub process's share of a spawn: in a rush
 * it competes with the servers already starting (sim/kubelet.ts jobRate). Ties keep the first grid point
 * (smaller H, then W, then S).
 */
export function fitLocal(
  model: ModelValues,
  observed: readonly Observed[],
  seed: number,
  concurrency: number,
): LocalFit {
  const arrivals = observed.map((o) => o.arrival);
  let best: LocalFit | null = null;
  let bestErr = Number.POSITIVE_INFINITY;
  for (const hubWork of HUB_MS) {
    for (const warmup of WARMUP_MS) {
      for (const spawn of SPAWN_MS) {
        const m: ModelValues = {
          ...model,
          spawn: { median: spawn, p95: spawn },
          spawnConcurrency: concurrency,
          sessionWarmup: warmup,
          hubWork,
        };
        const e = logError(simulate(localTargetInput(m, arrivals, seed)).users, observed);
        if (e.n > 0 && e.err < bestErr) {
          bestErr = e.err;
          best = { spawn, concurrency, warmup, hubWork, rmsLogError: Math.sqrt(e.err / e.n), users: e.n };
        }
      }
    }
  }
  if (!best) throw new RangeError('fitLocal: no successful launch to fit');
  return best;
}

/** Σ (ln predicted − ln measured)² over the users whose launch succeeded in both. */
function logError(
  predicted: readonly { timeToReady: number | null }[],
  observed: readonly Observed[],
): { err: number; n: number } {
  let err = 0;
  let n = 0;
  observed.forEach((o, i) => {
    const p = predicted[i]?.timeToReady;
    if (o.timeToReady === null || p === null || p === undefined) return;
    err += (Math.log(Math.max(1, p)) - Math.log(Math.max(1, o.timeToReady))) ** 2;
    n += 1;
  });
  return { err, n };
}
