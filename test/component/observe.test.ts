/**
 * The cluster observer against an in-process fake Kubernetes API server (test/helpers/fake-kube-api.ts,
 * node:http on 127.0.0.1 port 0): no Kubernetes API server can run here, so list/watch, 410 Gone
 * (as a watch ERROR event and as HTTP 410), reconnects, RBAC refusals, a missing metrics API and a
 * server that never answers are all played by the fake, with realistic objects
 * (test/helpers/kube-fixtures.ts). The client side is the real @kubernetes/client-node 1.4.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ObserverOptions, startObserver } from '../../loadgen/observe/observer.js';
import { readObserverRecord, writeObserverRecord } from '../../loadgen/record/cluster.js';
import type { ClusterTimeline } from '../../reports/specs/cluster-timeline.js';
import { type FakeKubeApi, startFakeKubeApi, writeKubeconfig } from '../helpers/fake-kube-api.js';
import { iso, MSG, NS, node, podEvent, T0, userPod } from '../helpers/kube-fixtures.js';

const NODES = '/api/v1/nodes';
const PODS = `/api/v1/namespaces/${NS}/pods`;
const EVENTS = `/api/v1/namespaces/${NS}/events`;
const METRICS = `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods`;

let api: FakeKubeApi;
let dir: string;
beforeEach(async () => {
  api = await startFakeKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'observe-'));
  api.set(NODES, [
    node('core-0', { group: 'core', created: -86_400_000, readyAt: -86_300_000 }),
    node('user-0', { group: 'user-m3-large', created: -86_400_000, readyAt: -86_300_000 }),
  ]);
  api.set(PODS, [userPod('alice', { created: -5000, node: 'user-0', scheduledAt: -4000, readyAt: -1000 })]);
  api.set(EVENTS, []);
});
afterEach(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(what: string, cond: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const count = (path: string, watch: boolean) =>
  api.requests.filter((r) => r.path === path && r.watch === watch).length;
const watchesOf = (path: string) => api.requests.filter((r) => r.path === path && r.watch);

function observe(extra: Partial<ObserverOptions> = {}) {
  const warnings: string[] = [];
  const started = Date.now();
  const observer = startObserver({
    kubeconfigPath: api.writeKubeconfig(join(dir, 'kubeconfig')),
    namespace: NS,
    now: () => Date.now() - started,
    runStartWallMs: T0,
    onWarning: (w) => warnings.push(w),
    sampleEveryMs: 20,
    metricsEveryMs: 20,
    backoff: { initialMs: 20, maxMs: 100, maxFailures: 4 },
    stopTimeoutMs: 2000,
    ...extra,
  });
  return { observer, warnings };
}

describe('cluster observer (fake Kubernetes API server)', () => {
  it('relists after a 410 Gone watch event and keeps what changed meanwhile', async () => {
    const { observer, warnings } = observe();
    await until('pod watch', () => api.openWatches(PODS) === 1);
    const firstWatchRv = Number(watchesOf(PODS)[0]?.query.resourceVersion);
    // The apiserver compacts: the open watch gets ERROR 410 and ends; bob's pod appears meanwhile.
    api.expire(PODS);
    api.set(PODS, [
      userPod('alice', { created: -5000, node: 'user-0', scheduledAt: -4000, readyAt: -1000 }),
      userPod('bob', { created: 4000 }),
    ]);
    await until('relist and rewatch', () => count(PODS, false) === 2 && api.openWatches(PODS) === 1);
    const rewatchRv = Number(watchesOf(PODS)[1]?.query.resourceVersion);
    expect(rewatchRv).toBeGreaterThan(firstWatchRv);
    // Live changes after the reconnect reach the observer through the new watch.
    api.emit(
      PODS,
      'MODIFIED',
      userPod('bob', { created: 4000, node: 'user-0', scheduledAt: 9000, readyAt: 12_000 }),
    );
    api.emit(
      EVENTS,
      'ADDED',
      podEvent('Scheduled', userPod('bob', { created: 4000 }), 9000, MSG.scheduled('jupyter-bob', 'user-0')),
    );
    await until('bob ready seen', () => observer.snapshot().launches.some((l) => l.readyAt === 12_000));
    const result = await observer.stop();
    expect(warnings).toEqual([expect.stringContaining('metrics.k8s.io is not served by this cluster (404)')]);
    const bob = result.launches.find((l) => l.hubUser === 'bob');
    expect(bob).toMatchObject({
      node: 'user-0',
      scheduledAt: 9000,
      readyAt: 12_000,
      phases: { schedule: 5000, total: 8000 },
    });
    expect(result.summary.usersPerNode).toEqual({ max: 2, byGroup: { 'user-m3-large': 2 } });
    await until(
      'all watches closed',
      () => api.openWatches(PODS) + api.openWatches(NODES) + api.openWatches(EVENTS) === 0,
    );
  });

  it('relists after an HTTP 410 on watch, and resumes from the last resourceVersion after a normal close', async () => {
    api.scriptWatch(NODES, [{ httpStatus: 410 }]);
    const { observer } = observe();
    await until('node rewatch', () => count(NODES, false) === 2 && api.openWatches(NODES) === 1);
    await until('event watch', () => api.openWatches(EVENTS) === 1);
    // The server ends the event watch (its timeoutSeconds); an event written before the client is
    // back must come from the watch cache, not a relist.
    api.closeWatches(EVENTS);
    api.emit(
      EVENTS,
      'ADDED',
      podEvent('TriggeredScaleUp', userPod('carol', { created: 30_000 }), 31_000, MSG.scaleUp),
    );
    api.emit(NODES, 'ADDED', node('user-1', { group: 'user-m3-large', created: 58_000 }));
    api.emit(NODES, 'MODIFIED', node('user-1', { group: 'user-m3-large', created: 58_000, readyAt: 88_000 }));
    await until('event rewatch', () => count(EVENTS, true) === 2 && api.openWatches(EVENTS) === 1);
    await until('scale-up and node seen', () => {
      const s = observer.snapshot();
      return s.summary.scaleUps === 1 && s.nodes.length === 1;
    });
    const result = await observer.stop();
    expect(count(EVENTS, false)).toBe(1);
    expect(Number(watchesOf(EVENTS)[1]?.query.resourceVersion)).toBeGreaterThan(0);
    expect(result.summary.scaleUps).toBe(1);
    expect(result.nodes).toEqual([
      { node: 'user-1', group: 'user-m3-large', createdAt: 58_000, readyAt: 88_000, ms: 30_000 },
    ]);
    expect(result.samples.at(-1)?.nodes).toEqual({ core: 1, 'user-m3-large': 2 });
    // The record round-trips, and its samples are what the report's cluster chart takes.
    writeObserverRecord(dir, result);
    const back = readObserverRecord(dir);
    expect(back).toEqual(JSON.parse(JSON.stringify(result)));
    const timeline: ClusterTimeline = { samples: back?.samples ?? [] };
    expect(timeline.samples.length).toBeGreaterThan(0);
  });

  it('degrades with RBAC hints on 403, and reads peak memory from metrics.k8s.io', async () => {
    api.fail(NODES, 403);
    api.set(METRICS, [
      {
        metadata: { name: 'jupyter-alice', namespace: NS },
        timestamp: iso(0),
        window: '15s',
        containers: [{ name: 'notebook', usage: { cpu: '250m', memory: '500Mi' } }],
      },
    ]);
    const { observer, warnings } = observe();
    await until('first metrics poll', () => count(METRICS, false) >= 1);
    api.set(METRICS, [
      {
        metadata: { name: 'jupyter-alice', namespace: NS },
        timestamp: iso(1),
        window: '15s',
        containers: [
          { name: 'notebook', usage: { cpu: '1500m', memory: '812Mi' } },
          { name: 'sidecar', usage: { cpu: '1m', memory: '12Mi' } },
        ],
      },
    ]);
    const polled = count(METRICS, false);
    await until('two more metrics polls', () => count(METRICS, false) >= polled + 2);
    const result = await observer.stop();
    expect(warnings).toEqual([
      expect.stringMatching(
        /forbidden to list\/watch nodes \(403\); needs a ClusterRole with get, list, watch on nodes/,
      ),
    ]);
    expect(count(NODES, false)).toBe(1); // 403 is not retried
    expect(result.summary.metrics).toBe('available');
    expect(result.summary.peakMemoryPerUser).toEqual({
      n: 1,
      median: 824 * 1024 ** 2,
      p95: 824 * 1024 ** 2,
      max: 824 * 1024 ** 2,
    });
    expect(result.launches[0]?.peakCpuCores).toBe(1.501);
    expect(result.warnings).toEqual(warnings);
  });

  it('never fails the run: a missing kubeconfig, rejected credentials', async () => {
    const missing = observe({ kubeconfigPath: join(dir, 'nope.yaml') });
    const r1 = await missing.observer.stop();
    expect(missing.warnings[0]).toMatch(/cluster observer off: cannot load kubeconfig .*nope\.yaml/);
    expect(r1.samples).toHaveLength(1);

    // An expired token: every request is answered 401, the loops stop at once (no retry storm).
    const kubeconfigPath = writeKubeconfig(join(dir, 'kc-expired'), {
      server: api.url,
      token: 'expired-token',
    });
    const bad = observe({ kubeconfigPath });
    await until('401 warnings', () => bad.warnings.length >= 4);
    const r2 = await bad.observer.stop();
    expect(bad.warnings.filter((w) => /rejected the kubeconfig's credentials \(401\)/.test(w))).toHaveLength(
      3,
    );
    expect(api.requests.filter((r) => !r.watch)).toHaveLength(4); // one list each of nodes, pods, events; one metrics read
    expect(r2.summary.metrics).toBe('forbidden');
  });

  it('stop() ends every request quickly, also a list the server never answers', async () => {
    api.route('GET', EVENTS, () => undefined); // never answers
    api.scriptWatch(PODS, [{ waitMs: 60_000 }]);
    const { observer, warnings } = observe({ stopTimeoutMs: 3000 });
    await until('pod watch', () => api.openWatches(PODS) === 1);
    await until('event list sent', () => count(EVENTS, false) === 1);
    await observer.stop();
    // Had stop() waited out its 3 s bound for the unanswered list, it would say "did not end".
    expect(warnings.filter((w) => /did not end/.test(w))).toEqual([]);
    await until('server sees the watches closed', () => api.openWatches(PODS) + api.openWatches(NODES) === 0);
  });
});
