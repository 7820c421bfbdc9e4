import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../loadgen/clients/hub.js';
import { readRecord } from '../../loadgen/record/reader.js';
import type { RunSummary } from '../../loadgen/record/types.js';
import { rehearseChild } from '../helpers/cli-child.js';
import { startFakeKubeApi } from '../helpers/fake-kube-api.js';
import { NS, node } from '../helpers/kube-fixtures.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// `rehearse run` end to end against the real local stack (JupyterHub, jupyter-server, ipykernel,
// Dask): the CLI as a child process, a local target started by the test so that "the hub is
// empty afterwards" means the run cleaned up, not that the stack went away.
const NOTEBOOK = fileURLToPath(new URL('../../scenarios/notebooks/dask-xarray-intro.ipynb', import.meta.url));
describeEachStack('run-local', (stack) => {
  let t: TestStack;
  let dir: string;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 2 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-run-'));
  });

  afterAll(async () => {
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  function scenario(name: string, body: string[]): string {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'seed: 3',
        'target: { kind: local }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        ...body,
        '',
      ].join('\n'),
    );
    return file;
  }

  const hubUsers = () => new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();

  describe('rehearse run on the local target', () => {
    it('a 4-user burst runs the whole notebook; outcome counts are exact; the hub is empty afterwards', async () => {
      const file = scenario('burst4', [
        'cohorts: [{ name: class, users: 4, arrival: { kind: burst, over: 4s } }]',
        // On debian13 the notebook's anomaly cell takes ~30 s for 4 users on 2 cores (xarray 2025's groupby
        // arithmetic makes 1,095 chunks where xarray 2023 made 36): the session is long enough for it.
        `session: { notebook: ${NOTEBOOK}, thinkTime: { median: 500ms, p95: 1s }, duration: ${stack === 'debian13' ? '120s' : '50s'} }`,
        'slo: ["launch.failed rate < 1%", "cell.failed rate == 0", "session.failed count == 0"]',
      ]);
      const runs = join(dir, 'runs');
      const r = rehearseChild(['run', file, '--json', '--out', runs, '--state-dir', t.stack.stateDir]);
      const code = await r.code;
      expect(code, r.stderr()).toBe(0);
      const summary = JSON.parse(r.stdout()) as RunSummary;
      expect(summary.users).toEqual({ planned: 4, arrived: 4, late: 0, completed: 4, failed: 0 });
      expect(summary.rates['launch.failed']).toEqual({ hits: 0, total: 4, rate: 0 });
      expect(summary.trends['launch.ready']?.count).toBe(4);
      for (let cell = 0; cell < 8; cell++) expect(summary.trends[`cell.exec{cell=${cell}}`]?.count).toBe(4);
      expect(summary.verdict).toBe('pass');
      expect(summary.partial).toBe(false);
      expect(await hubUsers()).toEqual([]);
      const [id] = readdirSync(runs);
      const record = readRecord(join(runs, id as string));
      expect(record.partial).toBe(false);
      expect(record.events.filter((e) => e.type === 'user-end')).toHaveLength(4);
      expect(JSON.stringify(record.meta)).not.toContain(t.hubToken);
    }, 300_000);

    it('with --kubeconfig the cluster observer writes cluster.json and the report draws it', async () => {
      // The hub here is the local stack; its "cluster" is the in-process fake Kubernetes API
      // (test/helpers/fake-kube-api.ts): no Kubernetes API server can run on this machine.
      const api = await startFakeKubeApi();
      try {
        api.set('/api/v1/nodes', [
          node('core-0', { group: 'core', created: -86_400_000, readyAt: -86_300_000 }),
          node('user-0', { group: 'user-m3-large', created: -86_400_000, readyAt: -86_300_000 }),
          node('user-1', { group: 'user-m3-large', created: -60_000 }),
        ]);
        api.set(`/api/v1/namespaces/${NS}/pods`, []);
        api.set(`/api/v1/namespaces/${NS}/events`, []);
        const nb = join(dir, 'observed.ipynb');
        writeNotebook(nb, '1+1');
        const file = scenario('observed', [
          'cohorts: [{ name: one, users: 1, arrival: { kind: list, at: [0s] } }]',
          `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 2s }`,
        ]);
        const kubeconfig = api.writeKubeconfig(join(dir, 'kubeconfig'));
        const bad = rehearseChild([
          'run',
          file,
          '--out',
          join(dir, 'runs-obs-bad'),
          '--kubeconfig',
          kubeconfig,
        ]);
        expect(await bad.code).toBe(2);
        expect(bad.stderr()).toContain('--kubeconfig needs --namespace');

        const runs = join(dir, 'runs-obs');
        const args = ['--kubeconfig', kubeconfig, '--namespace', NS, '--state-dir', t.stack.stateDir];
        const r = rehearseChild(['run', file, '--out', runs, ...args]);
        expect(await r.code, r.stderr()).toBe(0);
        const record = readRecord(join(runs, readdirSync(runs)[0] as string));
        expect(record.cluster?.namespace).toBe(NS);
        expect(record.cluster?.samples.length).toBeGreaterThan(0);
        // user-1 exists but is not Ready: one Ready user node.
        expect(record.cluster?.samples.at(-1)?.nodes).toEqual({ core: 1, 'user-m3-large': 1 });
        expect(record.cluster?.summary.metrics).toBe('absent'); // the fake serves no metrics API
        expect(api.requests.some((q) => q.path === '/api/v1/nodes' && q.watch)).toBe(true);

        const rep = rehearseChild(['report', record.dir]);
        expect(await rep.code, rep.stderr()).toBe(0);
        const html = readFileSync(join(record.dir, 'report.html'), 'utf8');
        const cluster = html.slice(html.indexOf('id="cluster"'));
        expect(cluster).toContain('<svg');
        expect(cluster).toContain('most users on one node 0');
      } finally {
        await api.close();
      }
    }, 120_000);

    it('exits 99 when a threshold cannot be met', async () => {
      const nb = join(dir, 'one.ipynb');
      writeNotebook(nb, '1+1');
      const file = scenario('impossible', [
        'cohorts: [{ name: one, users: 1, arrival: { kind: list, at: [0s] } }]',
        `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 1s }`,
        'slo: ["launch.ready p(95) < 1ms"]',
      ]);
      const r = rehearseChild(['run', file, '--out', join(dir, 'runs99'), '--state-dir', t.stack.stateDir]);
      expect(await r.code, r.stderr()).toBe(99);
      expect(r.stdout()).toContain('FAIL');
      expect(await hubUsers()).toEqual([]);
    }, 120_000);

    it('Ctrl-C mid-run leaves no server or user on the hub and a readable partial record', async () => {
      const nb = join(dir, 'slow.ipynb');
      writeNotebook(nb, 'import time\ntime.sleep(300)');
      const file = scenario('interrupted', [
        'cohorts: [{ name: class, users: 3, arrival: { kind: list, at: [0s, 1s, 120s] } }]',
        `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 10m }`,
      ]);
      const runs = join(dir, 'runs-int');
      const r = rehearseChild(['run', file, '--out', runs, '--state-dir', t.stack.stateDir]);
      // Wait (bounded) until two users hold servers, then interrupt.
      const deadline = Date.now() + 90_000;
      let ready = 0;
      while (Date.now() < deadline && ready < 2) {
        await new Promise((res) => setTimeout(res, 500));
        ready = (await hubUsers()).filter((u) => Object.values(u.servers ?? {}).some((s) => s.ready)).length;
      }
      expect(ready).toBe(2);
      await new Promise((res) => setTimeout(res, 2000)); // let the cells start
      r.kill('SIGINT');
      expect(await r.code, r.stderr()).toBe(1);
      expect(await hubUsers()).toEqual([]);
      const [id] = readdirSync(runs);
      const record = readRecord(join(runs, id as string));
      expect(record.partial).toBe(true);
      expect(record.summary.status).toBe('aborted');
      expect(record.summary.users.planned).toBe(3);
      expect(record.summary.users.arrived).toBe(2);
    }, 180_000);

    it('runs against a plain JupyterHub (REST spawn, hub-authenticated single-user servers) and removes its users', async () => {
      const nb = join(dir, 'hub.ipynb');
      writeNotebook(nb, 'print(6 * 7)');
      const file = join(dir, 'hub.yaml');
      writeFileSync(
        file,
        [
          'name: plainhub',
          `target: { kind: jupyterhub, url: "${t.stack.state.hubUrl}", tokenEnv: REHEARSE_TEST_HUB_TOKEN }`,
          'repo: gh/rehearse-examples/dask-intro/HEAD',
          'cohorts: [{ name: class, users: 2, arrival: { kind: list, at: [0s, 500ms] } }]',
          `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 15s }`,
          'slo: ["session.failed count == 0"]',
          '',
        ].join('\n'),
      );
      const r = rehearseChild(['run', file, '--json', '--out', join(dir, 'runs-hub')], {
        env: {
          REHEARSE_TEST_HUB_TOKEN: t.hubToken,
        },
      });
      expect(await r.code, r.stderr()).toBe(0);
      const summary = JSON.parse(r.stdout()) as RunSummary;
      expect(summary.users).toMatchObject({ planned: 2, completed: 2, failed: 0 });
      expect(summary.trends['cell.exec']?.count).toBe(2);
      expect(await hubUsers()).toEqual([]);
      expect(r.stdout() + r.stderr()).not.toContain(t.hubToken);
    }, 120_000);
  });
});
