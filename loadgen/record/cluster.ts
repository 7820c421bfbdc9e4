import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../core/errors.js';
import { readJsonPart, writeJsonPart } from './json-part.js';
import type { RunEvent } from './types.js';

/**
 * `cluster.json` in a run record: what the cluster observer (loadgen/observe/, a run with
 * --kubeconfig) saw of the Kubernetes cluster. Lives here, beside the run record's other files,
 * because analysis/ (calibration) and reports/ (the cluster chart) read it and may import only
 * loadgen/record/.
 *
 * Times `t`/`at` are ms since the run's start (Kubernetes timestamps converted with the run's
 * wall-clock start; the cluster's clock may be skewed against ours by a second or so). Durations
 * (`ms`) are differences of two Kubernetes timestamps, so skew cancels out. Memory in bytes.
 */
export const CLUSTER_FILE = 'cluster.json';
export const CLUSTER_RECORD_VERSION = 1;

/** One sample of the cluster chart: structurally a reports/specs ClusterTimeline sample. */
export interface ClusterSample {
  t: number;
  /** Ready nodes by node group (label capi.stackhpc.com/node-group; '(none)' without it). */
  nodes: Record<string, number>;
  /** User server pods not yet bound to a node (Pending, no spec.nodeName). */
  pendingPods: number;
}

/** Median / 95th percentile / max over n values (nearest-rank percentiles, see `stat`). */
export interface Stat {
  n: number;
  median: number;
  p95: number;
  max: number;
}

/** A node that became Ready while observed: Ready transition − creationTimestamp. */
export interface NodeReady {
  node: string;
  group: string;
  createdAt: number;
  readyAt: number;
  ms: number;
}

/** One kubelet `Pulled` event: the pull time it reports (0 and cached for "already present"). */
export interface ImagePull {
  t: number;
  pod: string;
  node?: string;
  image: string;
  ms: number;
  /** The "(… including waiting)" figure: time queued behind other pulls on the node, plus the pull. */
  withWaitMs?: number;
  cached: boolean;
}

/**
 * One user server pod and where its wait went, from Kubernetes' view. Phases (ms):
 *   schedule = (TriggeredScaleUp | Scheduled) − created   waiting for the scheduler / a decision
 *   scaleup  = Scheduled − TriggeredScaleUp                waiting for a new node
 *   pull     = Σ kubelet-reported pull times of its images (kubelet pulls one image at a time)
 *   start    = Ready − (last Pulled | Scheduled)           container and server start
 *   total    = Ready − created
 */
export interface PodLaunch {
  /** The JupyterHub user (annotation/label hub.jupyter.org/username); the run's `user-end.hubUser`. */
  hubUser: string;
  pod: string;
  node?: string;
  group?: string;
  createdAt: number;
  scaleUpAt?: number;
  scheduledAt?: number;
  readyAt?: number;
  failedScheduling: number;
  preempted: boolean;
  phases: { schedule?: number; scaleup?: number; pull?: number; start?: number; total?: number };
  peakMemoryBytes?: number;
  peakCpuCores?: number;
}

export type MetricsAvailability = 'available' | 'absent' | 'forbidden' | 'failed' | 'not-tried';

export interface ClusterSummary {
  /** Calibration's nodeReady input (ms); null when no node became Ready while observed. */
  nodeReady: Stat | null;
  /** Calibration's imagePull input (ms), over pulls that were not cached. */
  imagePull: Stat | null;
  cachedPulls: number;
  /** Most user server pods on one node at once, overall and per node group. */
  usersPerNode: { max: number; byGroup: Record<string, number> };
  /** Peak working-set memory per user (bytes) from metrics.k8s.io; null without metrics. */
  peakMemoryPerUser: Stat | null;
  metrics: MetricsAvailability;
  scaleUps: number;
  failedScheduling: number;
  /** Preempted events: each is a placeholder giving its room to a user pod. */
  preemptions: number;
}

export interface ClusterEventNote {
  t: number;
  reason: string;
  object: string;
  message: string;
  count: number;
}

export interface ClusterRecord {
  version: typeof CLUSTER_RECORD_VERSION;
  namespace: string;
  /** Observed span, ms since the run's start. */
  from: number;
  to: number;
  samples: ClusterSample[];
  nodes: NodeReady[];
  pulls: ImagePull[];
  launches: PodLaunch[];
  /** The scheduling/scale-up/pull/preemption events seen (capped; see `eventsDropped`). */
  events: ClusterEventNote[];
  eventsDropped: number;
  summary: ClusterSummary;
  /** What degraded (RBAC, missing metrics API, reconnects that gave up), for the report. */
  warnings: string[];
}

/**
 * Nearest-rank percentile of sorted values: the ⌈q·n⌉-th smallest (q in (0, 1]). Exact, no
 * interpolation, so a percentile is always a measured value.
 */
export function stat(values: readonly number[]): Stat | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const rank = (q: number) => s[Math.max(0, Math.ceil(q * s.length) - 1)] as number;
  return { n: s.length, median: rank(0.5), p95: rank(0.95), max: s[s.length - 1] as number };
}

/** Write cluster.json into the record folder (tmp + rename: never half a file). */
export function writeObserverRecord(dir: string, record: ClusterRecord): string {
  return writeJsonPart(join(dir, CLUSTER_FILE), record);
}

/**
 * cluster.json of a record, or null when the run had no observer. A file that is there but not
 * a cluster record is an InputError (exit 2), like an unreadable meta.json.
 */
export function readObserverRecord(dir: string): ClusterRecord | null {
  const file = join(dir, CLUSTER_FILE);
  if (!existsSync(file)) return null;
  const hint = `${CLUSTER_FILE} is written by the cluster observer at the end of \`rehearse run --kubeconfig\`; move the damaged file away to read the rest of the record.`;
  const o = readJsonPart(file, hint) as Partial<ClusterRecord> | null;
  if (typeof o !== 'object' || o === null || !Array.isArray(o.samples) || typeof o.summary !== 'object') {
    throw new InputError('RECORD_INVALID', `${file} is not a cluster record (no samples or summary)`, {
      hint,
    });
  }
  if (o.version !== CLUSTER_RECORD_VERSION) {
    throw new InputError(
      'RECORD_INVALID',
      `${file} has cluster record version ${String(o.version)}; this rehearse reads ${CLUSTER_RECORD_VERSION}`,
      { hint },
    );
  }
  return o as ClusterRecord;
}

/**
 * Join the observer's pods to the run's simulated users: a `user-end` event names the hub user
 * its launch got (`hubUser`), the pod carries the same name in hub.jupyter.org/username. A hub
 * user launched more than once (a retry) maps to its last pod. Returns simulated user → launch.
 */
export function linkLaunches(record: ClusterRecord, events: readonly RunEvent[]): Map<string, PodLaunch> {
  const byHubUser = new Map<string, PodLaunch>();
  for (const l of [...record.launches].sort((a, b) => a.createdAt - b.createdAt)) byHubUser.set(l.hubUser, l);
  const out = new Map<string, PodLaunch>();
  for (const ev of events) {
    if (ev.type !== 'user-end' || ev.hubUser === undefined) continue;
    const launch = byHubUser.get(ev.hubUser);
    if (launch) out.set(ev.user, launch);
  }
  return out;
}
