/**
 * BinderHub and JupyterHub as the attendees meet them:
 *
 *   click ─(build, shared by everyone who clicks while it runs)─► launch request
 *     ─binderOverhead─► POST spawn ─► 429 if the hub already holds concurrent_spawn_limit spawns
 *     ─► pod pending/scheduled/pulled/started ─► ready
 *
 * An attempt fails on a 429 or when the server is not ready within min(start_timeout,
 * launch_timeout); BinderHub retries it (Launcher.retries attempts in all, after 4, 8, 16 s), a
 * plain JupyterHub client waits out Retry-After on a 429 and gives up on a timeout. A launch quota
 * refuses the launch outright while that many servers exist.
 */
import { uniform } from '../../core/random.js';
import { addHubJob, addJob, dropHubJob } from './kubelet.js';
import type { SimFailure } from './types.js';
import type { HubPart, Node, Pod, UserState, World } from './world.js';

export function arrive(w: World, u: UserState): void {
  if (w.built) {
    requestLaunch(w, u);
    return;
  }
  w.buildWaiters.push(u.index);
  if (!w.buildStarted) {
    w.buildStarted = true;
    w.at(w.now + w.draw('build', w.m.build.time), { kind: 'build-done' });
  }
}

export function buildDone(w: World): void {
  w.built = true;
  const waiters = w.buildWaiters;
  w.buildWaiters = [];
  for (const id of waiters) requestLaunch(w, w.user(id));
}

function requestLaunch(w: World, u: UserState): void {
  w.at(w.now + w.m.binderOverhead, { kind: 'post', user: u.index });
}

/** One spawn request reaching the hub. */
export function post(w: World, u: UserState): void {
  if (u.done) return;
  const m = w.m;
  if (m.launchQuota > 0 && w.servers >= m.launchQuota) {
    fail(w, u, 'quota');
    return;
  }
  u.attempts += 1;
  u.firstPost ??= w.now;
  if (w.hubPending >= m.concurrentSpawnLimit) {
    u.http429 += 1;
    if (m.hubClient === 'jupyterhub') {
      const wait = uniform(m.retryAfter[0], m.retryAfter[1], w.rng('retry-after'));
      if (w.now + wait - u.firstPost > m.launchTimeout) fail(w, u, 'spawn-limit-429');
      else w.at(w.now + wait, { kind: 'post', user: u.index });
      return;
    }
    attemptFailed(w, u, 'spawn-limit-429');
    return;
  }
  w.hubPending += 1;
  w.servers += 1;
  u.attempt += 1;
  const limit = m.hubClient === 'binderhub' ? Math.min(m.startTimeout, m.launchTimeout) : m.startTimeout;
  w.at(w.now + limit, { kind: 'attempt-timeout', user: u.index, attempt: u.attempt });
  const node = hubNode(w);
  if (!node) {
    createServerPod(w, u);
    return;
  }
  addHubJob(w, node, { user: u.index, attempt: u.attempt, part: 'start' }, m.hubWork / 2);
}

/**
 * Where the hub's own work runs when it is modelled (hubWork > 0: the local target), else null.
 * Its part of a spawn (hubWork: half before the server process exists — user, OAuth client, token,
 * Popen — and half once the server answers — the readiness poll, the proxy route, the records)
 * runs in its one process, whose event loop interleaves the spawns it handles: they share that
 * process's CPU, and the process shares the cores of the machine it runs on (the local target's one
 * node) with the servers starting there (kubelet.ts jobRate). So in a rush a server that is up
 * waits for the hub to get through the others' work before it is ready.
 */
function hubNode(w: World): Node | null {
  if (w.m.hubWork <= 0) return null;
  return w.liveNodes(0).find((n) => n.ready) ?? null;
}

/** The hub has done its part of the attempt: the server's pod exists (if the attempt still runs). */
export function hubDone(w: World, part: HubPart): void {
  const u = w.user(part.user);
  if (u.done || u.attempt !== part.attempt || u.readyAt !== null) return;
  if (part.part === 'start') {
    if (u.pod === null) createServerPod(w, u);
    return;
  }
  if (u.pod !== null) serverReady(w, u, w.pod(u.pod));
}

function createServerPod(w: World, u: UserState): void {
  u.pod = w.newPod('user', 0, w.m.user.request, u.index).id;
}

/** The attempt's time is up: the spawn fails and its pod is deleted. */
export function attemptTimeout(w: World, u: UserState, attempt: number): void {
  if (u.done || u.attempt !== attempt || u.readyAt !== null) return;
  // The hub's process drops whatever it was doing for the attempt.
  for (const node of w.liveNodes(0)) dropHubJob(w, node, u.index);
  if (u.pod !== null) w.deletePod(w.pod(u.pod));
  u.pod = null;
  w.hubPending -= 1;
  w.servers -= 1;
  attemptFailed(w, u, 'timeout');
}

function attemptFailed(w: World, u: UserState, reason: SimFailure): void {
  u.lastFailure = reason;
  if (w.m.hubClient === 'binderhub' && u.attempts < w.m.launchRetries) {
    const delays = w.m.retryDelays;
    const delay = delays[u.attempts - 1] ?? delays.at(-1) ?? 0;
    w.at(w.now + delay, { kind: 'post', user: u.index });
    return;
  }
  fail(w, u, reason);
}

function fail(w: World, u: UserState, reason: SimFailure): void {
  u.failed = reason;
  finish(w, u);
}

function finish(w: World, u: UserState): void {
  if (u.done) return;
  u.done = true;
  w.usersDone += 1;
}

/**
 * When the server goes away: with onEnd stop, at ready + duration; with keep, at the first cull
 * check (every cullEvery from t = 0) at least cullTimeout after the user left:
 *   t_end = ⌈(ready + duration + cullTimeout) / cullEvery⌉ · cullEvery
 */
export function sessionEndTime(w: World, readyAt: number): number {
  const s = w.m.session;
  const left = readyAt + s.duration;
  if (s.onEnd === 'stop') return left;
  return Math.ceil((left + s.cullTimeout) / s.cullEvery) * s.cullEvery;
}

/** A pod finished starting. */
export function podRunning(w: World, pod: Pod): void {
  if (pod.user === null) return;
  const u = w.user(pod.user);
  if (pod.kind === 'dask') {
    const allUp = u.daskPods.every((id) => w.pod(id).phase === 'running');
    if (allUp && u.daskReadyAt === null) u.daskReadyAt = w.now;
    return;
  }
  if (u.pod !== pod.id || u.readyAt !== null || u.done) return;
  const node = hubNode(w);
  if (node) addHubJob(w, node, { user: u.index, attempt: u.attempt, part: 'finish' }, w.m.hubWork / 2);
  else serverReady(w, u, pod);
}

/** The attendee's server is ready: the session starts. */
function serverReady(w: World, u: UserState, pod: Pod): void {
  u.readyAt = w.now;
  u.waitedForNode = pod.waitedForNode;
  if (w.m.sessionWarmup > 0 && pod.node !== null) addJob(w, w.node(pod.node), null, w.m.sessionWarmup);
  w.hubPending -= 1;
  w.at(sessionEndTime(w, w.now), { kind: 'session-end', user: u.index });
  const dask = w.m.dask;
  if (dask.mode === 'gateway') w.at(w.now + dask.startAfter, { kind: 'dask-start', user: u.index });
}

/** dask-gateway: a scheduler pod on the user nodes, workers in the dask group. */
export function daskStart(w: World, u: UserState): void {
  const dask = w.m.dask;
  if (dask.mode !== 'gateway' || u.done || w.groups.length < 2) return;
  u.daskPods.push(w.newPod('dask', 0, dask.scheduler, u.index).id);
  for (let i = 0; i < dask.workersPerUser; i++) u.daskPods.push(w.newPod('dask', 1, dask.worker, u.index).id);
}

export function sessionEnd(w: World, u: UserState): void {
  if (u.pod !== null) w.deletePod(w.pod(u.pod));
  for (const id of u.daskPods) w.deletePod(w.pod(id));
  u.pod = null;
  w.servers -= 1;
  finish(w, u);
}
