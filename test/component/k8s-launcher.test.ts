import { mkdtempSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, type V1Job } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coordinate } from '../../loadgen/distributed/coordinator.js';
import { K8sLauncher } from '../../loadgen/distributed/k8s-launcher.js';
import { formatLine, type WorkerLine, type WorkerMessage } from '../../loadgen/distributed/protocol.js';
import { shardPlan } from '../../loadgen/distributed/shard.js';
import { planArrivals } from '../../loadgen/plan/arrivals.js';
import { readLedger } from '../../loadgen/record/ledger.js';
import { parseScenario, scenarioHash } from '../../scenarios/load.js';
import { type FakeKubeApi, startFakeKubeApi } from '../helpers/fake-kube-api.js';

// The k8s launcher against the in-process fake Kubernetes API (127.0.0.1, port 0): it creates the
// ConfigMap, Secret and Indexed Job, follows each pod's log by the Job's labels, and deletes
// everything (Background propagation) at the end, also when a pod dies without finishing.
const NS = 'load';
const scenarioYaml = [
  'name: k8s',
  'seed: 1',
  'target: { kind: binderhub, url: "http://127.0.0.1:9/", tokenEnv: HUB_TOKEN }',
  'repo: gh/org/repo/HEAD',
  'cohorts: [{ name: a, users: 4, arrival: { kind: list, at: [0s, 1s, 2s, 3s] } }]',
  'session: { notebook: nb.ipynb, thinkTime: { median: 1s, p95: 2s }, duration: 5s }',
  '',
].join('\n');
const scenario = parseScenario(scenarioYaml, 'k8s.yaml');
const numbered = (ms: WorkerMessage[]): WorkerLine[] => ms.map((m, seq) => ({ ...m, seq }) as WorkerLine);
let api: FakeKubeApi;
let kc: KubeConfig;

beforeAll(async () => {
  api = await startFakeKubeApi();
  kc = new KubeConfig();
  kc.loadFromFile(api.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'rehearse-kube-')), 'config')));
});
afterAll(() => api.close());

const body = (req: IncomingMessage) =>
  new Promise<unknown>((resolve) => {
    let s = '';
    req.on('data', (d: Buffer) => {
      s += d.toString();
    });
    req.on('end', () => resolve(s ? JSON.parse(s) : undefined));
  });
const json = (res: ServerResponse, code: number, obj: unknown) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
};

/** Record the POSTed ConfigMap, Secret and Job (the Job answered with a uid), in order. */
function recordCreates(ns = NS) {
  const created: Record<string, unknown> & { order: string[] } = { order: [] };
  for (const [kind, path] of [
    ['ConfigMap', `/api/v1/namespaces/${ns}/configmaps`],
    ['Secret', `/api/v1/namespaces/${ns}/secrets`],
    ['Job', `/apis/batch/v1/namespaces/${ns}/jobs`],
  ] as const) {
    api.route('POST', path, async (req, res) => {
      const obj = (await body(req)) as V1Job;
      if (kind === 'Job') obj.metadata = { ...obj.metadata, uid: 'job-uid-1' };
      created[kind] = obj;
      created.order.push(kind);
      json(res, 201, obj);
    });
  }
  return created;
}

describe('K8sLauncher', () => {
  it('creates ConfigMap, Secret and Indexed Job, follows pod logs by index, deletes all; a dead pod is a lost shard', async () => {
    const created = recordCreates();
    const plan = planArrivals(scenario);
    const pods = [0, 1].map((i) => `job-pod-${i}`);
    api.route('GET', `/api/v1/namespaces/${NS}/pods`, (req, res) => {
      const sel = new URL(req.url ?? '', 'http://x').searchParams.get('labelSelector') ?? '';
      const index = /job-completion-index=(\d+)/.exec(sel)?.[1];
      const job = (created.Job as V1Job | undefined)?.metadata?.name;
      const items =
        index !== undefined && sel.includes(`job-name=${job}`)
          ? [{ metadata: { name: pods[Number(index)], namespace: NS }, status: { phase: 'Running' } }]
          : [];
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    });
    const lines = (shard: number, done: boolean): WorkerLine[] => {
      const s = shardPlan(plan, shard, 2);
      return numbered([
        {
          v: 1,
          shard,
          type: 'hello',
          shards: 2,
          planned: s.arrivals.length,
          pid: 7,
          host: pods[shard] ?? '',
          startAt: 0,
          clock: 0,
        },
        ...(done ? s.arrivals : s.arrivals.slice(0, 1)).map(
          (a): WorkerMessage => ({
            v: 1,
            shard,
            type: 'user-end',
            result: { id: a.id, outcome: 'completed', cellsRun: 1, kept: false },
          }),
        ),
        ...(done ? [{ v: 1, shard, type: 'done', status: 'completed', endedAt: 8000 } as WorkerMessage] : []),
      ]);
    };
    pods.forEach((pod, i) => {
      api.route('GET', `/api/v1/namespaces/${NS}/pods/${pod}/log`, (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(
          lines(i, i === 0)
            .map(formatLine)
            .join(''),
        );
      });
      const terminated =
        i === 0 ? { exitCode: 0, reason: 'Completed' } : { exitCode: 137, reason: 'OOMKilled' };
      api.route('GET', `/api/v1/namespaces/${NS}/pods/${pod}`, (_req, res) =>
        json(res, 200, {
          metadata: { name: pod, namespace: NS },
          status: {
            phase: i === 0 ? 'Succeeded' : 'Failed',
            containerStatuses: [{ name: 'worker', state: { terminated } }],
          },
        }),
      );
    });
    const deleted: string[] = [];
    api.route('DELETE', `/api/v1/namespaces/${NS}/pods/${pods[1]}`, (_req, res) => json(res, 200, {}));
    const jobPath = () => `/apis/batch/v1/namespaces/${NS}/jobs/${(created.Job as V1Job).metadata?.name}`;
    const launcher = new K8sLauncher({
      namespace: NS,
      image: 'reg.example/rehearse:1',
      workers: 2,
      token: 'the-token-value',
      activeDeadlineSeconds: 600,
      kubeConfig: kc,
      pollMs: 20,
      podStartTimeoutMs: 30_000,
    });
    const origStart = launcher.start.bind(launcher);
    launcher.start = async (config, signal) => {
      const name = `rehearse-${config.runId}`.slice(0, 52).replace(/-+$/, '');
      for (const [kind, path] of [
        ['Job', `/apis/batch/v1/namespaces/${NS}/jobs/${name}`],
        ['ConfigMap', `/api/v1/namespaces/${NS}/configmaps/${name}`],
        ['Secret', `/api/v1/namespaces/${NS}/secrets/${name}-token`],
      ] as const) {
        api.route('DELETE', path, (req, res) => {
          deleted.push(
            `${kind} ${new URL(req.url ?? '', 'http://x').searchParams.get('propagationPolicy') ?? ''}`.trim(),
          );
          json(res, 200, { kind: 'Status', status: 'Success' });
        });
      }
      return origStart(config, signal);
    };
    const runsDir = mkdtempSync(join(tmpdir(), 'rehearse-k8s-runs-'));
    const res = await coordinate({
      loaded: {
        scenario,
        sourcePath: 'k8s.yaml',
        baseDir: '.',
        hash: scenarioHash(scenario),
        notebookPath: 'nb.ipynb',
      },
      scenarioYaml,
      cells: [{ index: 0, source: '1+1' }],
      workers: 2,
      launcher,
      target: {
        kind: 'binderhub',
        binderUrl: 'http://127.0.0.1:9/',
        spec: 'gh/org/repo/HEAD',
        tokenEnv: 'HUB_TOKEN',
      },
      recordedTarget: { kind: 'binderhub', binderUrl: 'http://127.0.0.1:9/' },
      healthProbe: false,
      launchTimeoutMs: 1000,
      protocol: 'v1',
      runsDir,
      runId: 'test-run-1',
      thresholds: [],
      toolVersion: '0.0.0',
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      startDelayMs: 0,
      heartbeatTimeoutMs: 30_000,
    });
    const job = created.Job as V1Job;
    expect(job.metadata?.name).toBe('rehearse-test-run-1');
    expect(job.spec?.completionMode).toBe('Indexed');
    expect(job.spec?.backoffLimitPerIndex).toBe(0);
    expect(job.spec?.backoffLimit).toBeUndefined();
    expect(job.spec?.parallelism).toBe(2);
    expect((created.Secret as { stringData: unknown }).stringData).toEqual({ token: 'the-token-value' });
    expect(JSON.stringify(created.ConfigMap)).not.toContain('the-token-value');
    // The Job first, then its ConfigMap and Secret owned by it (garbage-collected with the Job).
    expect(created.order).toEqual(['Job', 'ConfigMap', 'Secret']);
    const owner = [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        name: 'rehearse-test-run-1',
        uid: 'job-uid-1',
        controller: false,
        blockOwnerDeletion: false,
      },
    ];
    expect((created.ConfigMap as V1Job).metadata?.ownerReferences).toEqual(owner);
    expect((created.Secret as V1Job).metadata?.ownerReferences).toEqual(owner);
    const logs = api.requests.filter((r) => r.path.endsWith('/log'));
    expect(logs.map((r) => [r.path, r.query.follow, r.query.container])).toEqual(
      expect.arrayContaining([
        [`/api/v1/namespaces/${NS}/pods/job-pod-0/log`, 'true', 'worker'],
        [`/api/v1/namespaces/${NS}/pods/job-pod-1/log`, 'true', 'worker'],
      ]),
    );
    // The Secret (the token) is deleted first.
    expect(deleted).toEqual(['Secret', 'Job Background', 'ConfigMap']);
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path === jobPath())).toBe(true);
    const s1 = shardPlan(plan, 1, 2).arrivals.length;
    expect(res.lostUsers).toBe(s1 - 1);
    expect(res.summary.workers?.map((w) => [w.where, w.state, w.reported])).toEqual([
      ['pod job-pod-0', 'done', 2],
      ['pod job-pod-1', 'lost', 1],
    ]);
    expect(res.summary.workers?.[1]?.detail).toContain('exited with code 137');
    expect(res.summary.status).toBe('failed');
    // The ledger named each object before it was created and says each is gone.
    const ledger = readLedger(res.dir);
    expect(ledger.entries.map((e) => [e.key, e.state])).toEqual([
      [`k8s:${NS}/Job/rehearse-test-run-1`, 'gone'],
      [`k8s:${NS}/ConfigMap/rehearse-test-run-1`, 'gone'],
      [`k8s:${NS}/Secret/rehearse-test-run-1-token`, 'gone'],
    ]);
  }, 30_000);
});

/** Coordinate a one-worker run through the K8sLauncher against the fake API. */
async function runOne(ns: string, runId: string, launcherOpts: { podStartTimeoutMs?: number } = {}) {
  const one = parseScenario(
    scenarioYaml.replace('users: 4', 'users: 1').replace('[0s, 1s, 2s, 3s]', '[0s]'),
    'k8s.yaml',
  );
  const launcher = new K8sLauncher({
    namespace: ns,
    image: 'reg.example/rehearse:1',
    workers: 1,
    token: 'the-token-value',
    activeDeadlineSeconds: 600,
    kubeConfig: kc,
    pollMs: 20,
    podStartTimeoutMs: launcherOpts.podStartTimeoutMs ?? 30_000,
    apiTimeoutMs: 5_000,
  });
  return coordinate({
    loaded: {
      scenario: one,
      sourcePath: 'k8s.yaml',
      baseDir: '.',
      hash: scenarioHash(one),
      notebookPath: 'nb.ipynb',
    },
    scenarioYaml,
    cells: [{ index: 0, source: '1+1' }],
    workers: 1,
    launcher,
    target: {
      kind: 'binderhub',
      binderUrl: 'http://127.0.0.1:9/',
      spec: 'gh/org/repo/HEAD',
      tokenEnv: 'HUB_TOKEN',
    },
    recordedTarget: { kind: 'binderhub', binderUrl: 'http://127.0.0.1:9/' },
    healthProbe: false,
    launchTimeoutMs: 1000,
    protocol: 'v1',
    runsDir: mkdtempSync(join(tmpdir(), 'rehearse-k8s-runs-')),
    runId,
    thresholds: [],
    toolVersion: '0.0.0',
    stop: new AbortController().signal,
    abort: new AbortController().signal,
    startDelayMs: 0,
    heartbeatTimeoutMs: 30_000,
  });
}

/** DELETE routes for the run's objects; returns what was deleted, in order. */
function recordDeletes(ns: string, name: string): string[] {
  const deleted: string[] = [];
  for (const [kind, path] of [
    ['Job', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`],
    ['ConfigMap', `/api/v1/namespaces/${ns}/configmaps/${name}`],
    ['Secret', `/api/v1/namespaces/${ns}/secrets/${name}-token`],
  ] as const) {
    api.route('DELETE', path, (_req, res) => {
      deleted.push(kind);
      json(res, 200, { kind: 'Status', status: 'Success' });
    });
  }
  return deleted;
}

const runningPod = (ns: string, name: string) => ({
  metadata: { name, namespace: ns },
  status: { phase: 'Running', containerStatuses: [{ name: 'worker', state: { running: {} } }] },
});

describe('K8sLauncher faults', () => {
  it('a log stream cut mid-run is followed again from before its last line; lines seen twice count once', async () => {
    const ns = 'cut1';
    recordCreates(ns);
    const deleted = recordDeletes(ns, 'rehearse-cut-1');
    const pod = 'cut-pod-0';
    api.route('GET', `/api/v1/namespaces/${ns}/pods`, (_req, res) =>
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [runningPod(ns, pod)] }),
    );
    const lines = numbered([
      { v: 1, shard: 0, type: 'hello', shards: 1, planned: 1, pid: 7, host: pod, startAt: 0, clock: 0 },
      { v: 1, shard: 0, type: 'heartbeat', t: 1000, flushedUntil: 0 },
      {
        v: 1,
        shard: 0,
        type: 'user-end',
        result: { id: 'u0000', outcome: 'completed', cellsRun: 1, kept: false },
      },
      { v: 1, shard: 0, type: 'done', status: 'completed', endedAt: 3000 },
    ]).map(formatLine);
    let follows = 0;
    let terminated = false;
    api.route('GET', `/api/v1/namespaces/${ns}/pods/${pod}/log`, (_req, res) => {
      follows += 1;
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (follows === 1) {
        res.write(lines.slice(0, 2).join('')); // then the connection breaks (no end of the chunked body)
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      terminated = true;
      res.end(lines.join('')); // from sinceTime: the first lines again, then the rest
    });
    api.route('GET', `/api/v1/namespaces/${ns}/pods/${pod}`, (_req, res) =>
      json(res, 200, {
        metadata: { name: pod, namespace: ns },
        status: {
          phase: terminated ? 'Succeeded' : 'Running',
          containerStatuses: [
            {
              name: 'worker',
              state: terminated ? { terminated: { exitCode: 0, reason: 'Completed' } } : { running: {} },
            },
          ],
        },
      }),
    );
    const res = await runOne(ns, 'cut-1');
    const logs = api.requests.filter((r) => r.path === `/api/v1/namespaces/${ns}/pods/${pod}/log`);
    expect(logs).toHaveLength(2);
    expect(logs[0]?.query.sinceTime).toBeUndefined();
    expect(logs[1]?.query.sinceTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.summary.workers?.[0]).toMatchObject({ state: 'done', status: 'completed', reported: 1 });
    expect(res.summary.users.completed).toBe(1);
    expect(res.summary.status).toBe('completed');
    expect(deleted).toEqual(['Secret', 'Job', 'ConfigMap']);
  }, 30_000);

  it('a log stream that keeps breaking while the pod runs: the worker is lost and its pod deleted, coordinate() returns, objects deleted', async () => {
    const ns = 'cut2';
    recordCreates(ns);
    const deleted = recordDeletes(ns, 'rehearse-cut-2');
    const pod = 'cut-pod-1';
    api.route('GET', `/api/v1/namespaces/${ns}/pods`, (_req, res) =>
      json(res, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [runningPod(ns, pod)] }),
    );
    const hello = formatLine(
      numbered([
        { v: 1, shard: 0, type: 'hello', shards: 1, planned: 1, pid: 7, host: pod, startAt: 0, clock: 0 },
      ])[0] as WorkerLine,
    );
    api.route('GET', `/api/v1/namespaces/${ns}/pods/${pod}/log`, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(hello);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    api.route('GET', `/api/v1/namespaces/${ns}/pods/${pod}`, (_req, res) =>
      json(res, 200, runningPod(ns, pod)),
    );
    const podDeletes: string[] = [];
    api.route('DELETE', `/api/v1/namespaces/${ns}/pods/${pod}`, (req, res) => {
      podDeletes.push(new URL(req.url ?? '', 'http://x').searchParams.get('gracePeriodSeconds') ?? '');
      json(res, 200, {});
    });
    const res = await runOne(ns, 'cut-2');
    expect(res.summary.workers?.[0]).toMatchObject({ state: 'lost', status: 'failed', reported: 0 });
    expect(res.summary.workers?.[0]?.detail).toBe(
      `its log ended 6 times while pod ${pod} still ran before it finished`,
    );
    expect(podDeletes).toEqual(['0']);
    expect(deleted).toEqual(['Secret', 'Job', 'ConfigMap']);
    expect(res.delivered).toBe(false);
  }, 30_000);

  it('a pod still Pending at the deadline is deleted by its labels and reported with its waiting reason', async () => {
    const ns = 'pend';
    recordCreates(ns);
    const deleted = recordDeletes(ns, 'rehearse-pend-1');
    api.route('GET', `/api/v1/namespaces/${ns}/pods`, (_req, res) =>
      json(res, 200, {
        kind: 'PodList',
        apiVersion: 'v1',
        metadata: {},
        items: [
          {
            metadata: { name: 'pend-pod', namespace: ns },
            status: {
              phase: 'Pending',
              containerStatuses: [
                {
                  name: 'worker',
                  state: {
                    waiting: {
                      reason: 'ImagePullBackOff',
                      message: 'Back-off pulling image "reg.example/rehearse:1"',
                    },
                  },
                },
              ],
            },
          },
        ],
      }),
    );
    const collectionDeletes: string[] = [];
    api.route('DELETE', `/api/v1/namespaces/${ns}/pods`, (req, res) => {
      collectionDeletes.push(new URL(req.url ?? '', 'http://x').searchParams.get('labelSelector') ?? '');
      json(res, 200, { kind: 'Status', status: 'Success' });
    });
    const res = await runOne(ns, 'pend-1', { podStartTimeoutMs: 200 });
    expect(collectionDeletes).toEqual([
      'job-name=rehearse-pend-1,batch.kubernetes.io/job-completion-index=0',
    ]);
    expect(res.summary.workers?.[0]?.detail).toBe(
      'its pod never ran: Pending (ImagePullBackOff: Back-off pulling image "reg.example/rehearse:1") before it finished',
    );
    expect(res.delivered).toBe(false);
    expect(deleted).toEqual(['Secret', 'Job', 'ConfigMap']);
  }, 30_000);
});
