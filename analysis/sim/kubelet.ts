/**
 * What happens on a node once a pod is bound: the image pull (once per node, shared by every pod
 * that waits for it) and the start, shared between the pods starting at once.
 */
import { share } from './resources.js';
import type { Node, Pod, World } from './world.js';

/** A pod bound to a Ready node: pull if the node lacks the image, then start. */
export function startOnNode(w: World, pod: Pod, node: Node): void {
  if (pod.kind === 'placeholder') {
    pod.phase = 'running';
    return;
  }
  if (node.imageAt !== null && node.imageAt <= w.now) {
    beginStart(w, pod, node);
    return;
  }
  pod.phase = 'pulling';
  node.waitingPull.push(pod.id);
  if (node.imageAt === null) {
    node.imageAt = w.now + w.draw('pull', w.m.imagePull);
    w.at(node.imageAt, { kind: 'pull-done', node: node.id });
  }
}

/** The image is on the node: every pod waiting for it starts. */
export function pullDone(w: World, node: Node): void {
  const waiting = node.waitingPull;
  node.waitingPull = [];
  for (const id of waiting) {
    const pod = w.pod(id);
    if (pod.phase === 'pulling' && pod.node === node.id) beginStart(w, pod, node);
  }
}

function beginStart(w: World, pod: Pod, node: Node): void {
  pod.phase = 'starting';
  if (pod.kind === 'dask') {
    // dask-gateway pods: a container start, no notebook server; counted as instant once pulled.
    pod.phase = 'running';
    w.onPodRunning(pod);
    return;
  }
  addJob(w, node, pod.id, w.draw('spawn', w.m.spawn));
}

/** A job joins the node's shared CPU. */
export function addJob(w: World, node: Node, pod: number | null, work: number): void {
  advance(w, node);
  node.starting.push({ pod, work });
  reschedule(w, node);
}

/**
 * Processor sharing on a node of capacity c (spawnConcurrency) between its n jobs:
 *   rate r = min(1, c / n)
 * so each job's remaining work falls by r·Δt. With c = ∞ every job takes exactly its drawn
 * duration; with c = 1 and n equal jobs of work S, all end together at n·S.
 */
export function jobRate(w: World, node: Node): number {
  const n = node.starting.length;
  return n === 0 ? 1 : Math.min(1, w.m.spawnConcurrency / n);
}

export function advance(w: World, node: Node): void {
  const rate = jobRate(w, node);
  const dt = w.now - node.psLast;
  if (dt > 0) for (const job of node.starting) job.work -= dt * rate;
  node.psLast = w.now;
}

/** Schedule the next job to finish on the node (older checks go stale with the version). */
export function reschedule(w: World, node: Node): void {
  node.psVersion += 1;
  if (node.starting.length === 0) return;
  const rate = jobRate(w, node);
  let least = Number.POSITIVE_INFINITY;
  for (const job of node.starting) least = Math.min(least, job.work);
  w.at(w.now + Math.max(0, least) / rate, { kind: 'spawn-check', node: node.id, version: node.psVersion });
}

/** A start may have finished: complete those with no work left (1 µs tolerance). */
export function spawnCheck(w: World, node: Node, version: number): void {
  if (version !== node.psVersion) return;
  advance(w, node);
  const done: Pod[] = [];
  node.starting = node.starting.filter((job) => {
    if (job.work > 1e-3) return true;
    if (job.pod !== null) done.push(w.pod(job.pod));
    return false;
  });
  reschedule(w, node);
  for (const pod of done) {
    pod.phase = 'running';
    w.onPodRunning(pod);
  }
}

/** Max over cpu and memory of requested / room: the autoscaler's utilisation of a node. */
export function utilisation(w: World, node: Node): number {
  const room = w.groups[node.group]?.room;
  if (!room) return 0;
  return Math.max(share(node.used.cpu, room.cpu), share(node.used.memory, room.memory));
}
