/**
 * The discrete-event cluster simulator: pure and deterministic (same input, same seed → the same
 * result), no timers. Events pop from one agenda in (time, order) order; after each, pending pods
 * are scheduled; the autoscaler scans every `scanInterval` from t = 0. The run ends once every
 * attendee has left or failed and the autoscaler has brought the node groups back down.
 */
import { podsPerNode } from '../node-capacity.js';
import { scan } from './autoscaler.js';
import {
  arrive,
  attemptTimeout,
  buildDone,
  daskStart,
  hubDone,
  podRunning,
  post,
  sessionEnd,
} from './hub.js';
import { pullDone, spawnCheck } from './kubelet.js';
import { bindNominated, scheduleAll } from './scheduler.js';
import type { GroupUsage, SimGroup, SimInput, SimResult, SimStats, SimUser } from './types.js';
import { type SimEvent, World } from './world.js';

const HOUR = 3_600_000;

function check(input: SimInput): void {
  const groups = input.dask ? [input.user, input.dask] : [input.user];
  for (const g of groups) {
    if (!(g.min >= 0 && g.min <= g.initial && g.initial <= g.max)) {
      throw new RangeError(
        `group ${g.name}: need 0 <= min <= initial <= max, got ${g.min}/${g.initial}/${g.max}`,
      );
    }
  }
  for (let i = 1; i < input.arrivals.length; i++) {
    if ((input.arrivals[i] as number) < (input.arrivals[i - 1] as number)) {
      throw new RangeError('arrivals must not decrease');
    }
  }
  if (input.model.dask.mode === 'gateway' && !input.dask) {
    throw new RangeError('dask-gateway needs a dask node group');
  }
}

/**
 * Nodes Ready at t = 0 in a group: its pre-scaled `initial`, raised to hold the placeholders when
 * they would not fit (they were deployed before the event), capped at max:
 *   n0 = min(max, max(initial, ⌈placeholders / perNode⌉))
 */
export function initialNodes(group: SimGroup, placeholders: number, perNode: number): number {
  const forPlaceholders = perNode > 0 ? Math.ceil(placeholders / perNode) : 0;
  return Math.min(group.max, Math.max(group.initial, forPlaceholders));
}

/**
 * Run the event: pre-scaled nodes and placeholders at t = 0, arrivals at their click times, the
 * autoscaler every scanInterval; see the rules in hub.ts, scheduler.ts, kubelet.ts, autoscaler.ts.
 */
export function simulate(input: SimInput): SimResult {
  check(input);
  const w = new World(input);
  const m = input.model;
  w.onPodRunning = (pod) => podRunning(w, pod);
  w.onHubDone = (part) => hubDone(w, part);
  const perNode = podsPerNode(input.user.room, m.user.request).perNode;
  const starts = w.groups.map((g, i) => (i === 0 ? initialNodes(g, input.placeholders, perNode) : g.initial));
  starts.forEach((n, g) => {
    for (let i = 0; i < n; i++) w.addNode(g, 0, m.prePull ? 0 : null);
  });
  for (let i = 0; i < input.placeholders; i++) w.newPod('placeholder', 0, m.user.request, null);
  scheduleAll(w);
  for (const u of w.users) w.at(u.arrival, { kind: 'arrive', user: u.index });
  w.at(0, { kind: 'scan' });
  const horizon = input.horizon ?? (input.arrivals.at(-1) ?? 0) + 48 * HOUR;
  for (;;) {
    const next = w.q.pop();
    if (!next || next.t > horizon) break;
    w.now = next.t;
    w.events += 1;
    if (dispatch(w, next.event)) break;
    if (w.dirty) {
      if (w.pending.size > 0) scheduleAll(w);
      else {
        w.dirty = false;
        w.freed = false;
        w.fresh = [];
      }
    }
    record(w);
  }
  return result(w, starts);
}

/** Run one event; true when the simulation is over. */
function dispatch(w: World, e: SimEvent): boolean {
  switch (e.kind) {
    case 'arrive':
      arrive(w, w.user(e.user));
      break;
    case 'build-done':
      buildDone(w);
      break;
    case 'post':
      post(w, w.user(e.user));
      break;
    case 'attempt-timeout':
      attemptTimeout(w, w.user(e.user), e.attempt);
      break;
    case 'node-ready': {
      const node = w.node(e.node);
      w.nodeReady(node);
      // A pre-puller already pulling: the pull ends at imageAt.
      if (node.imageAt !== null && node.imageAt > w.now)
        w.at(node.imageAt, { kind: 'pull-done', node: node.id });
      break;
    }
    case 'pull-done':
      pullDone(w, w.node(e.node));
      break;
    case 'bind':
      bindNominated(w, w.pod(e.pod));
      break;
    case 'spawn-check':
      spawnCheck(w, w.node(e.node), e.version);
      break;
    case 'session-end':
      sessionEnd(w, w.user(e.user));
      break;
    case 'dask-start':
      daskStart(w, w.user(e.user));
      break;
    case 'scan': {
      const active = scan(w);
      if (!active && w.usersDone === w.users.length && w.provCount.every((n) => n === 0)) return true;
      w.at(w.now + w.m.autoscaler.scanInterval, { kind: 'scan' });
      break;
    }
  }
  return false;
}

/** Append a timeline point when a count changed (one point per instant: the last state wins). */
function record(w: World): void {
  const last = w.timeline.at(-1);
  const same =
    last !== undefined &&
    last.pending === w.pending.size &&
    last.servers === w.servers &&
    last.nodes.every((n, i) => n === w.readyCount[i]) &&
    last.provisioning.every((n, i) => n === w.provCount[i]);
  if (same) return;
  if (last !== undefined && last.t === w.now) w.timeline.pop();
  w.timeline.push({
    t: w.now,
    nodes: [...w.readyCount],
    provisioning: [...w.provCount],
    pending: w.pending.size,
    servers: w.servers,
  });
}

/** Nearest-rank percentile of sorted values: v[⌈p/100 · n⌉ − 1]; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Per group, billed node time from each node's request to its removal (or the end):
 *   nodeHours = Σ_nodes (min(removedAt, end) − createdAt) / 3 600 000;  SU = nodeHours · SU/h
 */
function result(w: World, starts: number[]): SimResult {
  const end = w.now;
  const users: SimUser[] = w.users.map((u) => ({
    index: u.index,
    arrival: u.arrival,
    readyAt: u.readyAt,
    timeToReady: u.readyAt === null ? null : u.readyAt - u.arrival,
    outcome: u.readyAt === null ? 'failed' : 'ready',
    ...(u.readyAt === null ? { reason: u.failed ?? 'timeout' } : {}),
    attempts: u.attempts,
    http429: u.http429,
    waitedForNode: u.waitedForNode,
    preempted: u.preempted,
    daskReadyAt: u.daskReadyAt,
  }));
  const groups: GroupUsage[] = w.groups.map((g, i) => {
    let ms = 0;
    for (const n of w.nodes) if (n.group === i) ms += Math.min(n.removedAt ?? end, end) - n.createdAt;
    let peak = starts[i] ?? 0;
    for (const p of w.timeline) peak = Math.max(peak, (p.nodes[i] ?? 0) + (p.provisioning[i] ?? 0));
    return {
      name: g.name,
      nodeHours: ms / HOUR,
      su: (ms / HOUR) * g.suPerHour,
      peakNodes: peak,
      initialNodes: starts[i] ?? 0,
      endNodes: w.liveNodes(i).length,
      scaleUps: w.scaleUps[i] ?? 0,
    };
  });
  return { users, timeline: w.timeline, groups, end, events: w.events, stats: stats(w, users) };
}

/** Time-to-ready over successful launches: nearest-rank p50/p95, max, mean; failures counted apart. */
function stats(w: World, users: SimUser[]): SimStats {
  const times = users.flatMap((u) => (u.timeToReady === null ? [] : [u.timeToReady])).sort((a, b) => a - b);
  const sum = times.reduce((a, b) => a + b, 0);
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    max: times.at(-1) ?? 0,
    mean: times.length === 0 ? 0 : sum / times.length,
    ready: times.length,
    failed: users.length - times.length,
    http429: users.reduce((a, u) => a + u.http429, 0),
    waitedForNode: users.filter((u) => u.waitedForNode).length,
    peakServers: w.timeline.reduce((a, p) => Math.max(a, p.servers), 0),
    peakPending: w.timeline.reduce((a, p) => Math.max(a, p.pending), 0),
  };
}
