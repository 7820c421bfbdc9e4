import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HubClient } from '../../loadgen/clients/hub.js';
import { readLedger } from '../../loadgen/record/ledger.js';
import { readRecord } from '../../loadgen/record/reader.js';
import type { RunSummary } from '../../loadgen/record/types.js';
import { processesWithMarker } from '../../provision/local/processes.js';
import { restartHub } from '../../provision/local/restart.js';
import { rehearseChild } from '../helpers/cli-child.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// Faults on the real local stack, each made by killing the real process (no fakes): the generator,
// JupyterHub (mid-launch, mid-session, and restarted on the same database), configurable-http-proxy,
// one user's jupyter-server, one kernel. Each: the run ends (bounded, no hang), every arrived user
// has an outcome, the exit code says what happened, and nothing is left after cleanup or down.
describeEachStack('faults', (stack) => {
  let t: TestStack;
  let dir: string;

  beforeEach(async () => {
    t = await startTestStack({ stack, buildSeconds: 1 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-faults-'));
  });

  afterEach(async () => {
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  const runs = () => join(dir, 'runs');
  const hub = () => new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken });
  const pidOf = (name: 'hub' | 'proxy') =>
    (
      JSON.parse(readFileSync(join(t.stack.stateDir, 'state.json'), 'utf8')) as typeof t.stack.state
    ).processes.find((p) => p.name === name)?.pid as number;

  /** A scenario with a two-cell notebook: a quick cell, then `sleepS` seconds in a cell. */
  function scenario(
    name: string,
    o: { users: string; sleepS: number; duration: string; slo?: string },
  ): string {
    const nb = writeNotebook(join(dir, `${name}.ipynb`), 'x = 1', `import time\ntime.sleep(${o.sleepS})`);
    const file = join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `name: ${name}`,
        'target: { kind: local }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        `cohorts: [{ name: c, ${o.users} }]`,
        `session: { notebook: ${nb}, thinkTime: { median: 200ms, p95: 400ms }, duration: ${o.duration} }`,
        ...(o.slo ? [`slo: [${JSON.stringify(o.slo)}]`] : []),
        '',
      ].join('\n'),
    );
    return file;
  }

  const run = (file: string, extra: string[] = []) =>
    rehearseChild(['run', file, '--json', '--out', runs(), '--state-dir', t.stack.stateDir, ...extra], {
      killAfterMs: 280_000,
    });

  /** Bounded poll of the run's ledger: kernels created so far. */
  async function kernelsCreated(n: number, timeoutMs = 150_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = existsSync(runs()) ? readdirSync(runs()) : [];
      const created = ids.reduce(
        (s, id) =>
          s +
          readLedger(join(runs(), id)).entries.filter((e) => e.res.kind === 'kernel' && e.state !== 'intent')
            .length,
        0,
      );
      if (created >= n) return;
      if (Date.now() > deadline)
        throw new Error(`only ${created} of ${n} kernels started within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Bounded poll of the run's events: the probe has declared a hub outage. */
  async function outageRecorded(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = existsSync(runs()) ? readdirSync(runs()) : [];
      const declared = ids.some((id) => {
        const f = join(runs(), id, 'events.jsonl');
        return existsSync(f) && readFileSync(f, 'utf8').includes('"type":"hub-outage"');
      });
      if (declared) return;
      if (Date.now() > deadline) throw new Error(`no hub outage recorded within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The stack's own processes of a kind (servers, kernels), by command line. */
  function marked(pattern: RegExp): number[] {
    return (processesWithMarker(t.stack.state.stackId) ?? []).filter((pid) => {
      try {
        return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
      } catch {
        return false;
      }
    });
  }
  /** Polls until `list()` is empty or `ms` passed; returns the last list. */
  async function goneWithin(list: () => number[], ms: number): Promise<number[]> {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = list();
      if (left.length === 0 || Date.now() > deadline) return left;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const SERVERS = /jupyter_server|jupyterhub\.singleuser|jupyterhub-singleuser/;
  const KERNELS = /ipykernel_launcher/;

  function onlyRecord(): ReturnType<typeof readRecord> {
    const [id] = readdirSync(runs());
    return readRecord(join(runs(), id as string));
  }

  /** Every arrived user ended with an outcome (completed or failed with a reason). */
  function everyoneClassified(s: RunSummary): void {
    expect(s.users.completed + s.users.failed).toBe(s.users.arrived);
    const ends = onlyRecord().events.filter((e) => e.type === 'user-end');
    expect(ends).toHaveLength(s.users.arrived);
    for (const e of ends) if (e.type === 'user-end' && e.outcome === 'failed') expect(e.reason).toBeDefined();
  }

  it('generator SIGKILL: the hub keeps its servers, the next run refuses, cleanup leaves nothing', async () => {
    const file = scenario('genkill', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 60,
      duration: '120s',
    });
    const r = run(file);
    await kernelsCreated(2);
    r.kill('SIGKILL');
    expect(await r.code).toBeNull();
    expect((await hub().listUsers()).length).toBe(2);
    expect(marked(SERVERS)).toHaveLength(2);
    expect(marked(KERNELS)).toHaveLength(2);

    const next = run(file);
    expect(await next.code).toBe(1);
    expect(next.stderr()).toContain('refusing to measure on a dirty hub');
    expect(next.stderr()).toContain('rehearse cleanup');
    expect((await hub().listUsers()).length).toBe(2); // refused before any arrival

    const dry = rehearseChild(['cleanup', runs(), '--dry-run', '--state-dir', t.stack.stateDir]);
    expect(await dry.code).toBe(1);
    expect((await hub().listUsers()).length).toBe(2);
    const c = rehearseChild(['cleanup', runs(), '--state-dir', t.stack.stateDir]);
    expect(await c.code, c.stdout() + c.stderr()).toBe(0);
    expect(c.stdout()).toContain('nothing left.');
    expect(await hub().listUsers()).toEqual([]);
    expect(marked(SERVERS)).toEqual([]);
    // A stopped server's kernels exit on their own once it is gone (ipykernel polls its parent,
    // JPY_PARENT_PID, every second): seconds later, longer on a loaded machine. Bounded wait.
    expect(await goneWithin(() => marked(KERNELS), 30_000)).toEqual([]);
    const again = rehearseChild(['cleanup', runs(), '--state-dir', t.stack.stateDir]);
    expect(await again.code).toBe(0);
    expect(again.stdout()).toContain('nothing to clean up');
  }, 400_000);

  it('JupyterHub SIGKILL mid-launch: launches fail as hub-down, exit 1 naming the outage', async () => {
    // A 6 s emulated build: both attendees wait in BinderHub's build when the hub dies.
    await t.stop();
    t = await startTestStack({ stack, buildSeconds: 6 });
    const file = scenario('hubkill-launch', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 1,
      duration: '10s',
    });
    const r = run(file);
    const deadline = Date.now() + 60_000;
    const arrived = () => {
      const [id] = existsSync(runs()) ? readdirSync(runs()) : [];
      if (!id || !existsSync(join(runs(), id, 'meta.json'))) return false;
      return onlyRecord().events.some((e) => e.type === 'arrival');
    };
    while (!arrived())
      if (Date.now() > deadline) throw new Error('no arrival within 60 s');
      else await new Promise((res) => setTimeout(res, 200));
    process.kill(pidOf('hub'), 'SIGKILL');
    const code = await r.code;
    expect(code, r.stderr()).toBe(1);
    expect(r.stderr()).toContain('the hub was unreachable during the run');
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.outages?.[0]?.service).toBeDefined();
    expect(s.failures['hub-down']?.final).toBe(2);
    const ends = onlyRecord().events.filter((e) => e.type === 'user-end');
    for (const e of ends)
      if (e.type === 'user-end') expect(e.message).toMatch(/unreachable during this launch/);
  }, 300_000);

  it('JupyterHub SIGKILL mid-session: sessions finish through the proxy, exit 1, down leaves nothing', async () => {
    const file = scenario('hubkill-session', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 8,
      duration: '20s',
    });
    const r = run(file);
    await kernelsCreated(2);
    process.kill(pidOf('hub'), 'SIGKILL');
    expect(await r.code, r.stderr()).toBe(1);
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.outages?.some((o) => o.service === 'hub')).toBe(true);
    expect(s.leftovers.length).toBeGreaterThan(0); // the hub could not stop them: listed, with commands
  }, 300_000);

  it('JupyterHub restarted mid-run on the same database: sessions survive, later launches succeed', async () => {
    const file = scenario('hubrestart', {
      users: 'users: 3, arrival: { kind: list, at: [0s, 1s, 50s] }',
      sleepS: 20,
      duration: '40s',
    });
    const r = run(file);
    await kernelsCreated(2);
    process.kill(pidOf('hub'), 'SIGKILL');
    // Restart only once the probe has declared the outage (two failed checks 3 s apart): a hub back
    // within one check interval is, by design, not an outage, and a fixed sleep raced that.
    await outageRecorded(60_000);
    await restartHub(t.stack.stateDir);
    expect(await r.code, r.stderr()).toBe(1); // the outage makes it not a pass
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.users).toMatchObject({ arrived: 3, completed: 3, failed: 0 });
    const o = s.outages?.find((x) => x.service === 'hub');
    expect(o?.end).not.toBeNull(); // it came back, and the record says when
    expect(s.leftovers).toEqual([]);
    expect(await hub().listUsers()).toEqual([]);
  }, 300_000);

  it('configurable-http-proxy killed: the sessions break, users fail with a reason, exit 1', async () => {
    const file = scenario('proxykill', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 30,
      duration: '60s',
    });
    const r = run(file);
    await kernelsCreated(2);
    await new Promise((res) => setTimeout(res, 1500)); // into the sleeping cell
    process.kill(pidOf('proxy'), 'SIGKILL');
    expect(await r.code, r.stderr()).toBe(1);
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.users.failed).toBe(2);
    expect(s.outages?.some((o) => o.service === 'hub')).toBe(true);
  }, 300_000);

  it("one user's jupyter-server killed: that attendee fails ws-failed, the other completes (exit 99)", async () => {
    const file = scenario('serverkill', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 15,
      duration: '30s',
      slo: 'session.failed count == 0',
    });
    const r = run(file);
    await kernelsCreated(2);
    await new Promise((res) => setTimeout(res, 1500));
    const [victim] = marked(SERVERS);
    process.kill(victim as number, 'SIGKILL');
    expect(await r.code, r.stderr()).toBe(99);
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.users).toMatchObject({ completed: 1, failed: 1 });
    expect(s.failures['ws-failed']?.final).toBe(1);
    expect(s.outages ?? []).toEqual([]);
    expect(await hub().listUsers()).toEqual([]);
  }, 300_000);

  it('one kernel process killed mid-cell: that attendee fails kernel-died (exit 99)', async () => {
    const file = scenario('kernelkill', {
      users: 'users: 2, arrival: { kind: burst, over: 1s }',
      sleepS: 15,
      duration: '30s',
      slo: 'session.failed count == 0',
    });
    const r = run(file);
    await kernelsCreated(2);
    await new Promise((res) => setTimeout(res, 1500));
    const [victim] = marked(KERNELS);
    process.kill(victim as number, 'SIGKILL');
    expect(await r.code, r.stderr()).toBe(99);
    const s = JSON.parse(r.stdout()) as RunSummary;
    everyoneClassified(s);
    expect(s.users).toMatchObject({ completed: 1, failed: 1 });
    expect(s.failures['kernel-died']?.final).toBe(1);
    expect(await hub().listUsers()).toEqual([]);
  }, 300_000);
});
