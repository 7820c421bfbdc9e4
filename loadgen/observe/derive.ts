import {
  type ClusterSample,
  type ClusterSummary,
  type ImagePull,
  type MetricsAvailability,
  type NodeReady,
  type PodLaunch,
  stat,
} from '../record/cluster.js';
import { type KubeObject, parsePulledMessage } from './kube-objects.js';
import { ClusterState, type PodRecord, type WatchType } from './state.js';

/**
 * The pure half of the observer: the timeline sampler and the summary of what a ClusterState saw.
 * All inputs are Kubernetes timestamps (epoch ms) and the run's wall-clock start.
 */

const sameSample = (a: ClusterSample, b: ClusterSample): boolean => {
  if (a.pendingPods !== b.pendingPods) return false;
  const ka = Object.keys(a.nodes);
  return ka.length === Object.keys(b.nodes).length && ka.every((k) => a.nodes[k] === b.nodes[k]);
};

/**
 * The timeline keeps a sample only when it differs from the last one kept (the chart is a step
 * chart, so an unchanged sample adds nothing), and the caller offers one at most every N ms: a run
 * of D ms yields at most D/N + 2 samples whatever the cluster does.
 */
export class Sampler {
  readonly samples: ClusterSample[] = [];

  offer(s: ClusterSample): boolean {
    const last = this.samples[this.samples.length - 1];
    if (last && sameSample(last, s)) return false;
    this.samples.push(s);
    return true;
  }
}

export interface ReplayStep {
  /** When the observer received it, ms since the run's start. */
  t: number;
  kind: 'node' | 'pod' | 'event';
  type: WatchType;
  object: KubeObject;
}

/**
 * Replay received watch events into a fresh state, sampling as the live observer does: a tick at
 * 0, everyMs, 2·everyMs, … applies every step received up to the tick, then offers a sample; a
 * last tick at `endMs` (default: the last step's time).
 */
export function replayTimeline(
  steps: readonly ReplayStep[],
  everyMs: number,
  endMs?: number,
): { state: ClusterState; samples: ClusterSample[] } {
  const state = new ClusterState();
  const sampler = new Sampler();
  const sorted = [...steps].sort((a, b) => a.t - b.t);
  const end = endMs ?? sorted[sorted.length - 1]?.t ?? 0;
  let i = 0;
  const tick = (t: number) => {
    for (; i < sorted.length && (sorted[i] as ReplayStep).t <= t; i++) apply(state, sorted[i] as ReplayStep);
    sampler.offer(state.sample(t));
  };
  for (let t = 0; t < end; t += everyMs) tick(t);
  tick(end);
  return { state, samples: sampler.samples };
}

export function apply(
  state: ClusterState,
  s: { kind: ReplayStep['kind']; type: WatchType; object: KubeObject },
) {
  if (s.kind === 'node') state.applyNode(s.type, s.object);
  else if (s.kind === 'pod') state.applyPod(s.type, s.object);
  else state.applyEvent(s.object);
}

export interface Derived {
  nodes: NodeReady[];
  pulls: ImagePull[];
  launches: PodLaunch[];
  summary: ClusterSummary;
}

/**
 * Summarise a state. `observedFromWall` (epoch ms) is when the observer first listed: node-ready
 * times count only nodes that came up while we watched (first seen not Ready, or created after
 * that), since a node Ready for days says nothing about this run.
 *   node ready  = Ready condition's lastTransitionTime − node creationTimestamp
 *   image pull  = the duration kubelet reports in `Pulled` (not Pulled−Pulling: that includes the
 *                 wait behind other pulls, which kubelet reports separately as "including waiting")
 *   users/node  = most undeleted user pods bound to one node at any state change
 *   peak memory = per hub user, the highest metrics.k8s.io working set of their pods
 */
export function derive(
  state: ClusterState,
  runStartWallMs: number,
  observedFromWall: number,
  metrics: MetricsAvailability,
): Derived {
  const rel = (ms: number) => ms - runStartWallMs;
  const nodes: NodeReady[] = [];
  for (const n of state.nodes.values()) {
    if (n.becameReady === undefined || n.created === undefined) continue;
    if (n.readyWhenFirstSeen && n.created < observedFromWall) continue;
    const ms = n.becameReady - n.created;
    if (ms < 0) continue;
    nodes.push({ node: n.name, group: n.group, createdAt: rel(n.created), readyAt: rel(n.becameReady), ms });
  }
  nodes.sort((a, b) => a.readyAt - b.readyAt || a.node.localeCompare(b.node));

  const pulls: ImagePull[] = [];
  const launches: PodLaunch[] = [];
  let scaleUps = 0;
  let failedScheduling = 0;
  let preemptions = 0;
  // Only what happened during the run: the namespace keeps events for about an hour, and user
  // pods of other people (or of an earlier run) may exist when the observer starts. The cut is the
  // run's start less a minute (the cluster's clock may be a little off ours). Counts are
  // occurrences (an event's `count`), the same for every reason.
  const cutoff = runStartWallMs - 60_000;
  const during = (e: { first?: number; last?: number }) => (e.last ?? e.first ?? 0) >= cutoff;
  for (const e of state.events.values()) {
    if (!during(e)) continue;
    if (e.reason === 'TriggeredScaleUp') scaleUps += e.count;
    else if (e.reason === 'FailedScheduling') failedScheduling += e.count;
    else if (e.reason === 'Preempted') preemptions += e.count;
  }
  const pods = [...state.pods.values()]
    .filter((p) => p.created === undefined || p.created >= cutoff)
    .sort((a, b) => (a.created ?? 0) - (b.created ?? 0));
  for (const pod of pods) {
    const events = state.eventsFor(pod);
    for (const e of events) {
      const p = e.reason === 'Pulled' && during(e) ? parsePulledMessage(e.message) : undefined;
      if (!p) continue;
      pulls.push({
        t: rel(e.first ?? runStartWallMs),
        pod: pod.name,
        ...(pod.nodeName ? { node: pod.nodeName } : {}),
        ...p,
      });
    }
    if (pod.kind === 'user') launches.push(launchOf(state, pod, events, rel));
  }
  pulls.sort((a, b) => a.t - b.t || a.pod.localeCompare(b.pod));

  const byGroup: Record<string, number> = {};
  let max = 0;
  for (const [node, count] of state.usersPerNodePeak) {
    const group = state.nodes.get(node)?.group ?? '(unknown)';
    byGroup[group] = Math.max(byGroup[group] ?? 0, count);
    max = Math.max(max, count);
  }
  const memByUser = new Map<string, number>();
  for (const p of state.pods.values()) {
    if (p.user === undefined || p.peakMemoryBytes === undefined) continue;
    memByUser.set(p.user, Math.max(memByUser.get(p.user) ?? 0, p.peakMemoryBytes));
  }
  const fresh = pulls.filter((p) => !p.cached);
  return {
    nodes,
    pulls,
    launches,
    summary: {
      nodeReady: stat(nodes.map((n) => n.ms)),
      imagePull: stat(fresh.map((p) => p.ms)),
      cachedPulls: pulls.length - fresh.length,
      usersPerNode: { max, byGroup },
      peakMemoryPerUser: stat([...memByUser.values()]),
      metrics,
      scaleUps,
      failedScheduling,
      preemptions,
    },
  };
}

/** One user pod's wait, split as documented on PodLaunch (loadgen/record/cluster.ts). */
function launchOf(
  state: ClusterState,
  pod: PodRecord,
  events: ReturnType<ClusterState['eventsFor']>,
  rel: (ms: number) => number,
): PodLaunch {
  const firstOf = (reason: string) => events.find((e) => e.reason === reason)?.first;
  const scaleUp = firstOf('TriggeredScaleUp');
  const scheduled = firstOf('Scheduled') ?? pod.scheduledAt;
  const pulled = events.filter((e) => e.reason === 'Pulled');
  const pullMs = pulled.reduce((sum, e) => sum + (parsePulledMessage(e.message)?.ms ?? 0), 0);
  const lastPulled = pulled.reduce<number | undefined>((m, e) => Math.max(m ?? 0, e.last ?? 0), undefined);
  const created = pod.created;
  const phases: PodLaunch['phases'] = {};
  if (created !== undefined) {
    const decided =
      scaleUp !== undefined && scheduled !== undefined && scaleUp <= scheduled ? scaleUp : scheduled;
    if (decided !== undefined) phases.schedule = Math.max(0, decided - created);
    if (pod.readyAt !== undefined) phases.total = pod.readyAt - created;
  }
  if (scaleUp !== undefined && scheduled !== undefined && scaleUp <= scheduled)
    phases.scaleup = scheduled - scaleUp;
  if (pulled.length > 0) phases.pull = pullMs;
  const startFrom = lastPulled ?? scheduled;
  if (pod.readyAt !== undefined && startFrom !== undefined)
    phases.start = Math.max(0, pod.readyAt - startFrom);
  const node = pod.nodeName ? state.nodes.get(pod.nodeName) : undefined;
  return {
    hubUser: pod.user ?? pod.name,
    pod: pod.name,
    ...(pod.nodeName ? { node: pod.nodeName } : {}),
    ...(node ? { group: node.group } : {}),
    createdAt: rel(created ?? 0),
    ...(scaleUp === undefined ? {} : { scaleUpAt: rel(scaleUp) }),
    ...(scheduled === undefined ? {} : { scheduledAt: rel(scheduled) }),
    ...(pod.readyAt === undefined ? {} : { readyAt: rel(pod.readyAt) }),
    failedScheduling: events.filter((e) => e.reason === 'FailedScheduling').reduce((s, e) => s + e.count, 0),
    preempted: events.some((e) => e.reason === 'Preempted'),
    phases,
    ...(pod.peakMemoryBytes === undefined ? {} : { peakMemoryBytes: pod.peakMemoryBytes }),
    ...(pod.peakCpuCores === undefined ? {} : { peakCpuCores: pod.peakCpuCores }),
  };
}
