/**
 * What the cluster simulator takes and returns. Times are ms from the event start (t = 0: the
 * instructor shares the link); node groups are pre-scaled before it (their `initial` nodes are
 * Ready at t = 0; the cost of getting them there is the budget's business, analysis/cost.ts).
 */
import type { ModelValues } from '../model.js';
import type { NodeRoom } from '../node-capacity.js';

export interface SimGroup {
  /** Node-group name, e.g. `user-m3-large`. */
  name: string;
  role: 'user' | 'dask';
  /** Room for our pods on one node (node-capacity.ts nodeRoom). */
  room: NodeRoom;
  /** The autoscaler keeps at least `min` and at most `max` nodes. */
  min: number;
  max: number;
  /** Nodes Ready at t = 0 (pre-scaled; they hold the image when the model pre-pulls). */
  initial: number;
  suPerHour: number;
}

export interface SimInput {
  seed: number;
  /** Click times, ms from the event start, non-decreasing. */
  arrivals: readonly number[];
  user: SimGroup;
  /** dask-gateway workers' group (model.dask.mode 'gateway'). */
  dask?: SimGroup;
  /** User placeholder pods, each sized as one user server (priority -10). */
  placeholders: number;
  model: ModelValues;
  /** Stop here even if something is still going on (default: last arrival + 48 h). */
  horizon?: number;
}

export type SimFailure = 'spawn-limit-429' | 'timeout' | 'quota';

export interface SimUser {
  index: number;
  arrival: number;
  /** When the server was ready; null when the launch failed. */
  readyAt: number | null;
  timeToReady: number | null;
  outcome: 'ready' | 'failed';
  reason?: SimFailure;
  /** Spawn requests sent to the hub (BinderHub attempts, or 429 retries of a hub client). */
  attempts: number;
  /** 429s from concurrent_spawn_limit. */
  http429: number;
  /** Its (last) pod waited for a new node. */
  waitedForNode: boolean;
  /** Its pod preempted a placeholder. */
  preempted: boolean;
  /** dask-gateway: all its workers running (null: none or never). */
  daskReadyAt: number | null;
}

/** The cluster whenever something changed. */
export interface TimelinePoint {
  t: number;
  /** Ready nodes per group, in SimResult.groups order. */
  nodes: number[];
  /** Nodes being provisioned per group. */
  provisioning: number[];
  /** Pending pods (all kinds, placeholders included). */
  pending: number;
  /** User servers existing (starting or running). */
  servers: number;
}

export interface GroupUsage {
  name: string;
  /** Node-hours from t = 0 to the end, billed from the scale-up request to removal. */
  nodeHours: number;
  su: number;
  peakNodes: number;
  /** Nodes Ready at t = 0 (pre-scaled, or held by placeholders). */
  initialNodes: number;
  /** Nodes at the end (back at min, or held by placeholders). */
  endNodes: number;
  scaleUps: number;
}

export interface SimStats {
  /** Over users whose launch succeeded (nearest rank); 0 when none. */
  p50: number;
  p95: number;
  max: number;
  mean: number;
  ready: number;
  failed: number;
  http429: number;
  waitedForNode: number;
  peakServers: number;
  peakPending: number;
}

export interface SimResult {
  users: SimUser[];
  timeline: TimelinePoint[];
  groups: GroupUsage[];
  /** When the cluster settled (everyone gone, nodes back down), ms. */
  end: number;
  /** Events processed (for events/s). */
  events: number;
  stats: SimStats;
}
