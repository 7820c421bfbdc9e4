/**
 * The simulator's state and the small operations on it (nodes, pods, resources). The event loop
 * (simulate.ts), the scheduler, the autoscaler and the hub all act on one World.
 */

import { createRng, deriveSeed, lognormal, type Rng, type Spread } from '../../core/random.js';
import type { ModelValues } from '../model.js';
import type { Resources } from '../node-capacity.js';
import type { HubPart, Node, Pod, PodKind, SimEvent, UserState } from './entities.js';
import { advance, reschedule } from './kubelet.js';
import { EventQueue } from './queue.js';
import type { SimGroup, SimInput, TimelinePoint } from './types.js';

export type { HubPart, Job, Node, Pod, PodKind, PodPhase, SimEvent, UserState } from './entities.js';

export class World {
  readonly q = new EventQueue<SimEvent>();
  readonly m: ModelValues;
  readonly groups: SimGroup[];
  readonly nodes: Node[] = [];
  readonly pods: Pod[] = [];
  readonly users: UserState[];
  readonly pending = new Set<number>();
  readonly timeline: TimelinePoint[] = [];
  /** Spawns the hub holds (requested, not yet ready or failed). */
  hubPending = 0;
  /** User servers existing (for the launch quota and the timeline). */
  servers = 0;
  built: boolean;
  buildWaiters: number[] = [];
  buildStarted = false;
  /** Something changed that may let a pending pod schedule. */
  dirty = false;
  /** Room was freed (or a node joined) since the last pass: every pending pod gets another try. */
  freed = false;
  /** Pods created since the last pass (tried even when no room was freed). */
  fresh: number[] = [];
  /** Bumped on every change of pods or nodes: the autoscaler skips a scan that would repeat itself. */
  version = 0;
  now = 0;
  events = 0;
  usersDone = 0;
  scaleUps: number[];
  lastScaleUpAt: number[];
  /** The version at the last quiet autoscaler scan (-1: none). */
  quietVersion = -1;
  /** Per group: the version at the last scale-up check that added nothing (-1: none). */
  idleScanVersion: number[];
  /** Ready and provisioning nodes per group (kept up to date for the timeline). */
  readyCount: number[];
  provCount: number[];
  /** Live nodes per group, oldest first. */
  private readonly live: Node[][];
  /** Set by the event loop: a pod finished starting. */
  onPodRunning: (pod: Pod) => void = () => undefined;
  /** Set by the event loop: the hub finished its own part of a spawn attempt. */
  onHubDone: (part: HubPart) => void = () => undefined;
  private readonly rngs = new Map<string, Rng>();

  constructor(readonly input: SimInput) {
    this.m = input.model;
    this.groups = input.dask ? [input.user, input.dask] : [input.user];
    this.scaleUps = this.groups.map(() => 0);
    this.lastScaleUpAt = this.groups.map(() => Number.NEGATIVE_INFINITY);
    this.idleScanVersion = this.groups.map(() => -1);
    this.readyCount = this.groups.map(() => 0);
    this.provCount = this.groups.map(() => 0);
    this.live = this.groups.map(() => []);
    this.built = !input.model.build.needed;
    this.users = input.arrivals.map((arrival, index) => ({
      index,
      arrival,
      attempt: 0,
      firstPost: null,
      pod: null,
      readyAt: null,
      failed: null,
      lastFailure: 'timeout',
      attempts: 0,
      http429: 0,
      waitedForNode: false,
      preempted: false,
      done: false,
      daskPods: [],
      daskReadyAt: null,
    }));
  }

  touch(): void {
    this.dirty = true;
    this.version += 1;
  }

  /** One named random stream per purpose, so that adding a draw of one kind moves no other. */
  rng(name: string): Rng {
    let r = this.rngs.get(name);
    if (!r) {
      r = createRng(deriveSeed(this.input.seed, name));
      this.rngs.set(name, r);
    }
    return r;
  }

  draw(name: string, spread: Spread): number {
    return lognormal(spread, this.rng(name));
  }

  at(t: number, event: SimEvent): void {
    this.q.push(t, event);
  }

  pod(id: number): Pod {
    return this.pods[id] as Pod;
  }

  node(id: number): Node {
    return this.nodes[id] as Node;
  }

  user(id: number): UserState {
    return this.users[id] as UserState;
  }

  /** A node requested now, Ready at `readyAt`. */
  addNode(group: number, readyAt: number, imageAt: number | null): Node {
    const node: Node = {
      id: this.nodes.length,
      group,
      createdAt: this.now,
      readyAt,
      ready: readyAt <= this.now,
      removedAt: null,
      used: { cpu: 0, memory: 0, pods: 0 },
      pods: new Set(),
      fixedPods: 0,
      placeholders: 0,
      imageAt,
      waitingPull: [],
      starting: [],
      psLast: this.now,
      psVersion: 0,
      unneededSince: null,
    };
    this.nodes.push(node);
    this.live[group]?.push(node);
    if (node.ready) this.readyCount[group] = (this.readyCount[group] ?? 0) + 1;
    else {
      this.provCount[group] = (this.provCount[group] ?? 0) + 1;
      this.at(readyAt, { kind: 'node-ready', node: node.id });
    }
    return node;
  }

  /** A provisioned node joins: Ready from now. */
  nodeReady(node: Node): void {
    if (node.ready || node.removedAt !== null) return;
    node.ready = true;
    node.psLast = this.now;
    this.provCount[node.group] = (this.provCount[node.group] ?? 0) - 1;
    this.readyCount[node.group] = (this.readyCount[node.group] ?? 0) + 1;
    this.freed = true;
    this.touch();
  }

  newPod(kind: PodKind, group: number, request: Resources, user: number | null): Pod {
    const pod: Pod = {
      id: this.pods.length,
      kind,
      priority: kind === 'placeholder' ? -10 : 0,
      request,
      group,
      phase: 'pending',
      node: null,
      createdAt: this.now,
      unschedulable: false,
      waitedForNode: false,
      user,
    };
    this.pods.push(pod);
    this.pending.add(pod.id);
    this.fresh.push(pod.id);
    this.touch();
    return pod;
  }

  /** Room left on a node for pods (its own room less what is bound or nominated). */
  free(node: Node): Resources & { pods: number } {
    const room = (this.groups[node.group] as SimGroup).room;
    return {
      cpu: room.cpu - node.used.cpu,
      memory: room.memory - node.used.memory,
      pods: room.pods - node.used.pods,
    };
  }

  place(pod: Pod, node: Node): void {
    pod.node = node.id;
    node.pods.add(pod.id);
    node.used.cpu += pod.request.cpu;
    node.used.memory += pod.request.memory;
    node.used.pods += 1;
    if (pod.kind === 'placeholder') node.placeholders += 1;
    else node.fixedPods += 1;
    this.pending.delete(pod.id);
    this.version += 1;
  }

  /** Take a pod off its node (deleted, or evicted back to pending). */
  unplace(pod: Pod): void {
    if (pod.node === null) return;
    const node = this.node(pod.node);
    const wasStarting = node.starting.some((j) => j.pod === pod.id);
    if (wasStarting) advance(this, node);
    node.pods.delete(pod.id);
    node.used.cpu -= pod.request.cpu;
    node.used.memory -= pod.request.memory;
    node.used.pods -= 1;
    if (pod.kind === 'placeholder') node.placeholders -= 1;
    else node.fixedPods -= 1;
    node.waitingPull = node.waitingPull.filter((p) => p !== pod.id);
    node.starting = node.starting.filter((j) => j.pod !== pod.id);
    if (wasStarting) reschedule(this, node);
    pod.node = null;
    this.freed = true;
    this.touch();
  }

  deletePod(pod: Pod): void {
    this.unplace(pod);
    this.pending.delete(pod.id);
    pod.phase = 'deleted';
    this.touch();
  }

  /** Nodes of a group that exist (Ready or provisioning), oldest first. */
  liveNodes(group: number): Node[] {
    return this.live[group] ?? [];
  }

  /** Does `req` fit in what is left on `node`? (no allocation: called for every node per pod) */
  fitsOn(node: Node, req: Resources): boolean {
    const room = (this.groups[node.group] as SimGroup).room;
    return (
      room.pods - node.used.pods >= 1 &&
      room.cpu - node.used.cpu + 1e-9 >= req.cpu &&
      room.memory - node.used.memory + 1e-3 >= req.memory
    );
  }

  /** Delete a node (its pods must have been moved off). */
  removeNode(node: Node): void {
    node.removedAt = this.now;
    node.unneededSince = null;
    const live = this.live[node.group];
    if (live) live.splice(live.indexOf(node), 1);
    if (node.ready) this.readyCount[node.group] = (this.readyCount[node.group] ?? 0) - 1;
    else this.provCount[node.group] = (this.provCount[node.group] ?? 0) - 1;
    this.touch();
  }
}
