/**
 * What happens on a node once a pod is bound: the image pull (once per node, shared by every pod
 * that waits for it) and the start, shared between the pods starting at once.
 */
import { share } from './resources.js';
import type { HubPart, Job, Node, Pod, World } from './world.js';

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

/** The hub's own part of a spawn attempt joins the CPU of the node the hub runs on. */
export function addHubJob(w: World, node: Node, hub: HubPart, work: number): void {
  advance(w, node);
  node.starting.push({ pod: null, work, hub });
  reschedule(w, node);
}

/** Take a user's hub job off the node (its attempt timed out before the hub got through it). */
export function dropHubJob(w: World, node: Node, user: number): void {
  if (!node.starting.some((j) => j.hub?.user === user)) return;
  advance(w, node);
  node.starting = node.starting.filter((j) => j.hub?.user !== user);
  reschedule(w, node);
}

/**
 * Processor sharing on a node of capacity c (spawnConcurrency) between its runnable processes: each
 * pod start or warm-up is one, and the hub is one however many spawns it is handling (one
 * single-threaded process whose event loop interleaves them). With n such processes
 *   r = min(1, c / n)
 * is each one's rate; the hub's h concurrent spawns share its rate: r / h each. So each job's
 * remaining work falls by its rate·Δt. With c = ∞ every start takes exactly its drawn duration; with
 * c = 1 and n equal jobs of work S, all end together at n·S.
 */
export function jobRate(w: World, node: Node, job: Job): number {
  let hub = 0;
  for (const j of node.starting) if (j.hub) hub += 1;
  const processes = node.starting.length - hub + (hub > 0 ? 1 : 0);
  const r = processes === 0 ? 1 : Math.min(1, w.m.spawnConcurrency / processes);
  return job.hub ? r / hub : r;
}

export function advance(w: World, node: Node): void {
  const dt = w.now - node.psLast;
  if (dt > 0) for (const job of node.starting) job.work -= dt * jobRate(w, node, job);
  node.psLast = w.now;
}

/** Schedule the next job to finish on the node (older checks go stale with the version). */
export function reschedule(w: World, node: Node): void {
  node.psVersion += 1;
  if (node.starting.length === 0) return;
  let next = Number.POSITIVE_INFINITY;
  for (const job of node.starting) next = Math.min(next, Math.max(0, job.work) / jobRate(w, node, job));
  w.at(w.now + next, { kind: 'spawn-check', node: node.id, version: node.psVersion });
}

/** A job may have finished: complete those with no work left (1 µs tolerance). */
export function spawnCheck(w: World, node: Node, version: number): void {
  if (version !== node.psVersion) return;
  advance(w, node);
  const done: Pod[] = [];
  const hubDone: HubPart[] = [];
  node.starting = node.starting.filter((job) => {
    if (job.work > 1e-3) return true;
    if (job.hub) hubDone.push(job.hub);
    else if (job.pod !== null) done.push(w.pod(job.pod));
    return false;
  });
  reschedule(w, node);
  for (const pod of done) {
    pod.phase = 'running';
    w.onPodRunning(pod);
  }
  for (const h of hubDone) w.onHubDone(h);
}

/** Max over cpu and memory of requested / room: the autoscaler's utilisation of a node. */
export function utilisation(w: World, node: Node): number {
  const room = w.groups[node.group]?.room;
  if (!room) return 0;
  return Math.max(share(node.used.cpu, room.cpu), share(node.used.memory, room.memory));
}
