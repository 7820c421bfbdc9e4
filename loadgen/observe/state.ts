import type { ClusterEventNote, ClusterSample } from '../record/cluster.js';
import {
  type EventFacts,
  eventFacts,
  type KubeObject,
  type NodeFacts,
  nodeFacts,
  type PodFacts,
  podFacts,
} from './kube-objects.js';

/** The watch event types the state applies (BOOKMARK and ERROR never reach it). */
export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Event reasons worth keeping: scheduling, scale-up, pulls, preemption, kills. */
export const KEPT_REASONS = new Set([
  'Scheduled',
  'FailedScheduling',
  'TriggeredScaleUp',
  'NotTriggerScaleUp',
  'Pulling',
  'Pulled',
  'Failed',
  'BackOff',
  'Preempted',
  'Killing',
  'Started',
]);

export interface PodRecord extends PodFacts {
  /** Deleted, or terminated (Succeeded/Failed): no longer holds room on a node. */
  deleted: boolean;
  /** Peaks of the metrics.k8s.io readings (working set bytes, cores), summed over containers. */
  peakMemoryBytes?: number;
  peakCpuCores?: number;
}

export interface NodeRecord extends NodeFacts {
  deleted: boolean;
  /** Ready when first seen: a node that was up before we looked (its node-ready time is not ours). */
  readyWhenFirstSeen: boolean;
  /** First time the node was seen Ready (epoch ms of the Ready transition). */
  becameReady?: number;
}

/**
 * What the observer knows of the cluster, updated from list and watch events. Pure (no clock, no
 * I/O): tests replay a fixed sequence into it. Pods are keyed by uid (a user relaunching gets a
 * new pod of the same name); events by their own uid, the latest version winning (kubelet and
 * scheduler bump `count` instead of writing a new event).
 */
export class ClusterState {
  readonly nodes = new Map<string, NodeRecord>();
  readonly pods = new Map<string, PodRecord>();
  readonly events = new Map<string, EventFacts>();
  /** Most user pods on one node at once, by node name (grouped at summary time). */
  readonly usersPerNodePeak = new Map<string, number>();
  private readonly podsByName = new Map<string, string>();
  private readonly maxEvents: number;
  eventsDropped = 0;

  constructor(opts: { maxEvents?: number } = {}) {
    this.maxEvents = opts.maxEvents ?? 20_000;
  }

  applyNode(type: WatchType, obj: KubeObject): void {
    const f = nodeFacts(obj as Parameters<typeof nodeFacts>[0]);
    const old = this.nodes.get(f.name);
    const readyWhenFirstSeen = old ? old.readyWhenFirstSeen : f.ready;
    const becameReady = old?.becameReady ?? (f.ready ? f.readySince : undefined);
    this.nodes.set(f.name, {
      ...f,
      deleted: type === 'DELETED',
      readyWhenFirstSeen,
      ...(becameReady === undefined ? {} : { becameReady }),
    });
  }

  /** A relist of nodes: those absent from it were deleted while we were not watching. */
  replaceNodes(items: readonly KubeObject[]): void {
    const seen = new Set(items.map((i) => i.metadata?.name ?? ''));
    for (const n of this.nodes.values()) if (!seen.has(n.name)) n.deleted = true;
    for (const i of items) this.applyNode('ADDED', i);
  }

  applyPod(type: WatchType, obj: KubeObject): void {
    const f = podFacts(obj as Parameters<typeof podFacts>[0]);
    if (f.kind === 'other') return;
    const old = this.pods.get(f.uid);
    const rec: PodRecord = {
      ...f,
      deleted: type === 'DELETED' || f.phase === 'Succeeded' || f.phase === 'Failed',
      ...(old?.peakMemoryBytes === undefined ? {} : { peakMemoryBytes: old.peakMemoryBytes }),
      ...(old?.peakCpuCores === undefined ? {} : { peakCpuCores: old.peakCpuCores }),
    };
    this.pods.set(f.uid, rec);
    this.podsByName.set(f.name, f.uid);
    if (rec.kind === 'user' && rec.nodeName && !rec.deleted) this.notePeak(rec.nodeName);
  }

  replacePods(items: readonly KubeObject[]): void {
    const seen = new Set(items.map((i) => i.metadata?.uid ?? i.metadata?.name ?? ''));
    for (const p of this.pods.values()) if (!seen.has(p.uid)) p.deleted = true;
    for (const i of items) this.applyPod('ADDED', i);
  }

  applyEvent(obj: KubeObject): void {
    const e = eventFacts(obj as Parameters<typeof eventFacts>[0]);
    if (!KEPT_REASONS.has(e.reason)) return;
    if (!this.events.has(e.uid) && this.events.size >= this.maxEvents) {
      this.eventsDropped++;
      return;
    }
    this.events.set(e.uid, e);
  }

  /** The current pod (by name) — how metrics.k8s.io names pods. */
  podByName(name: string): PodRecord | undefined {
    const uid = this.podsByName.get(name);
    return uid === undefined ? undefined : this.pods.get(uid);
  }

  /** Record a metrics.k8s.io reading of one pod: keep the peaks. */
  applyUsage(podName: string, memoryBytes: number, cpuCores: number): void {
    const p = this.podByName(podName);
    if (!p) return;
    p.peakMemoryBytes = Math.max(p.peakMemoryBytes ?? 0, memoryBytes);
    p.peakCpuCores = Math.max(p.peakCpuCores ?? 0, cpuCores);
  }

  /** The chart's sample now: Ready, undeleted nodes per group; user pods not yet on a node. */
  sample(t: number): ClusterSample {
    const nodes: Record<string, number> = {};
    for (const n of this.nodes.values()) {
      if (n.deleted || !n.ready) continue;
      nodes[n.group] = (nodes[n.group] ?? 0) + 1;
    }
    let pendingPods = 0;
    for (const p of this.pods.values()) {
      if (p.kind === 'user' && !p.deleted && p.phase === 'Pending' && !p.nodeName) pendingPods++;
    }
    return { t, nodes, pendingPods };
  }

  /** Events kept, oldest first, placed on the run's clock (`t` = first occurrence − run start). */
  eventNotes(runStartWallMs: number): ClusterEventNote[] {
    return [...this.events.values()]
      .map((e) => ({
        t: (e.first ?? runStartWallMs) - runStartWallMs,
        reason: e.reason,
        object: `${e.kind.toLowerCase()}/${e.objectName}`,
        message: e.message,
        count: e.count,
      }))
      .sort((a, b) => a.t - b.t || a.object.localeCompare(b.object));
  }

  /** Events about one pod, by uid when the event names it, else by name. */
  eventsFor(pod: PodRecord): EventFacts[] {
    const out: EventFacts[] = [];
    for (const e of this.events.values()) {
      if (e.kind !== 'Pod') continue;
      if (e.objectUid !== undefined ? e.objectUid === pod.uid : e.objectName === pod.name) out.push(e);
    }
    return out.sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
  }

  private notePeak(nodeName: string): void {
    let count = 0;
    for (const p of this.pods.values()) {
      if (p.kind === 'user' && !p.deleted && p.nodeName === nodeName) count++;
    }
    if (count > (this.usersPerNodePeak.get(nodeName) ?? 0)) this.usersPerNodePeak.set(nodeName, count);
  }
}
