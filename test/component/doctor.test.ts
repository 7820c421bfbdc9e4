/**
 * `rehearse provision doctor` against an in-process fake Kubernetes API server
 * (test/helpers/fake-kube-api.ts; no Kubernetes API server can run here) and a fake BinderHub
 * /health, both on 127.0.0.1 port 0. The plan is the Pythia fixture (default-worker 1..1, core
 * 1..1, user-m3-large 1..11).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { provisionDoctor } from '../../cli/commands/doctor.js';
import type { CliIO } from '../../cli/main.js';
import { InputError } from '../../core/errors.js';
import { runDoctor } from '../../provision/jetstream2/doctor.js';
import { type FakeKubeApi, type KubeObj, startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { node } from '../helpers/kube-fixtures.js';

const PLAN = join(import.meta.dirname, '../fixtures/provision/pythia.plan.yaml');
const NODES = '/api/v1/nodes';
const STATUS_CM = '/api/v1/namespaces/kube-system/configmaps/cluster-autoscaler-status';
const PLACEHOLDERS = '/api/v1/namespaces/binderhub/pods';

/** An autoscaler status fixture (fixtures/provision/autoscaler-status-*.json), written just now. */
function serveAutoscalerStatus(fixture: 'healthy' | 'broken'): void {
  const cm = JSON.parse(
    readFileSync(
      join(import.meta.dirname, `../fixtures/provision/autoscaler-status-${fixture}.json`),
      'utf8',
    ),
  ) as { data: { status: string } };
  const now = new Date().toISOString().replace('T', ' ').replace('Z', ' +0000 UTC');
  cm.data.status = cm.data.status.replace(/^time: .*$/m, `time: ${now}`);
  api.route('GET', STATUS_CM, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(cm));
  });
}

let api: FakeKubeApi;
let dir: string;
let binder: Server | undefined;
beforeEach(async () => {
  api = await startFakeKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'doctor-'));
});
afterEach(async () => {
  await api.close();
  if (binder) {
    binder.closeAllConnections();
    await new Promise((r) => binder?.close(r));
    binder = undefined;
  }
  rmSync(dir, { recursive: true, force: true });
});

const controlPlane: KubeObj = {
  ...node('pythia-binder-control-plane-x1', { group: 'unused', created: -9e7, readyAt: -8e7 }),
  metadata: {
    name: 'pythia-binder-control-plane-x1',
    labels: { 'node-role.kubernetes.io/control-plane': '', 'capi.stackhpc.com/component': 'control-plane' },
  },
};
const healthy = () => [
  controlPlane,
  node('default-worker-0', { group: 'default-worker', created: -9e7, readyAt: -8e7 }),
  node('core-0', { group: 'core', created: -9e7, readyAt: -8e7 }),
  node('user-0', { group: 'user-m3-large', created: -9e7, readyAt: -8e7 }),
  node('user-1', { group: 'user-m3-large', created: -9e7, readyAt: -8e7 }),
];

async function fakeBinder(status: number, body: unknown): Promise<string> {
  binder = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/health' ? body : { message: 'not found' }));
  });
  await new Promise<void>((r) => binder?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(binder.address() as AddressInfo).port}/`;
}

async function doctor(flags: Partial<Parameters<typeof provisionDoctor>[1]> = {}) {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => {
    out += String(d);
  });
  const io: CliIO = { stdout, stderr: new PassThrough(), env: {} };
  const code = await provisionDoctor(io, { kubeconfig: api.writeKubeconfig(join(dir, 'kc')), ...flags });
  return { code, out };
}

const HEALTH_OK = {
  ok: true,
  checks: [
    { service: 'Hub', ok: true },
    { service: 'Pod quota', ok: true, quota: null },
  ],
};

describe('provision doctor (fake Kubernetes API server, fake BinderHub)', () => {
  it('passes a cluster that matches the plan, with BinderHub healthy', async () => {
    api.set(NODES, healthy());
    api.set(PLACEHOLDERS, []);
    serveAutoscalerStatus('healthy');
    const { code, out } = await doctor({ plan: PLAN, binderUrl: await fakeBinder(200, HEALTH_OK) });
    expect(
      out
        .split('\n')
        .filter((l) => l.startsWith('ok  '))
        .map((l) => l.split(/\s+/)[1]),
    ).toEqual(['api', 'ready', 'labels', 'autoscaler', 'placeholders', 'binder']);
    expect(out).toContain('node groups default-worker: 1, core: 1, user-m3-large: 2');
    expect(out).toContain('user-m3-large 2/2 ready (min 1, max 11)');
    expect(code).toBe(0);
  });

  it("fails on the autoscaler's own status: a group capped below the plan, scale-up in backoff", async () => {
    api.set(NODES, healthy());
    api.set(PLACEHOLDERS, []);
    serveAutoscalerStatus('broken');
    const { code, out } = await doctor({ plan: PLAN });
    expect(out).toMatch(
      /^FAIL autoscaler +user-m3-large: maxSize 1 below the plan's 11; user-m3-large: scale-up in backoff \(timeout: /m,
    );
    expect(out).toContain('replace max_node_count=11');
    expect(api.requests.some((r) => r.path === STATUS_CM)).toBe(true);
    expect(code).toBe(1);
  });

  it('fails when no autoscaler writes a status', async () => {
    api.set(NODES, healthy());
    api.set(PLACEHOLDERS, []);
    const { code, out } = await doctor({ plan: PLAN });
    expect(out).toMatch(
      /^FAIL autoscaler +no ConfigMap kube-system\/cluster-autoscaler-status\n.*auto_scaling_enabled=true/m,
    );
    expect(code).toBe(1);
  });

  it('fails on a NotReady node, a node without its group label and a group over the plan', async () => {
    api.set(NODES, [
      ...healthy().filter((n) => n.metadata.name !== 'user-1'),
      node('user-1', { group: 'user-m3-large', created: -1000 }),
      node('core-1', { group: 'core', created: -9e7, readyAt: -8e7 }),
      {
        ...node('stray-0', { group: 'x', created: -9e7, readyAt: -8e7 }),
        metadata: { name: 'stray-0', labels: {} },
      },
    ]);
    const { code, out } = await doctor({ plan: PLAN, json: true });
    const report = JSON.parse(out) as {
      ok: boolean;
      checks: { name: string; ok: boolean; detail: string }[];
    };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === 'ready')?.detail).toBe('1 of 7 nodes not Ready: user-1');
    const labels = report.checks.find((c) => c.name === 'labels')?.detail ?? '';
    expect(labels).toContain('no capi.stackhpc.com/node-group label on stray-0');
    expect(labels).toContain('group core: 2 Ready nodes, plan says 1..1');
    expect(labels).not.toContain('group user-m3-large');
    expect(code).toBe(1);
  });

  it('reports failing BinderHub health checks', async () => {
    api.set(NODES, healthy());
    const url = await fakeBinder(503, {
      ok: false,
      checks: [
        { service: 'Hub', ok: false },
        { service: 'Pod quota', ok: true },
      ],
    });
    const { code, out } = await doctor({ binderUrl: url });
    expect(out).toMatch(/FAIL binder .*\/health answered 503; failing: Hub/);
    expect(code).toBe(1);
  });

  it('exits 3 when the API refuses to list nodes or BinderHub is unreachable', async () => {
    api.fail(NODES, 403);
    const { code, out } = await doctor();
    expect(out).toMatch(
      /FAIL api .*answered HTTP 403 to a node list\n.*ClusterRole with get, list, watch on nodes/,
    );
    expect(code).toBe(3);

    api.set(NODES, healthy());
    api.fail(NODES, 403, 0);
    const closed = await fakeBinder(200, HEALTH_OK);
    binder?.closeAllConnections();
    await new Promise((r) => binder?.close(r));
    binder = undefined;
    const down = await doctor({ binderUrl: closed });
    expect(down.out).toMatch(/FAIL binder .*unreachable \(ECONNREFUSED\)/);
    expect(down.code).toBe(3);
  });

  it('rejects an invalid plan file as bad input', async () => {
    const bad = join(dir, 'bad.plan.yaml');
    writeFileSync(bad, 'version: 1\ngroups: []\n');
    await expect(doctor({ plan: bad })).rejects.toBeInstanceOf(InputError);
  });

  it('reports an API server or BinderHub that never answers as unreachable once the timeout passes', async () => {
    // Both accept the connection and never answer.
    const never = () => {
      // no response: the request stays open until the client gives up
    };
    api.route('GET', NODES, never);
    binder = createServer(never);
    await new Promise<void>((r) => binder?.listen(0, '127.0.0.1', r));
    const binderUrl = `http://127.0.0.1:${(binder.address() as AddressInfo).port}/`;
    const checks = await runDoctor({
      kubeconfigPath: api.writeKubeconfig(join(dir, 'kc')),
      binderUrl,
      timeoutMs: 200,
    });
    expect(checks.map((c) => [c.name, c.ok, c.unreachable])).toEqual([
      ['api', false, true],
      ['binder', false, true],
    ]);
    expect(checks[0]?.detail).toMatch(/unreachable/);
  });

  it('reads the kubeconfig provision apply writes when --kubeconfig is not given', async () => {
    api.set(NODES, healthy());
    api.set(PLACEHOLDERS, []);
    serveAutoscalerStatus('healthy');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      api.writeKubeconfig(join(mkdirp(join(dir, '.rehearse', 'jetstream2')), 'jetstream2.kubeconfig'));
      const stdout = new PassThrough();
      let out = '';
      stdout.on('data', (d) => {
        out += String(d);
      });
      const code = await provisionDoctor({ stdout, stderr: new PassThrough(), env: {} }, {});
      expect(out).toMatch(/^ok {3}api/m);
      expect(code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });
});

function mkdirp(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}
