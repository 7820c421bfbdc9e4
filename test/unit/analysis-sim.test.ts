import { describe, expect, it } from 'vitest';
import type { ModelValues } from '../../analysis/model.js';
import { GiB } from '../../analysis/node-capacity.js';
import { percentile, simulate } from '../../analysis/sim/simulate.js';
import type { SimGroup, SimInput } from '../../analysis/sim/types.js';

// The cluster simulator against cases worked out by hand. Every duration is fixed (median = p95),
// so each expected time follows from the model's rules without randomness.
const S = 1000;
const fixed = (ms: number) => ({ median: ms, p95: ms });

function model(over: Partial<ModelValues> = {}): ModelValues {
  const request = { memory: 8 * GiB, cpu: 1 };
  return {
    nodeReady: fixed(300 * S),
    imagePull: fixed(0),
    prePull: true,
    spawn: fixed(10 * S),
    spawnConcurrency: Number.POSITIVE_INFINITY,
    sessionWarmup: 0,
    hubWork: 0,
    binderOverhead: 0,
    build: { needed: false, time: fixed(0) },
    launchRetries: 4,
    retryDelays: [4 * S, 8 * S, 16 * S],
    launchTimeout: 600 * S,
    startTimeout: 600 * S,
    concurrentSpawnLimit: 100,
    retryAfter: [30 * S, 60 * S],
    launchQuota: 0,
    hubClient: 'binderhub',
    session: { duration: 600 * S, onEnd: 'stop', cullTimeout: 3600 * S, cullEvery: 600 * S },
    user: { request, limit: request },
    cellExec: fixed(S),
    autoscaler: {
      scanInterval: 10 * S,
      unneededTime: 600 * S,
      utilizationThreshold: 0.5,
      priorityCutoff: -10,
    },
    nodeOverhead: { cpu: 0, memory: 0, pods: 0 },
    preemptionDelay: 2 * S,
    dask: { mode: 'in-pod' },
    ...over,
  };
}

/** Three users per node (CPU-bound: 3 cores, 1 core each). */
function group(over: Partial<SimGroup> = {}): SimGroup {
  return {
    name: 'user-test',
    role: 'user',
    room: { cpu: 3, memory: 100 * GiB, pods: 110 },
    min: 1,
    max: 10,
    initial: 1,
    suPerHour: 16,
    ...over,
  };
}

function run(arrivals: number[], over: Partial<SimInput> = {}, m: Partial<ModelValues> = {}) {
  return simulate({ seed: 1, arrivals, user: group(), placeholders: 0, model: model(m), ...over });
}

const times = (r: ReturnType<typeof simulate>) => r.users.map((u) => u.timeToReady);

describe('simulate: exact analytic cases', () => {
  it('with no scale-up needed, nobody waits beyond the spawn overhead', () => {
    const r = run([0, 5 * S, 20 * S, 60 * S], { user: group({ initial: 2, min: 2 }) }, { binderOverhead: S });
    expect(times(r)).toEqual([11 * S, 11 * S, 11 * S, 11 * S]);
    expect(r.stats.waitedForNode).toBe(0);
    expect(r.groups[0]?.scaleUps).toBe(0);
  });

  it('a burst larger than warm capacity waits exactly scan + node-ready + spawn', () => {
    // 9 clicks at 0 on one node of 3: three start at once (10 s). The six others are pending when
    // the autoscaler next scans, at 10 s (the scan at 0 ran before their pods existed); it adds
    // ⌈6/3⌉ = 2 nodes, Ready at 10 + 300 s, spawns done at 320 s.
    const r = run(new Array(9).fill(0));
    expect(times(r)).toEqual([10, 10, 10, 320, 320, 320, 320, 320, 320].map((s) => s * S));
    expect(r.groups[0]?.scaleUps).toBe(2);
    expect(r.groups[0]?.peakNodes).toBe(3);
    expect(r.stats.waitedForNode).toBe(6);
  });

  it('returns to min after the autoscaler has found the nodes unneeded, and bills every node-second', () => {
    // Users of node 0 leave at 610 s, those of nodes 1-2 at 920 s. Node 0 (empty from 610 s) goes at
    // 1210 s; at 1520 s node 2 goes and node 1 stays (min 1); the next scan (1530 s) is quiet: end.
    // Billed: node 0 1210 s, node 1 10..1530 s, node 2 10..1520 s = 4240 s.
    const r = run(new Array(9).fill(0));
    expect(r.end).toBe(1530 * S);
    expect(r.groups[0]?.endNodes).toBe(1);
    expect(r.groups[0]?.nodeHours).toBeCloseTo(4240 / 3600, 12);
    expect(r.groups[0]?.su).toBeCloseTo((4240 / 3600) * 16, 12);
  });

  it('answers 429 exactly when simultaneous spawns exceed concurrent_spawn_limit', () => {
    const big = { user: group({ initial: 3, min: 3 }) };
    const atLimit = run(new Array(5).fill(0), big, { concurrentSpawnLimit: 5, spawn: fixed(60 * S) });
    expect(atLimit.stats.http429).toBe(0);
    // 8 at once with limit 5: 3 get 429, and again at 4, 12 and 28 s (5 spawns hold until 60 s):
    // 4 attempts each, all 429, so they fail.
    const over = run(new Array(8).fill(0), big, { concurrentSpawnLimit: 5, spawn: fixed(60 * S) });
    expect(over.stats.http429).toBe(12);
    expect(over.users.filter((u) => u.reason === 'spawn-limit-429').map((u) => u.attempts)).toEqual([
      4, 4, 4,
    ]);
    expect(times(over).filter((t) => t !== null)).toEqual(new Array(5).fill(60 * S));
  });

  it('a JupyterHub client waits out Retry-After (30–60 s) and then gets its server', () => {
    const r = run(
      [0, 0],
      { user: group({ initial: 1 }) },
      { concurrentSpawnLimit: 1, hubClient: 'jupyterhub' },
    );
    const second = r.users[1];
    expect(second?.http429).toBe(1);
    expect(second?.attempts).toBe(2);
    expect(second?.timeToReady).toBeGreaterThanOrEqual(40 * S);
    expect(second?.timeToReady).toBeLessThan(70 * S);
  });

  it('a user preempts a placeholder and starts after the grace period; the placeholder triggers a scale-up', () => {
    const r = run([0], { placeholders: 3 });
    expect(r.users[0]?.preempted).toBe(true);
    expect(r.users[0]?.timeToReady).toBe(12 * S);
    expect(r.groups[0]?.scaleUps).toBe(1);
  });

  it('starts share a node by processor sharing: n equal starts with concurrency c end together at n·S/c', () => {
    expect(times(run([0, 0, 0], {}, { spawnConcurrency: 1 }))).toEqual([30 * S, 30 * S, 30 * S]);
    expect(times(run([0, 0, 0], {}, { spawnConcurrency: 2 }))).toEqual([15 * S, 15 * S, 15 * S]);
  });

  it("the hub's one process interleaves the spawns it handles (processor sharing)", () => {
    // hubWork 1 s (0.5 s before the server starts, 0.5 s once it is up), spawns 10 s in parallel
    // (c = ∞). The three clicks at 0 share the hub's process (1/3 each): handed to their servers at
    // 1.5 s, up at 11.5 s, their finishing parts shared again: ready at 13 s (FIFO would give 11, 12,
    // 13 s). The click at 5 s finds the hub free: 5.5 s, up at 15.5 s, ready at 16 s.
    const r = run([0, 0, 0, 5 * S], { user: group({ initial: 2, min: 2 }) }, { hubWork: S });
    expect(times(r)).toEqual([13 * S, 13 * S, 13 * S, 11 * S]);
  });

  it('the hub shares the cores of the machine it runs on with the servers starting there', () => {
    // One core, hubWork 1 s, spawns 2 s; clicks at 0 (A) and 1 s (B). A's start part 0–0.5 s, its
    // server alone until 1 s. From 1 s the server and the hub (B's start part) share the core, 1/2
    // each: B's part ends at 2 s, A's server has 1 s of work left. From 2 s the two servers share:
    // A's is up at 4 s; its finishing part shares with B's server: A ready at 5 s; B's server is up at
    // 5.5 s, ready at 6 s. Time to ready 5 and 5 s (a hub beside the CPU would give 4 and 4).
    const r = run(
      [0, S],
      { user: group({ initial: 1, min: 1 }) },
      { hubWork: S, spawnConcurrency: 1, spawn: fixed(2 * S) },
    );
    expect(times(r)).toEqual([5 * S, 5 * S]);
  });

  it("a server that is up is ready only once the hub's process has got through its finishing part", () => {
    // hubWork 2 s (1 s each side), spawns 10 s, c = ∞; clicks at 0 (A) and 11 s (B). A: start part
    // 0–1 s, server up at 11 s; its finishing part shares the hub with B's start part from 11 s:
    // both done at 13 s, so A is ready at 13 s. B's server 13–23 s, finishing part 23–24 s.
    // Time to ready 13 and 13 s; with all of the hub's work before the server start: 12 and 12 s.
    const r = run([0, 11 * S], { user: group({ initial: 1, min: 1 }) }, { hubWork: 2 * S });
    expect(times(r)).toEqual([13 * S, 13 * S]);
  });

  it('everyone who clicks during the build waits for that one build', () => {
    const r = run([0, 10 * S, 70 * S], {}, { build: { needed: true, time: fixed(60 * S) } });
    expect(times(r)).toEqual([70 * S, 60 * S, 10 * S]);
  });

  it('a pod that never fits fails after 4 attempts of min(start_timeout, launch_timeout)', () => {
    const r = run([0, 0, 0, 5 * S], { user: group({ max: 1 }) }, { startTimeout: 100 * S });
    expect(r.users[3]).toMatchObject({ outcome: 'failed', reason: 'timeout', attempts: 4 });
  });

  it('a launch quota refuses launches beyond it', () => {
    const r = run([0, 0, 0], {}, { launchQuota: 2 });
    expect(r.users.map((u) => u.reason ?? 'ok')).toEqual(['ok', 'ok', 'quota']);
  });

  it('dask-gateway workers go to the dask group and scale it up', () => {
    const gateway = {
      mode: 'gateway' as const,
      workersPerUser: 4,
      worker: { memory: 2 * GiB, cpu: 1 },
      scheduler: { memory: GiB, cpu: 0.1 },
      startAfter: 60 * S,
    };
    const dask = group({ name: 'dask-test', role: 'dask', room: { cpu: 4, memory: 100 * GiB, pods: 110 } });
    const r = run(
      [0],
      { dask, user: group({ room: { cpu: 3.5, memory: 100 * GiB, pods: 110 } }) },
      { dask: gateway },
    );
    expect(r.groups[1]?.scaleUps).toBe(0);
    const two = run(
      [0, 0],
      { dask, user: group({ initial: 1, room: { cpu: 3.5, memory: 100 * GiB, pods: 110 } }) },
      { dask: gateway },
    );
    // 8 workers of 1 core on 4-core nodes: the first node holds 4, one more node for the rest.
    expect(two.groups[1]?.scaleUps).toBe(1);
    expect(two.users.every((u) => u.daskReadyAt !== null)).toBe(true);
  });
});

describe('simulate: determinism', () => {
  const random = (seed: number) =>
    simulate({
      seed,
      arrivals: Array.from({ length: 60 }, (_, i) => i * 2 * S),
      user: group({ max: 30 }),
      placeholders: 2,
      model: model({ nodeReady: { median: 300 * S, p95: 420 * S }, spawn: { median: 10 * S, p95: 40 * S } }),
    });

  it('gives identical output for the same seed, and different output for another', () => {
    expect(random(7)).toEqual(random(7));
    expect(random(8).users).not.toEqual(random(7).users);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
    expect(percentile([], 95)).toBe(0);
  });
});
