import { describe, expect, it } from 'vitest';
import { calibrate, localTargetInput } from '../../analysis/calibrate.js';
import { defaultParams, valuesOf } from '../../analysis/model.js';
import { simulate } from '../../analysis/sim/simulate.js';
import type { TrendSummary } from '../../core/hdr.js';
import type { ClusterRecord, PodLaunch } from '../../loadgen/record/cluster.js';
import type { RunRecord } from '../../loadgen/record/reader.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { parseScenario } from '../../scenarios/load.js';

const trend = (p50: number, p95: number, count = 8): TrendSummary => ({
  count,
  min: p50 / 2,
  max: p95,
  mean: p50,
  p50,
  p90: p95,
  p95,
  p99: p95,
});

function record(
  kind: 'local' | 'binderhub',
  events: RunEvent[],
  trends: Record<string, TrendSummary>,
  local?: Record<string, number>,
): RunRecord {
  return {
    dir: '/nowhere',
    meta: {
      version: 1,
      id: 'rec-1',
      tool: { name: 'rehearse', version: '0.0.0' },
      scenario: { name: 's', hash: 'h', source: 's.yaml', normalized: {} },
      seed: 5,
      target: { kind, ...(local ? { local } : {}) },
      host: { hostname: 'h', platform: 'linux', arch: 'x64', node: '20', cpus: 2, memoryGiB: 8 },
      intervalMs: 10_000,
      plannedUsers: 8,
      startedAt: '2026-11-24T00:00:00Z',
      status: 'completed',
    },
    events,
    intervals: [],
    summary: {
      id: 'rec-1',
      scenario: 's',
      partial: false,
      status: 'completed',
      startedAt: '2026-11-24T00:00:00Z',
      durationMs: 60_000,
      users: { planned: 8, arrived: 8, late: 0, completed: 8, failed: 0 },
      trends,
      rates: {},
      failures: {},
      thresholds: [],
      verdict: 'pass',
      leftovers: [],
    },
    partial: false,
    warnings: [],
  };
}

const localScenario = parseScenario(
  [
    'name: cal',
    'target: { kind: local, buildTime: 10s }',
    'repo: gh/a/b/HEAD',
    'cohorts: [{ name: c, users: 8, arrival: { kind: burst, over: 20s } }]',
    'session: { notebook: n.ipynb, thinkTime: { median: 5s, p95: 15s }, duration: 60s }',
  ].join('\n'),
  'cal.yaml',
);

describe('calibrate', () => {
  it('recovers the local machine it was given: spawn work, concurrency and warm-up, all measured', () => {
    const truth = {
      ...valuesOf(defaultParams(localScenario)),
      binderOverhead: 1000,
      build: { needed: true, time: { median: 10_000, p95: 10_000 } },
      spawn: { median: 2000, p95: 2000 },
      spawnConcurrency: 2,
      sessionWarmup: 3000,
      hubWork: 500,
    };
    const arrivals = [800, 3300, 5400, 11_100, 12_900, 15_300, 18_500, 19_400];
    const sim = simulate(localTargetInput(truth, arrivals, 5));
    const events: RunEvent[] = sim.users.map((u) => ({
      type: 'step',
      t: u.readyAt ?? 0,
      user: `u${u.index}`,
      step: 'launch',
      scheduled: u.arrival,
      duration: u.timeToReady ?? 0,
      ok: true,
    }));
    const rec = record(
      'local',
      events,
      // The least-loaded launch's hub start part is the fixed overhead (1 s); the rest the fit finds.
      { 'launch.queue': { ...trend(1600, 2500), min: 1000 }, 'launch.start': trend(2500, 4700) },
      {
        buildSeconds: 10,
        concurrentSpawnLimit: 64,
        launchQuota: 0,
      },
    );
    const cal = calibrate(defaultParams(localScenario), rec, 'local');
    expect(cal.localFit).toMatchObject({ spawn: 2000, concurrency: 2, warmup: 3000, hubWork: 500, users: 8 }); // host.cpus 2
    expect(cal.localFit?.rmsLogError).toBeCloseTo(0, 9);
    // The median from the fit, the spread of single spawns from launch.start: 2000 · 4700 / 2500.
    expect(cal.params.spawn.value).toEqual({ median: 2000, p95: 3760 });
    // launch.queue is the hub's start part here (fitted as hub work): only its least is fixed.
    expect(cal.params.binderOverhead.value).toBe(1000);
    for (const key of [
      'spawn',
      'spawnConcurrency',
      'sessionWarmup',
      'hubWork',
      'binderOverhead',
      'build',
      'concurrentSpawnLimit',
    ] as const) {
      expect(cal.params[key].origin).toBe('measured');
      expect(cal.params[key].source).toContain('rec-1');
    }
    expect(cal.params.nodeReady.origin).toBe('default');
  });

  it("takes a hub's spawn, pull and scale-up times from the record's trends", () => {
    const rec = record('binderhub', [], {
      'launch.start': trend(12_000, 30_000),
      'launch.pull': trend(90_000, 200_000),
      'launch.scaleup': trend(240_000, 330_000),
      'cell.exec': trend(800, 6000, 50),
    });
    const cal = calibrate(defaultParams(localScenario), rec, 'binderhub');
    expect(cal.params.spawn).toMatchObject({ value: { median: 12_000, p95: 30_000 }, origin: 'measured' });
    expect(cal.params.imagePull.value).toEqual({ median: 90_000, p95: 200_000 });
    expect(cal.params.nodeReady.value).toEqual({ median: 240_000, p95: 330_000 });
    expect(cal.params.cellExec.origin).toBe('measured');
    expect(cal.localFit).toBeUndefined();
  });

  it('takes only cell times from a local record when the plan is for a Kubernetes hub', () => {
    const rec = record(
      'local',
      [{ type: 'step', t: 3000, user: 'u1', step: 'launch', scheduled: 0, duration: 3000, ok: true }],
      { 'launch.start': trend(2500, 4700), 'launch.queue': trend(600, 1500), 'cell.exec': trend(700, 5000) },
      { buildSeconds: 10, concurrentSpawnLimit: 2, launchQuota: 3 },
    );
    const base = defaultParams(localScenario);
    const cal = calibrate(base, rec, 'binderhub');
    expect(cal.params.cellExec).toMatchObject({ value: { median: 700, p95: 5000 }, origin: 'measured' });
    for (const key of [
      'spawn',
      'spawnConcurrency',
      'binderOverhead',
      'build',
      'concurrentSpawnLimit',
      'launchQuota',
    ] as const) {
      expect(cal.params[key], key).toEqual(base[key]);
    }
    expect(cal.localFit).toBeUndefined();
    expect(cal.notes.join(' ')).toMatch(/only its cell times apply to a binderhub plan/);
  });

  it("prefers the cluster observer's pulls and scale-up waits, and warns when users outgrow their guarantee", () => {
    const GiB = 2 ** 30;
    const launch = (user: string, scaleup?: number): PodLaunch => ({
      hubUser: user,
      pod: `jupyter-${user}`,
      createdAt: 0,
      failedScheduling: 0,
      preempted: false,
      phases: scaleup === undefined ? { schedule: 100 } : { schedule: 100, scaleup },
    });
    const cluster: ClusterRecord = {
      version: 1,
      namespace: 'binder',
      from: 0,
      to: 600_000,
      samples: [],
      nodes: [],
      pulls: [],
      launches: [launch('a', 150_000), launch('b', 210_000), launch('c'), launch('d', 180_000)],
      events: [],
      eventsDropped: 0,
      summary: {
        nodeReady: null,
        imagePull: { n: 3, median: 41_200, p95: 95_000, max: 95_000 },
        cachedPulls: 5,
        usersPerNode: { max: 7, byGroup: { 'user-m3-large': 7 } },
        peakMemoryPerUser: { n: 4, median: 6 * GiB, p95: 9 * GiB, max: 9 * GiB },
        metrics: 'available',
        scaleUps: 2,
        failedScheduling: 3,
        preemptions: 1,
      },
      warnings: [],
    };
    const rec = { ...record('binderhub', [], { 'launch.pull': trend(1000, 2000) }), cluster };
    const pythiaLike = parseScenario(
      [
        'name: k',
        'target: { kind: binderhub, url: https://binder.example.org }',
        'repo: gh/a/b/HEAD',
        'cohorts: [{ name: c, users: 4, arrival: { kind: burst, over: 1m } }]',
        'session: { notebook: n.ipynb, thinkTime: { median: 5s, p95: 15s }, duration: 5m }',
        'capacity: { user: { memory: 8Gi, cpu: 0.05 }, flavors: [m3.large], nodeReady: 5m }',
      ].join('\n'),
      'k.yaml',
    );
    const cal = calibrate(defaultParams(pythiaLike), rec, 'binderhub');
    expect(cal.params.imagePull).toMatchObject({
      value: { median: 41_200, p95: 95_000 },
      origin: 'measured',
    });
    // Nearest rank over [150 000, 180 000, 210 000]: median 180 000, p95 210 000.
    expect(cal.params.nodeReady).toMatchObject({
      value: { median: 180_000, p95: 210_000 },
      origin: 'measured',
    });
    expect(cal.params.nodeReady.source).toContain('cluster.json');
    expect(cal.notes.join(' ')).toMatch(/peak memory p95 9.00 GiB exceeds the guarantee 8.00 GiB/);
  });
});
