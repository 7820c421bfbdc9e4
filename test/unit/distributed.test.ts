import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WorkerConfig } from '../../loadgen/distributed/config.js';
import { coordinate, type Launcher, type WorkerHandle } from '../../loadgen/distributed/coordinator.js';
import { jobName, ownedBy, workerManifests } from '../../loadgen/distributed/k8s-manifests.js';
import { IntervalMerger } from '../../loadgen/distributed/merge.js';
import {
  formatLine,
  LineWriter,
  parseLine,
  type WorkerLine,
  type WorkerMessage,
} from '../../loadgen/distributed/protocol.js';
import { parseWorkers, shardPlan, shardSizes } from '../../loadgen/distributed/shard.js';
import type { Sample } from '../../loadgen/metrics/names.js';
import { MetricStore } from '../../loadgen/metrics/store.js';
import { summarizeIntervals } from '../../loadgen/metrics/summary.js';
import { planArrivals } from '../../loadgen/plan/arrivals.js';
import { readRecord } from '../../loadgen/record/reader.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { RATE_LIMIT_STOP } from '../../loadgen/runner/runner.js';
import { parseThresholds } from '../../loadgen/thresholds.js';
import { parseScenario, scenarioHash } from '../../scenarios/load.js';

const I = 10_000;
/** p95 of launch.ready over all 600 samples, and the (wrong) average of the three shards' p95. */
const UNION_P95 = 7622.655;
const AVERAGE_OF_SHARD_P95 = 7621.289667;

/** Number messages as a worker's LineWriter does (seq 0, 1, 2, …). */
const numbered = (ms: WorkerMessage[]): WorkerLine[] => ms.map((m, seq) => ({ ...m, seq }) as WorkerLine);

const scenarioYaml = [
  'name: dist',
  'seed: 7',
  'target: { kind: binderhub, url: "http://127.0.0.1:9/" }',
  'repo: gh/org/repo/HEAD',
  'cohorts:',
  '  - { name: a, users: 7, arrival: { kind: burst, over: 20s } }',
  '  - { name: b, users: 4, start: 5s, arrival: { kind: ramp, over: 10s } }',
  'session: { notebook: nb.ipynb, thinkTime: { median: 1s, p95: 2s }, duration: 30s }',
  '',
].join('\n');
const scenario = parseScenario(scenarioYaml, 'dist.yaml');

describe('shard split', () => {
  it('round robin: arrival i goes to shard i mod N; the shards partition the plan and keep global ids', () => {
    const plan = planArrivals(scenario);
    const shards = [0, 1, 2].map((i) => shardPlan(plan, i, 3));
    expect(shards.map((s) => s.arrivals.map((a) => a.index))).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7, 10],
      [2, 5, 8],
    ]);
    const ids = shards.flatMap((s) => s.arrivals.map((a) => a.id)).sort();
    expect(ids).toEqual(plan.arrivals.map((a) => a.id).sort());
    expect(shards.map((s) => s.arrivals.length)).toEqual(shardSizes(plan.arrivals.length, 3));
    expect(shardSizes(11, 3)).toEqual([4, 4, 3]);
    expect(shardSizes(2, 4)).toEqual([1, 1, 0, 0]);
    // Same offsets as in the one-process plan: arrivals keep their meaning on the common clock.
    expect(shards[1]?.arrivals[0]).toEqual(plan.arrivals[1]);
  });

  it('parses --workers and rejects anything else', () => {
    expect(parseWorkers('local:3')).toEqual({ kind: 'local', count: 3 });
    expect(parseWorkers('k8s:12')).toEqual({ kind: 'k8s', count: 12 });
    for (const bad of ['local', 'k8s:0', 'docker:2', 'local:-1', 'k8s:1001']) {
      expect(() => parseWorkers(bad), bad).toThrow(/--workers/);
    }
  });
});

/** Fixed samples: 600 latencies over 40 s, spread so that shards see different distributions. */
function fixedSamples(): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < 600; i++) {
    const t = (i * 67) % 40_000;
    const value = i % 3 === 0 ? 50 + ((i * 7919) % 9000) : 5 + ((i * 104_729) % 400) / 10;
    out.push({ kind: 'trend', metric: 'launch.ready', value, t });
    out.push({ kind: 'trend', metric: 'cell.exec', value: value / 3, t, tags: { cell: i % 2 } });
    out.push({ kind: 'rate', metric: 'launch.failed', hit: i % 17 === 0, t });
    if (i % 29 === 0) out.push({ kind: 'failure', reason: 'timeout', attempt: 'final', t });
  }
  return out;
}

function intervalsOf(samples: Sample[], end: number): IntervalRecord[] {
  const recs: IntervalRecord[] = [];
  const store = new MetricStore({ intervalMs: I, onInterval: (r) => recs.push(r) });
  for (const s of [...samples].sort((a, b) => a.t - b.t)) store.add(s);
  store.close(end);
  return recs;
}

describe('exact merge of worker intervals', () => {
  it('merged percentiles equal those of the union of all samples (not an average of shard percentiles)', () => {
    const samples = fixedSamples();
    const one = summarizeIntervals(intervalsOf(samples, 41_000), [99.9]);
    const merger = new IntervalMerger(3, I);
    const byShard = [0, 1, 2].map((k) =>
      intervalsOf(
        samples.filter((_, i) => Math.floor(i / 3) % 3 === k),
        41_000,
      ),
    );
    for (const recs of byShard) for (const r of recs) merger.add(r);
    for (const k of [0, 1, 2]) merger.end(k);
    const merged = merger.drain();
    expect(merged.map((r) => [r.start, r.end])).toEqual([
      [0, 10_000],
      [10_000, 20_000],
      [20_000, 30_000],
      [30_000, 40_000],
    ]);
    const summary = summarizeIntervals(merged, [99.9]);
    expect(summary).toEqual(one);
    expect(summary.trends['launch.ready']?.count).toBe(600);
    expect(summary.rates['launch.failed']).toEqual({ hits: 36, total: 600, rate: 36 / 600 });
    // Averaging the shards' p95 would be wrong here: it differs from the union's.
    const p95s = byShard.map((recs) => summarizeIntervals(recs).trends['launch.ready']?.p95 ?? 0);
    expect(p95s.reduce((a, b) => a + b, 0) / 3).toBeCloseTo(AVERAGE_OF_SHARD_P95, 6);
    expect(one.trends['launch.ready']?.p95).toBe(UNION_P95);
  });

  it('drains an interval only once every live worker has flushed past it', () => {
    const rec = (start: number, n: number): IntervalRecord => ({
      start,
      end: start + I,
      trends: {},
      rates: { 'arrival.late': { hits: 0, total: n } },
      failures: {},
    });
    const m = new IntervalMerger(2, I);
    m.add(rec(0, 1));
    m.advance(0, 10_000);
    expect(m.drain()).toEqual([]); // worker 1 may still send [0, 10 s)
    m.add(rec(0, 2));
    m.add(rec(10_000, 5));
    m.advance(1, 20_000);
    expect(m.drain().map((r) => [r.start, r.rates['arrival.late']?.total])).toEqual([[0, 3]]);
    m.end(0);
    expect(m.drain().map((r) => [r.start, r.rates['arrival.late']?.total])).toEqual([[10_000, 5]]);
  });
});

describe('worker protocol lines', () => {
  it('round-trips each kind and rejects other versions and bad shapes with a path', () => {
    const lines = numbered([
      { v: 1, shard: 0, type: 'hello', shards: 2, planned: 3, pid: 1, host: 'h', startAt: 1, clock: -50 },
      { v: 1, shard: 0, type: 'heartbeat', t: 1200, flushedUntil: 0 },
      { v: 1, shard: 0, type: 'event', ev: { type: 'stop', t: 3, reason: 'x' } },
      {
        v: 1,
        shard: 1,
        type: 'user-end',
        result: { id: 'u0002', outcome: 'not-started', cellsRun: 0, kept: false },
      },
      { v: 1, shard: 1, type: 'done', status: 'completed', endedAt: 9000 },
    ]);
    for (const l of lines) expect(parseLine(formatLine(l).trim())).toEqual({ ok: true, line: l });
    expect(parseLine('{"v":2,"type":"hello"}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/version 2/),
    });
    expect(parseLine('{"v":1,"shard":0,"seq":0,"type":"done","status":"running","endedAt":1}')).toMatchObject(
      {
        ok: false,
        error: expect.stringMatching(/^status/),
      },
    );
    expect(parseLine('not json')).toMatchObject({ ok: false });
    // seq is required: it is how a re-read pod log is deduplicated.
    expect(parseLine('{"v":1,"shard":0,"type":"heartbeat","t":1,"flushedUntil":0}')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^seq/),
    });
    const out: string[] = [];
    const w = new LineWriter((t) => out.push(t));
    w.send({ v: 1, shard: 2, type: 'heartbeat', t: 5, flushedUntil: 0 });
    w.send({ v: 1, shard: 2, type: 'heartbeat', t: 6, flushedUntil: 0 });
    expect(out.map((t) => (parseLine(t.trim()) as { line: WorkerLine }).line.seq)).toEqual([0, 1]);
  });
});

function config(shards: number): WorkerConfig {
  return {
    v: 1,
    runId: '20260101-000000-Dist_Run-ab12',
    scenarioYaml,
    scenarioSource: 'dist.yaml',
    scenarioHash: scenarioHash(scenario),
    cells: [{ index: 0, source: '1+1' }],
    seed: 7,
    shards,
    startAt: 1_700_000_000_000,
    protocol: 'v1',
    target: {
      kind: 'binderhub',
      binderUrl: 'http://127.0.0.1:9/',
      spec: 'gh/org/repo/HEAD',
      tokenEnv: 'HUB_TOKEN',
    },
    launchTimeoutMs: 900_000,
  };
}

describe('k8s manifests', () => {
  it('an Indexed Job of N pods running the worker image, never retried, with the config mounted', () => {
    const name = jobName('20260101-000000-Dist_Run-ab12');
    expect(name).toBe('rehearse-20260101-000000-dist-run-ab12');
    const m = workerManifests({
      name,
      namespace: 'load',
      image: 'reg.example/rehearse:1',
      workers: 4,
      config: config(4),
      token: 'secret-value',
      activeDeadlineSeconds: 3600,
    });
    expect(m.configMap.apiVersion).toBe('v1');
    expect(m.configMap.kind).toBe('ConfigMap');
    expect(m.configMap.metadata).toMatchObject({ name, namespace: 'load' });
    expect(JSON.parse(m.configMap.data?.['worker.json'] ?? '')).toEqual(config(4));
    expect(m.secret?.metadata?.name).toBe(`${name}-token`);
    expect(m.secret?.stringData).toEqual({ token: 'secret-value' });
    const { job } = m;
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata?.name).toBe(name);
    expect(job.metadata?.namespace).toBe('load');
    expect(job.spec?.completionMode).toBe('Indexed');
    expect(job.spec?.completions).toBe(4);
    expect(job.spec?.parallelism).toBe(4);
    // Per index: a failed pod fails its own index, never re-run, and the others go on. A Job-wide
    // backoffLimit 0 would fail the whole Job at the first failed pod and terminate all others; it
    // is left unset (the API then defaults it to 2^31-1).
    expect(job.spec?.backoffLimitPerIndex).toBe(0);
    expect(job.spec?.maxFailedIndexes).toBe(4);
    expect(job.spec).not.toHaveProperty('backoffLimit');
    expect(job.spec?.ttlSecondsAfterFinished).toBe(600);
    expect(job.spec?.activeDeadlineSeconds).toBe(3600);
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.securityContext?.runAsNonRoot).toBe(true);
    expect(pod?.securityContext?.runAsUser).toBe(10001);
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.containers).toHaveLength(1);
    const c = pod?.containers[0];
    expect(c?.name).toBe('worker');
    expect(c?.image).toBe('reg.example/rehearse:1');
    expect(c?.args).toEqual(['--config', '/etc/rehearse/worker.json']);
    expect(c?.env).toEqual([
      { name: 'HUB_TOKEN', valueFrom: { secretKeyRef: { name: `${name}-token`, key: 'token' } } },
    ]);
    expect(c?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c?.volumeMounts?.[0]).toEqual({ name: 'config', mountPath: '/etc/rehearse', readOnly: true });
    expect(pod?.volumes?.[0]).toEqual({ name: 'config', configMap: { name } });
    // No token in the ConfigMap; no Secret when the target names no token variable.
    expect(m.configMap.data?.['worker.json']).not.toContain('secret-value');
    const noToken: WorkerConfig = {
      ...config(2),
      target: { kind: 'binderhub', binderUrl: 'http://127.0.0.1:9/', spec: 'gh/org/repo/HEAD' },
    };
    const m2 = workerManifests({
      name,
      namespace: 'load',
      image: 'i',
      workers: 2,
      config: noToken,
      activeDeadlineSeconds: 60,
    });
    expect(m2.secret).toBeUndefined();
    expect(m2.job.spec?.template.spec?.containers[0]?.env).toEqual([]);
    expect(m2.job.spec?.maxFailedIndexes).toBe(2);
    // The ConfigMap and Secret name the Job as owner: garbage-collected with it even if we die.
    expect(ownedBy({ name, uid: 'u-1' })).toEqual({
      ownerReferences: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name,
          uid: 'u-1',
          controller: false,
          blockOwnerDeletion: false,
        },
      ],
    });
  });
});

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Script {
  /** Protocol lines (or raw text) the worker writes. */
  lines: (WorkerLine | string)[];
  /** end: exit after the lines; kill: write nothing more until killed; stop: until stopAll, then `after`. */
  afterLines?: 'end' | 'kill' | 'stop';
  after?: WorkerLine[];
  exit: { code: number | null; signal: string | null };
}

/** A launcher whose workers replay scripted protocol lines in-process. */
function scriptedLauncher(scripts: Script[]) {
  const calls: string[] = [];
  const stopped = deferred();
  const signals: AbortSignal[] = [];
  const launcher: Launcher = {
    async start(cfg, signal) {
      calls.push(`start ${cfg.shards}`);
      signals.push(signal);
      return scripts.map((s, index): WorkerHandle => {
        const killed = deferred();
        const sigkill = { code: null, signal: 'SIGKILL' };
        const then = s.afterLines ?? 'end';
        return {
          index,
          where: `fake ${index}`,
          lines: (async function* () {
            for (const l of s.lines) yield typeof l === 'string' ? l : formatLine(l).trim();
            if (then === 'kill') await killed.promise;
            if (then === 'stop') {
              const how = await Promise.race([stopped.promise.then(() => 'stop'), killed.promise]);
              if (how === 'stop') for (const l of s.after ?? []) yield formatLine(l).trim();
            }
          })(),
          exited:
            then === 'end'
              ? Promise.resolve(s.exit)
              : then === 'kill'
                ? killed.promise.then(() => sigkill)
                : Promise.race([stopped.promise.then(() => s.exit), killed.promise.then(() => sigkill)]),
          kill: () => {
            calls.push(`kill ${index}`);
            killed.resolve();
          },
        };
      });
    },
    async stopAll() {
      calls.push('stopAll');
      stopped.resolve();
    },
    async close(signal) {
      calls.push(`close${signal ? '' : ' (unbounded)'}`);
      return [];
    },
  };
  return { launcher, calls, signals };
}

describe('coordinator', () => {
  it('merges two workers into one record; a worker killed mid-run is reported and its shard counted as lost', async () => {
    const loaded = {
      scenario,
      sourcePath: 'dist.yaml',
      baseDir: '.',
      hash: scenarioHash(scenario),
      notebookPath: 'nb.ipynb',
    };
    const plan = planArrivals(scenario);
    const [s0, s1] = [shardPlan(plan, 0, 2), shardPlan(plan, 1, 2)];
    const launchRec = (shard: number, start: number, values: number[]): WorkerMessage => {
      const recs: IntervalRecord[] = [];
      const store = new MetricStore({ intervalMs: I, onInterval: (r) => recs.push(r) });
      for (const v of values) store.add({ kind: 'trend', metric: 'launch.ready', value: v, t: start + 1 });
      store.close(start + I);
      return { v: 1, shard, type: 'interval', rec: recs[0] as IntervalRecord };
    };
    const ended = (shard: number, id: string): WorkerMessage[] => [
      {
        v: 1,
        shard,
        type: 'event',
        ev: { type: 'arrival', t: 1, user: id, cohort: 'a', scheduled: 0, lag: 0, late: false },
      },
      { v: 1, shard, type: 'user-end', result: { id, outcome: 'completed', cellsRun: 1, kept: false } },
    ];
    const hello = (shard: number, planned: number): WorkerMessage => ({
      v: 1,
      shard,
      type: 'hello',
      shards: 2,
      planned,
      pid: 1,
      host: 'h',
      startAt: 0,
      clock: -10,
    });
    const w0 = numbered([
      hello(0, s0.arrivals.length),
      ...s0.arrivals.flatMap((a) => ended(0, a.id)),
      launchRec(0, 0, [1000, 2000, 3000]),
      { v: 1, shard: 0, type: 'done', status: 'completed', endedAt: 25_000 },
    ]);
    const done1 = s1.arrivals.slice(0, 2);
    const w1 = numbered([
      hello(1, s1.arrivals.length),
      ...done1.flatMap((a) => ended(1, a.id)),
      {
        v: 1,
        shard: 1,
        type: 'event',
        ev: { type: 'arrival', t: 2, user: 'u0099', cohort: 'a', scheduled: 0, lag: 0, late: false },
      },
      {
        v: 1,
        shard: 1,
        type: 'event',
        ev: {
          type: 'step',
          t: 9,
          user: 'u0099',
          step: 'launch',
          scheduled: 0,
          duration: 9,
          ok: true,
          detail: 'hubuser-99',
        },
      },
      launchRec(1, 0, [4000, 5000]),
      { v: 1, shard: 1, type: 'heartbeat', t: 12_000, flushedUntil: 10_000 },
      // then SIGKILL: no more lines, no done
    ]);
    const { launcher, calls } = scriptedLauncher([
      { lines: w0, exit: { code: 0, signal: null } },
      { lines: w1, exit: { code: null, signal: 'SIGKILL' } },
    ]);
    const cleaned: string[] = [];
    const runsDir = mkdtempSync(join(tmpdir(), 'rehearse-coord-'));
    const res = await coordinate({
      loaded,
      scenarioYaml,
      cells: [{ index: 0, source: '1+1' }],
      workers: 2,
      launcher,
      target: config(2).target,
      recordedTarget: { kind: 'binderhub', binderUrl: 'http://127.0.0.1:9/' },
      healthProbe: false,
      launchTimeoutMs: 1000,
      protocol: 'v1',
      runsDir,
      thresholds: parseThresholds(['launch.ready p(50) < 10s']).thresholds,
      toolVersion: '0.0.0',
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      startDelayMs: 0,
      heartbeatTimeoutMs: 60_000,
      cleanupLost: async (users) => {
        cleaned.push(...users.map((u) => `${u.user}:${u.hubUser}`));
        return users.map((u) => ({ what: `server of ${u.hubUser}`, ok: true, detail: 'stopped' }));
      },
    });
    const lostUsers = s1.arrivals.length - done1.length;
    expect(res.lostUsers).toBe(lostUsers);
    const { summary } = res;
    expect(summary.status).toBe('failed');
    expect(summary.stopReason).toMatch(/worker 1 lost \(killed by SIGKILL before it finished\)/);
    expect(summary.users).toEqual({
      planned: plan.arrivals.length,
      arrived: s0.arrivals.length + 2,
      late: 0,
      completed: s0.arrivals.length + 2,
      failed: 0,
      lost: lostUsers,
    });
    expect(summary.workers?.map((w) => [w.index, w.state, w.planned, w.reported, w.lost])).toEqual([
      [0, 'done', s0.arrivals.length, s0.arrivals.length, 0],
      [1, 'lost', s1.arrivals.length, 2, lostUsers],
    ]);
    // Both workers' launch.ready samples merged into one histogram: p50 of {1,2,3,4,5} s (in ms,
    // the top of its HDR bucket: within 0.1 %).
    expect(summary.trends['launch.ready']?.count).toBe(5);
    expect(summary.trends['launch.ready']?.p50).toBeGreaterThanOrEqual(3000);
    expect(summary.trends['launch.ready']?.p50).toBeLessThan(3003);
    expect(summary.verdict).toBe('pass');
    expect(cleaned).toEqual(['u0099:hubuser-99']);
    // The lost worker is killed (a lost worker must not go on loading the hub); close is bounded.
    expect(calls).toEqual(['start 2', 'kill 1', 'close']);
    const record = readRecord(res.dir);
    expect(record.intervals).toHaveLength(1);
    expect(record.events.filter((e) => e.type === 'run-start')).toHaveLength(1);
    expect(
      record.events.filter((e) => e.type === 'cleanup').map((e) => e.type === 'cleanup' && e.what),
    ).toEqual(['server of hubuser-99']);
    expect(record.summary.workers?.[1]?.state).toBe('lost');
  });
});

const loadedDist = {
  scenario,
  sourcePath: 'dist.yaml',
  baseDir: '.',
  hash: scenarioHash(scenario),
  notebookPath: 'nb.ipynb',
};

function coordOptions(launcher: Launcher, o: Partial<Parameters<typeof coordinate>[0]> = {}) {
  return {
    loaded: loadedDist,
    scenarioYaml,
    cells: [{ index: 0, source: '1+1' }],
    workers: 2,
    launcher,
    target: config(2).target,
    recordedTarget: { kind: 'binderhub' as const, binderUrl: 'http://127.0.0.1:9/' },
    healthProbe: false as const,
    launchTimeoutMs: 1000,
    protocol: 'v1' as const,
    runsDir: mkdtempSync(join(tmpdir(), 'rehearse-coord-')),
    thresholds: [],
    toolVersion: '0.0.0',
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    startDelayMs: 0,
    heartbeatTimeoutMs: 60_000,
    ...o,
  };
}

const plan2 = planArrivals(scenario);
const size = (shard: number) => shardPlan(plan2, shard, 2).arrivals.length;
const helloOf = (shard: number, planned = size(shard)): WorkerMessage => ({
  v: 1,
  shard,
  type: 'hello',
  shards: 2,
  planned,
  pid: 1,
  host: 'h',
  startAt: 0,
  clock: -10,
});
/** A worker that runs its whole shard and says done. */
const wholeShard = (shard: number): WorkerLine[] =>
  numbered([
    helloOf(shard),
    ...shardPlan(plan2, shard, 2).arrivals.map(
      (a): WorkerMessage => ({
        v: 1,
        shard,
        type: 'user-end',
        result: { id: a.id, outcome: 'completed', cellsRun: 1, kept: false },
      }),
    ),
    { v: 1, shard, type: 'done', status: 'completed', endedAt: 20_000 },
  ]);
const ok = { code: 0, signal: null };

describe('coordinator: losing workers', () => {
  it('a line that breaks the protocol loses that worker at once: killed, reason in its workers entry, run failed', async () => {
    const bad = numbered([helloOf(1)]);
    const { launcher, calls } = scriptedLauncher([
      { lines: wholeShard(0), exit: ok },
      { lines: [...bad, '{"v":1,"shard":1,"seq":1,"type":"interval"}'], afterLines: 'kill', exit: ok },
    ]);
    const res = await coordinate(coordOptions(launcher));
    expect(calls).toContain('kill 1');
    expect(res.summary.status).toBe('failed');
    expect(res.summary.workers?.[1]).toMatchObject({ state: 'lost', status: 'failed', reported: 0 });
    expect(res.summary.workers?.[1]?.detail).toBe(
      'protocol error: rec: Invalid input: expected object, received undefined',
    );
    expect(res.summary.workers?.[0]).toMatchObject({ state: 'done', status: 'completed', reported: size(0) });
  });

  it('a hello planning another number of users (a version mix-up) loses the worker', async () => {
    const { launcher, calls } = scriptedLauncher([
      { lines: wholeShard(0), exit: ok },
      { lines: numbered([helloOf(1, 99)]), afterLines: 'kill', exit: ok },
    ]);
    const res = await coordinate(coordOptions(launcher));
    expect(calls).toContain('kill 1');
    expect(res.summary.workers?.[1]?.detail).toBe(
      `protocol error: it plans 99 users, the coordinator ${size(1)}`,
    );
  });

  it('lines read again after a broken log stream count once; a gap in seq loses the worker', async () => {
    const w0 = wholeShard(0);
    const replayed = [...w0.slice(0, 3), ...w0.slice(1)]; // the stream re-followed from a little earlier
    const w1 = wholeShard(1);
    const gap = [...w1.slice(0, 1), ...w1.slice(2)]; // line 1 never arrived
    const { launcher } = scriptedLauncher([
      { lines: replayed, exit: ok },
      { lines: gap, afterLines: 'kill', exit: ok },
    ]);
    const res = await coordinate(coordOptions(launcher));
    expect(res.summary.workers?.[0]).toMatchObject({ state: 'done', reported: size(0) });
    expect(res.summary.users.completed).toBe(size(0));
    expect(res.summary.workers?.[1]?.detail).toBe(
      'protocol error: lines 1..1 never arrived (a rotated pod log?)',
    );
  });

  it('a silent worker is killed at the heartbeat timeout; one that said done but does not exit is killed after the grace', async () => {
    const { launcher, calls } = scriptedLauncher([
      { lines: wholeShard(0), afterLines: 'kill', exit: ok }, // done, then never exits
      { lines: numbered([helloOf(1)]), afterLines: 'kill', exit: ok }, // then silence
    ]);
    const res = await coordinate(coordOptions(launcher, { heartbeatTimeoutMs: 0, doneGraceMs: 0 }));
    expect(calls.filter((c) => c.startsWith('kill')).sort()).toEqual(['kill 0', 'kill 1']);
    expect(res.summary.workers?.[0]).toMatchObject({ state: 'done', status: 'completed' });
    expect(res.summary.workers?.[1]).toMatchObject({ state: 'lost', status: 'failed' });
    expect(res.summary.workers?.[1]?.detail).toMatch(/^no line for \d+ s \(heartbeat timeout\)$/);
  });

  it('no worker delivered any data: delivered is false (the CLI exits 1, not 99)', async () => {
    const { launcher } = scriptedLauncher([
      { lines: [], exit: { code: null, signal: null } },
      { lines: [], exit: { code: 1, signal: null } },
    ]);
    const res = await coordinate(
      coordOptions(launcher, { thresholds: parseThresholds(['session.failed count == 0']).thresholds }),
    );
    expect(res.delivered).toBe(false);
    expect(res.summary.status).toBe('failed');
    expect(res.summary.workers?.map((w) => w.detail)).toEqual([
      'ended before it finished',
      'exited with code 1 before it finished',
    ]);
  });
});

describe('coordinator: stop and abort', () => {
  it('a stop already requested before coordinate(): no worker is started, the record says aborted', async () => {
    const { launcher, calls } = scriptedLauncher([
      { lines: wholeShard(0), exit: ok },
      { lines: wholeShard(1), exit: ok },
    ]);
    const stop = new AbortController();
    stop.abort(new Error('interrupted (SIGINT)'));
    const res = await coordinate(coordOptions(launcher, { stop: stop.signal }));
    expect(calls).toEqual(['close']);
    expect(res.summary.status).toBe('aborted');
    expect(res.summary.stopReason).toContain('interrupted (SIGINT)');
    expect(res.summary.workers?.map((w) => [w.state, w.status, w.detail])).toEqual([
      ['lost', 'aborted', 'stopped before it started'],
      ['lost', 'aborted', 'stopped before it started'],
    ]);
    expect(res.delivered).toBe(false);
  });

  it('a stop during start(): the launcher gets an aborted signal and stopAll once the workers exist', async () => {
    const stop = new AbortController();
    const { launcher, calls, signals } = scriptedLauncher([
      {
        lines: numbered([helloOf(0)]),
        afterLines: 'stop',
        after: wholeShard(0)
          .slice(1)
          .map((l) => ({ ...l, seq: l.seq })),
        exit: ok,
      },
      { lines: numbered([helloOf(1)]), afterLines: 'stop', after: wholeShard(1).slice(1), exit: ok },
    ]);
    const start = launcher.start.bind(launcher);
    launcher.start = async (cfg, signal) => {
      stop.abort(new Error('interrupted (SIGINT)')); // Ctrl-C while the Job is being created
      return start(cfg, signal);
    };
    const res = await coordinate(coordOptions(launcher, { stop: stop.signal }));
    expect(signals[0]?.aborted).toBe(true);
    expect(calls.slice(0, 2)).toEqual(['start 2', 'stopAll']);
    expect(res.summary.status).toBe('aborted');
    expect(res.summary.workers?.map((w) => w.state)).toEqual(['done', 'done']);
  });

  it("one worker's rate limit stops every worker at once", async () => {
    const rate: WorkerMessage = {
      v: 1,
      shard: 0,
      type: 'event',
      ev: { type: 'stop', t: 5, reason: RATE_LIMIT_STOP },
    };
    const { launcher, calls } = scriptedLauncher([
      {
        lines: numbered([helloOf(0), rate]),
        afterLines: 'stop',
        after: wholeShard(0)
          .slice(1)
          .map((l, i) => ({ ...l, seq: i + 2 })),
        exit: ok,
      },
      // Worker 1 only ends once stopAll has been called: the run would hang if it were not.
      { lines: numbered([helloOf(1)]), afterLines: 'stop', after: wholeShard(1).slice(1), exit: ok },
    ]);
    const res = await coordinate(coordOptions(launcher));
    expect(calls).toContain('stopAll');
    expect(res.rateLimited).toBe(true);
    expect(res.summary.stopReason).toContain('Rate limit exceeded');
  });

  it('abort (second Ctrl-C): running workers are killed and reported aborted, not failed; cleanup is bounded', async () => {
    const abort = new AbortController();
    const { launcher, calls } = scriptedLauncher([
      { lines: numbered([helloOf(0)]), afterLines: 'kill', exit: ok },
      { lines: numbered([helloOf(1)]), afterLines: 'kill', exit: ok },
    ]);
    const start = launcher.start.bind(launcher);
    launcher.start = async (cfg, signal) => {
      const hs = await start(cfg, signal);
      setImmediate(() => abort.abort(new Error('aborted (SIGINT)')));
      return hs;
    };
    const cleanupSignals: AbortSignal[] = [];
    const res = await coordinate(
      coordOptions(launcher, {
        abort: abort.signal,
        cleanupLost: async (_users, signal) => {
          cleanupSignals.push(signal);
          return [];
        },
      }),
    );
    expect(calls.filter((c) => c.startsWith('kill')).sort()).toEqual(['kill 0', 'kill 1']);
    expect(res.summary.status).toBe('aborted');
    expect(res.summary.workers?.map((w) => [w.status, w.detail])).toEqual([
      ['aborted', 'killed by the coordinator on abort'],
      ['aborted', 'killed by the coordinator on abort'],
    ]);
    expect(res.summary.stopReason).not.toContain('SIGKILL');
  });
});
