/**
 * kube-scheduler as z2jh's user-scheduler configures it: pods in priority order, each bound to the
 * feasible Ready node of its group (node-group selector) that is the MOST allocated after placing
 * it; a pod that fits nowhere preempts lower-priority pods (placeholders), else it stays pending and
 * is marked unschedulable for the autoscaler.
 */
import { startOnNode } from './kubelet.js';
import { fits, share } from './resources.js';
import type { Node, Pod, World } from './world.js';

/**
 * MostAllocated score of placing `pod` on `node` (equal weights for cpu and memory):
 *   score = ((used.cpu + req.cpu) / room.cpu + (used.mem + req.mem) / room.mem) / 2
 * Higher is better; ties go to the older node (lower id).
 */
function score(w: World, node: Node, pod: Pod): number {
  const room = w.groups[node.group]?.room;
  if (!room) return 0;
  return (
    (share(node.used.cpu + pod.request.cpu, room.cpu) +
      share(node.used.memory + pod.request.memory, room.memory)) /
    2
  );
}

/** Pending pods, highest priority first, then oldest (the scheduling queue's order). */
function queueOrder(w: World, ids: Iterable<number>): Pod[] {
  return [...ids]
    .map((id) => w.pod(id))
    .filter((p) => p.phase === 'pending')
    .sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || a.id - b.id);
}

const alike = (a: Pod, b: Pod) =>
  a.group === b.group &&
  a.priority === b.priority &&
  a.request.cpu === b.request.cpu &&
  a.request.memory === b.request.memory;

/**
 * Try pending pods once, repeating while preemption put victims back in the queue. When no room
 * was freed since the last pass, the pods that failed then would fail again: only new pods are tried.
 */
export function scheduleAll(w: World): void {
  const ids = w.freed ? [...w.pending] : w.fresh.filter((id) => w.pending.has(id));
  w.dirty = false;
  w.freed = false;
  w.fresh = [];
  let queue = queueOrder(w, ids);
  // Within a pass room only shrinks for a pod that found none, so an identical pod finds none either.
  const failed: Pod[] = [];
  while (queue.length > 0) {
    const requeued = new Set<number>();
    for (const pod of queue) {
      if (pod.phase !== 'pending') continue;
      if (failed.some((f) => alike(f, pod))) {
        pod.unschedulable = true;
        pod.waitedForNode = true;
        continue;
      }
      const evicted = scheduleOne(w, pod);
      if (pod.phase === 'pending') failed.push(pod);
      for (const id of evicted) requeued.add(id);
    }
    // Victims have a lower priority than their preemptor, so this ends (placeholders preempt none).
    queue = queueOrder(w, requeued);
  }
}

/** Bind, preempt or mark unschedulable; returns the ids of evicted pods. */
function scheduleOne(w: World, pod: Pod): number[] {
  let best: Node | null = null;
  let bestScore = -1;
  for (const node of w.liveNodes(pod.group)) {
    if (!node.ready || !w.fitsOn(node, pod.request)) continue;
    const s = score(w, node, pod);
    if (s > bestScore) {
      best = node;
      bestScore = s;
    }
  }
  if (best) {
    w.place(pod, best);
    pod.phase = 'starting';
    startOnNode(w, pod, best);
    return [];
  }
  const victims = preemptionVictims(w, pod);
  if (victims) {
    const node = w.node(victims.node);
    for (const v of victims.pods) {
      const victim = w.pod(v);
      w.unplace(victim);
      victim.phase = 'pending';
      victim.unschedulable = false;
      w.pending.add(victim.id);
    }
    w.place(pod, node);
    pod.phase = 'nominated';
    if (pod.user !== null) w.user(pod.user).preempted = true;
    w.at(w.now + w.m.preemptionDelay, { kind: 'bind', pod: pod.id });
    return victims.pods;
  }
  pod.unschedulable = true;
  pod.waitedForNode = true;
  return [];
}

/**
 * The node where evicting the fewest lower-priority pods (lowest priority first, newest first)
 * makes room for `pod`; ties: the most allocated node, then the oldest. Null when no eviction helps.
 */
function preemptionVictims(w: World, pod: Pod): { node: number; pods: number[] } | null {
  let best: { node: number; pods: number[]; score: number } | null = null;
  for (const node of w.liveNodes(pod.group)) {
    // Only placeholders (priority -10) are ever below a pod that can preempt (priority 0).
    if (!node.ready || node.placeholders === 0 || pod.priority <= -10) continue;
    const lower = [...node.pods]
      .map((id) => w.pod(id))
      .filter((p) => p.priority < pod.priority && p.phase !== 'nominated')
      .sort((a, b) => a.priority - b.priority || b.createdAt - a.createdAt || b.id - a.id);
    if (lower.length === 0) continue;
    const free = w.free(node);
    const chosen: number[] = [];
    for (const victim of lower) {
      if (fits(free, pod.request)) break;
      chosen.push(victim.id);
      free.cpu += victim.request.cpu;
      free.memory += victim.request.memory;
      free.pods += 1;
    }
    if (!fits(free, pod.request)) continue;
    const s = score(w, node, pod);
    if (!best || chosen.length < best.pods.length || (chosen.length === best.pods.length && s > best.score)) {
      best = { node: node.id, pods: chosen, score: s };
    }
  }
  return best ? { node: best.node, pods: best.pods } : null;
}

/** The preemption's grace period is over: the nominated pod starts on its node. */
export function bindNominated(w: World, pod: Pod): void {
  if (pod.phase !== 'nominated' || pod.node === null) return;
  pod.phase = 'starting';
  startOnNode(w, pod, w.node(pod.node));
}
