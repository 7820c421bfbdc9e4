/**
 * The simulator's parameters, each with where its value came from: `measured` (a run record),
 * `scenario` (the scenario file) or `default` (shared/reference/capacity.md, named in `source`).
 * `rehearse plan` prints them all, so a reader sees which numbers are guesses.
 */

import type { Spread } from '../core/random.js';
import type { Scenario } from '../scenarios/schema.js';
import { DEFAULT_NODE_OVERHEAD, type NodeOverhead, type Resources } from './node-capacity.js';
import { profileWeightedRequest } from './profile-sizing.js';

export type Origin = 'measured' | 'default' | 'scenario';

export interface Param<T> {
  value: T;
  origin: Origin;
  /** Where exactly: a scenario path, a record and metric, or a reference with section. */
  source: string;
}

/** Dask inside each user pod (LocalCluster sized by the pod's limits): no pods of its own. */
export interface DaskInPod {
  mode: 'in-pod';
}

/** dask-gateway: a scheduler and workers per user, in a node group of their own. */
export interface DaskGateway {
  mode: 'gateway';
  workersPerUser: number;
  worker: Resources;
  scheduler: Resources;
  /** From the user's server being ready to the cluster being asked for (first Dask cell). */
  startAfter: number;
}

export type DaskModel = DaskInPod | DaskGateway;

export interface AutoscalerModel {
  /** --scan-interval. */
  scanInterval: number;
  /** --scale-down-unneeded-time. */
  unneededTime: number;
  /** --scale-down-utilization-threshold. */
  utilizationThreshold: number;
  /** --expendable-pods-priority-cutoff: pending pods below it trigger no scale-up. */
  priorityCutoff: number;
}

export interface ModelValues {
  /** Scale-up decision → node Ready. */
  nodeReady: Spread;
  /** Pulling the user image onto a node that does not have it. */
  imagePull: Spread;
  /** A pre-puller pulls the image as soon as a node is Ready (and the pre-scaled nodes have it). */
  prePull: boolean;
  /** Pod bound to a node that has the image → server ready (container start, server start). */
  spawn: Spread;
  /** Jobs one node progresses at full speed at once (processor sharing); Infinity: independent. */
  spawnConcurrency: number;
  /**
   * Node CPU a new session uses right after its server is ready (kernel start, imports), in ms at
   * full speed, shared with the spawns on that node. 0 where CPU is guaranteed per pod.
   */
  sessionWarmup: number;

  /**
   * The hub's own work per spawn (ms), done before the server starts in its one process, which
   * interleaves the spawns it handles and shares the cores of the machine it runs on (local
   * target). 0: not modelled (on Kubernetes the pod start dominates).
   */
  hubWork: number;
  /** Click (or build done) → the hub receives the spawn request. */
  binderOverhead: number;
  /** Whether the ref still has to be built, and how long a build takes. */
  build: { needed: boolean; time: Spread };
  /** BinderHub Launcher.retries: attempts in all. */
  launchRetries: number;
  /** Waits before attempts 2, 3, 4 (BinderHub: 4, 8, 16 s). */
  retryDelays: number[];
  /** BinderHub launch_timeout, per attempt. */
  launchTimeout: number;
  /** KubeSpawner start_timeout. */
  startTimeout: number;
  /** JupyterHub concurrent_spawn_limit. */
  concurrentSpawnLimit: number;
  /** Retry-After range of its 429 (ms), honoured by a plain JupyterHub client. */
  retryAfter: [number, number];
  /** BinderHub LaunchQuota.total_quota (0: none). */
  launchQuota: number;
  /** Who spawns: BinderHub (a 429 fails the attempt, retried with backoff) or a JupyterHub client. */
  hubClient: 'binderhub' | 'jupyterhub';
  session: { duration: number; onEnd: 'stop' | 'keep'; cullTimeout: number; cullEvery: number };
  user: { request: Resources; limit: Resources };
  cellExec: Spread;
  autoscaler: AutoscalerModel;
  nodeOverhead: NodeOverhead;
  /** Preemption of a placeholder → the preemptor is bound (victim's graceful exit). */
  preemptionDelay: number;
  dask: DaskModel;
}

export type ModelParams = { [K in keyof ModelValues]: Param<ModelValues[K]> };

export function valuesOf(p: ModelParams): ModelValues {
  const out: Partial<Record<keyof ModelValues, unknown>> = {};
  for (const key of Object.keys(p) as (keyof ModelValues)[]) out[key] = p[key].value;
  return out as ModelValues;
}

const S = 1000;
const MIN = 60 * S;
const ref = (section: string) => `capacity.md ${section}`;
const dflt = <T>(value: T, source: string): Param<T> => ({ value, origin: 'default', source });
const scen = <T>(value: T, source: string): Param<T> => ({ value, origin: 'scenario', source });

/** Default p95/median of node-ready times when only a median is known. */
export const NODE_READY_SPREAD = 1.2;

/**
 * Parameters from the scenario and the reference. Kubernetes targets (binderhub, jupyterhub) get
 * 2i2c/z2jh values; the local target gets the local stack's (start_timeout 120 s, no pulls).
 */
export function defaultParams(scenario: Scenario): ModelParams {
  const t = scenario.target;
  const local = t.kind === 'local';
  const cap = scenario.capacity;
  const ready = cap?.nodeReady ?? 5 * MIN;
  const byProfile = profileWeightedRequest(scenario);
  const request: Resources =
    byProfile?.request ?? (cap ? { memory: cap.user.memory, cpu: cap.user.cpu } : { memory: 0, cpu: 0 });
  const spawnLimit = t.kind === 'binderhub' ? 100 : 64;
  return {
    nodeReady: cap
      ? scen(
          { median: ready, p95: ready * NODE_READY_SPREAD },
          `capacity.nodeReady (p95 = ${NODE_READY_SPREAD} × it)`,
        )
      : dflt({ median: ready, p95: ready * NODE_READY_SPREAD }, ref('§1.6: JS2 workers ≈ 5 min warm')),
    imagePull: local
      ? dflt({ median: 0, p95: 0 }, 'local target: no images')
      : dflt({ median: 5 * MIN, p95: 10 * MIN }, ref('§4.1: a large image takes 5 to 10 minutes')),
    prePull: dflt(true, 'plan step: pre-pull the pinned image (2i2c event-prep, capacity.md §3.4)'),
    spawn: local
      ? dflt({ median: 2.5 * S, p95: 5 * S }, 'local target: a jupyter-server process start')
      : dflt({ median: 15 * S, p95: 45 * S }, 'no published figure: pod start + jupyter-server start'),
    spawnConcurrency: local
      ? dflt(2, 'local target: one spawn per core (2-core machine)')
      : dflt(Infinity, 'kubelet starts containers in parallel'),
    sessionWarmup: local
      ? dflt(3 * S, 'local target: kernel start and first imports share the 2 cores')
      : dflt(0, 'CPU requests isolate pods (guarantee = limit)'),
    hubWork: local
      ? dflt(300, 'local target: JupyterHub spawns from one Python process (user, token, proxy route)')
      : dflt(0, 'not modelled: pod start dominates a Kubernetes spawn; concurrentSpawnLimit bounds the hub'),
    binderOverhead: dflt(1 * S, 'BinderHub: resolve ref, find image, create user'),
    build: local
      ? scen(
          { needed: (t.buildTime ?? 0) > 0, time: { median: t.buildTime ?? 0, p95: t.buildTime ?? 0 } },
          'target.buildTime (the local emulation builds on the first launch)',
        )
      : dflt(
          { needed: false, time: { median: 10 * MIN, p95: 20 * MIN } },
          'the ref is pinned and launched once before the event (pythia-workshop.yaml: repo)',
        ),
    launchRetries: dflt(4, 'BinderHub Launcher.retries (issue [capacity])'),
    retryDelays: dflt([4 * S, 8 * S, 16 * S], 'BinderHub launcher backoff 4, 8, 16 s'),
    launchTimeout: dflt(600 * S, ref('§4.5: BinderHub launch_timeout 600 s')),
    startTimeout: local
      ? dflt(120 * S, 'local target: c.Spawner.start_timeout 120 s')
      : t.kind === 'binderhub'
        ? dflt(600 * S, ref('§3.2: 2i2c basehub startTimeout 600 s'))
        : dflt(300 * S, ref('§4.2: z2jh singleuser.startTimeout 300 s')),
    concurrentSpawnLimit:
      local && t.concurrentSpawnLimit !== undefined
        ? scen(t.concurrentSpawnLimit, 'target.concurrentSpawnLimit')
        : dflt(
            spawnLimit,
            ref(t.kind === 'binderhub' ? '§3.2: 2i2c concurrentSpawnLimit 100' : '§4.2: z2jh 64'),
          ),
    retryAfter: dflt([30 * S, 60 * S], 'JupyterHub concurrent_spawn_limit 429: Retry-After 30–60 s'),
    launchQuota:
      local && t.launchQuota !== undefined
        ? scen(t.launchQuota, 'target.launchQuota')
        : dflt(0, ref('§4.5: LaunchQuota.total_quota None')),
    hubClient: scen(t.kind === 'jupyterhub' ? 'jupyterhub' : 'binderhub', 'target.kind'),
    session: scen(
      {
        duration: scenario.session.duration,
        onEnd: scenario.session.onEnd,
        cullTimeout: 3600 * S,
        cullEvery: 600 * S,
      },
      'session.duration, session.onEnd (cull: z2jh timeout 3600 s every 600 s)',
    ),
    user: cap
      ? scen(
          {
            request,
            limit: byProfile
              ? request
              : {
                  memory: cap.user.limit?.memory ?? request.memory,
                  cpu: cap.user.limit?.cpu ?? request.cpu,
                },
          },
          byProfile
            ? `${byProfile.source} (limit = guarantee)`
            : 'capacity.user (a limit not given = its guarantee: oversubscription 1 for events, §3.4)',
        )
      : dflt({ request, limit: request }, 'no capacity section'),
    cellExec: dflt({ median: 2 * S, p95: 10 * S }, 'no published figure: a workshop cell'),
    autoscaler: dflt(
      { scanInterval: 10 * S, unneededTime: 10 * MIN, utilizationThreshold: 0.5, priorityCutoff: -10 },
      ref('§4.3: cluster-autoscaler defaults'),
    ),
    nodeOverhead: dflt({ ...DEFAULT_NODE_OVERHEAD }, 'calico-node 250m + margin (node-capacity.ts)'),
    preemptionDelay: dflt(2 * S, "kube-scheduler preemption: the pause container's graceful exit"),
    dask: dflt({ mode: 'in-pod' }, ref('§6: Pythia binder has no dask-gateway; LocalCluster in the pod')),
  };
}
