import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubClient } from '../../loadgen/clients/hub.js';
import { readRecord } from '../../loadgen/record/reader.js';
import type { RunSummary } from '../../loadgen/record/types.js';
import { rehearseChild } from '../helpers/cli-child.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

describeEachStack('run-distributed', (stack) => {
  // `rehearse run --workers local:N` end to end against the real local stack: N worker processes,
  // one coordinator, one merged record. Compared with a one-process run of the same plan.
  let t: TestStack;
  let dir: string;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 1 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-dist-'));
  });

  afterAll(async () => {
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  function scenario(name: string, body: string[]): string {
    const file = join(dir, `${name}.yaml`);
    const lines = [
      `name: ${name}`,
      'seed: 5',
      'target: { kind: local }',
      'repo: gh/rehearse-examples/dask-intro/HEAD',
    ];
    writeFileSync(file, [...lines, ...body, ''].join('\n'));
    return file;
  }

  /** Poll `cond` every 200 ms until it holds, at most `ms`; false if it never did. */
  async function waitFor(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await cond()) return true;
      await new Promise((res) => setTimeout(res, 200));
    }
    return cond();
  }

  /** Step events of the run being written under `runs` (events.jsonl is appended live). */
  function liveSteps(runs: string, step: string): number {
    const [id] = existsSync(runs) ? readdirSync(runs) : [];
    const file = id ? join(runs, id, 'events.jsonl') : '';
    if (!file || !existsSync(file)) return 0;
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"type":"step"') && l.includes(`"step":"${step}"`) && l.includes('"ok":true'))
      .length;
  }

  const hubUsers = () => new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();

  describe('rehearse run --workers local:N', () => {
    it('local:3 gives the outcome counts of a one-process run of the same plan, in one merged record', async () => {
      const nb = writeNotebook(join(dir, 'two.ipynb'), '1+1', 'print(6 * 7)');
      const file = scenario('six', [
        'cohorts: [{ name: class, users: 6, arrival: { kind: list, at: [0s, 500ms, 1s, 1500ms, 2s, 2500ms] } }]',
        `session: { notebook: ${nb}, thinkTime: { median: 200ms, p95: 500ms }, duration: 40s }`,
        'slo: ["session.failed count == 0", "launch.ready p(95) < 2m"]',
      ]);
      const common = ['--json', '--state-dir', t.stack.stateDir];
      const one = rehearseChild(['run', file, '--out', join(dir, 'one'), ...common]);
      expect(await one.code, one.stderr()).toBe(0);
      const three = rehearseChild([
        'run',
        file,
        '--workers',
        'local:3',
        '--out',
        join(dir, 'three'),
        ...common,
      ]);
      expect(await three.code, three.stderr()).toBe(0);
      const a = JSON.parse(one.stdout()) as RunSummary;
      const b = JSON.parse(three.stdout()) as RunSummary;
      expect(b.users).toEqual({ ...a.users, lost: 0 });
      expect(b.users).toMatchObject({ planned: 6, arrived: 6, completed: 6, failed: 0 });
      // Every cell ran in both (a 40 s session leaves room for both cells even on a loaded machine):
      // counts are timing-free.
      expect(a.rates['cell.skipped']?.hits ?? 0).toBe(0);
      expect(b.rates['cell.skipped']?.hits ?? 0).toBe(0);
      for (const key of [
        'launch.ready',
        'kernel.start',
        'cell.exec',
        'cell.exec{cell=0}',
        'cell.exec{cell=1}',
        'leave',
      ]) {
        expect(b.trends[key]?.count, key).toBe(a.trends[key]?.count);
      }
      expect(b.rates['launch.failed']).toEqual(a.rates['launch.failed']);
      expect(b.rates['session.failed']).toEqual({ hits: 0, total: 6, rate: 0 });
      expect(b.verdict).toBe('pass');
      expect(b.workers?.map((w) => [w.planned, w.reported, w.state])).toEqual([
        [2, 2, 'done'],
        [2, 2, 'done'],
        [2, 2, 'done'],
      ]);
      const [id] = readdirSync(join(dir, 'three'));
      const record = readRecord(join(dir, 'three', id as string));
      expect(record.partial).toBe(false);
      expect(record.events.filter((e) => e.type === 'user-end')).toHaveLength(6);
      expect(record.events.filter((e) => e.type === 'run-start')).toHaveLength(1);
      expect(new Set(record.events.flatMap((e) => (e.type === 'arrival' ? [e.user] : []))).size).toBe(6);
      expect(await hubUsers()).toEqual([]);
      console.log(
        `one process: launch.ready p50 ${a.trends['launch.ready']?.p50} p95 ${a.trends['launch.ready']?.p95}; ` +
          `local:3: p50 ${b.trends['launch.ready']?.p50} p95 ${b.trends['launch.ready']?.p95}`,
      );
    }, 240_000);

    it('a worker killed mid-run is reported and its shard counted as lost; its user is cleaned up', async () => {
      const nb = writeNotebook(join(dir, 'slow.ipynb'), 'import time\ntime.sleep(300)');
      const file = scenario('killed', [
        'cohorts: [{ name: class, users: 3, arrival: { kind: list, at: [0s, 500ms, 1s] } }]',
        `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 10m }`,
      ]);
      const runs = join(dir, 'killed');
      const r = rehearseChild([
        'run',
        file,
        '--workers',
        'local:3',
        '--json',
        '--out',
        runs,
        '--state-dir',
        t.stack.stateDir,
      ]);
      const deadline = Date.now() + 120_000;
      let ready = 0;
      while (Date.now() < deadline && ready < 3) {
        await new Promise((res) => setTimeout(res, 500));
        ready = (await hubUsers()).filter((u) => Object.values(u.servers ?? {}).some((s) => s.ready)).length;
      }
      expect(ready, r.stderr()).toBe(3);
      const pid = Number(/\b1: pid (\d+)/.exec(r.stderr())?.[1]);
      expect(pid, r.stderr()).toBeGreaterThan(0);
      // Every user's kernel websocket is up: its (300 s) cell is being run.
      expect(await waitFor(() => liveSteps(runs, 'ws.connect') === 3, 60_000), r.stderr()).toBe(true);
      process.kill(pid, 'SIGKILL');
      expect(await waitFor(() => r.stderr().includes(`worker 1 (pid ${pid}) lost`), 60_000), r.stderr()).toBe(
        true,
      );
      r.kill('SIGINT'); // the other two: users leave
      expect(await r.code, r.stderr()).toBe(1);
      const summary = JSON.parse(r.stdout()) as RunSummary;
      expect(summary.status).toBe('failed');
      expect(summary.users).toMatchObject({ planned: 3, lost: 1 });
      expect(summary.workers?.[1]).toMatchObject({ state: 'lost', planned: 1, reported: 0, lost: 1 });
      expect(summary.workers?.[1]?.detail).toContain('SIGKILL');
      expect(summary.workers?.filter((w) => w.state === 'done')).toHaveLength(2);
      expect(r.stderr()).toContain('lost');
      // The coordinator stopped the lost worker's server and removed its hub user.
      expect(await hubUsers()).toEqual([]);
    }, 240_000);
  });
});
