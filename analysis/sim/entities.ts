/** The simulator's entities: events on the agenda, pods, nodes and attendees. */
import type { Resources } from '../node-capacity.js';
import type { SimFailure } from './types.js';

export type SimEvent =
  | { kind: 'arrive'; user: number }
  | { kind: 'build-done' }
  | { kind: 'post'; user: number }
  | { kind: 'attempt-timeout'; user: number; attempt: number }
  | { kind: 'node-ready'; node: number }
  | { kind: 'pull-done'; node: number }
  | { kind: 'bind'; pod: number }
  | { kind: 'spawn-check'; node: number; version: number }
  | { kind: 'session-end'; user: number }
  | { kind: 'dask-start'; user: number }
  | { kind: 'scan' };

export type PodKind = 'user' | 'placeholder' | 'dask';
export type PodPhase = 'pending' | 'nominated' | 'pulling' | 'starting' | 'running' | 'deleted';

export interface Pod {
  id: number;
  kind: PodKind;
  priority: number;
  request: Resources;
  group: number;
  phase: PodPhase;
  node: number | null;
  createdAt: number;
  /** Tried and found no room: the autoscaler may act on it. */
  unschedulable: boolean;
  waitedForNode: boolean;
  user: number | null;
}

/**
 * The hub's own part of a spawn attempt: `start` before the server process exists (user, OAuth
 * client, token, Popen), `finish` once the server is up (the readiness poll, the proxy route, the
 * records): the attendee's server is ready when the hub has done both.
 */
export interface HubPart {
  user: number;
  attempt: number;
  part: 'start' | 'finish';
}

/**
 * Work sharing a node's CPU: a pod's start, a new session's warm-up (pod null), or the hub's own part
 * of one spawn attempt (`hub`: the hub's one process, on the node it runs on).
 */
export interface Job {
  pod: number | null;
  /** ms left at full speed. */
  work: number;
  hub?: HubPart;
}

export interface Node {
  id: number;
  group: number;
  createdAt: number;
  readyAt: number;
  ready: boolean;
  removedAt: number | null;
  used: Resources & { pods: number };
  pods: Set<number>;
  /** Pods on it that are not placeholders (user servers, Dask): the autoscaler keeps such a node. */
  fixedPods: number;
  /** Placeholders on it (what a user pod may preempt). */
  placeholders: number;
  /** When the image is (or will be) on the node; null: nobody pulled it yet. */
  imageAt: number | null;
  /** Pods waiting for the pull. */
  waitingPull: number[];
  /** Jobs sharing the node (processor sharing), and when their work was last advanced. */
  starting: Job[];
  psLast: number;
  psVersion: number;
  unneededSince: number | null;
}

export interface UserState {
  index: number;
  arrival: number;
  attempt: number;
  firstPost: number | null;
  pod: number | null;
  readyAt: number | null;
  failed: SimFailure | null;
  lastFailure: SimFailure;
  attempts: number;
  http429: number;
  waitedForNode: boolean;
  preempted: boolean;
  done: boolean;
  daskPods: number[];
  daskReadyAt: number | null;
}
