import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { localGitRepo } from '../../api/workshop.js';
import type { Sample } from '../../core/metrics.js';
import { HubApiError, HubClient } from '../../loadgen/clients/hub.js';
import { HubSession } from '../../loadgen/clients/hub-login.js';
import { readRecord } from '../../loadgen/record/reader.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { LaunchFailure } from '../../loadgen/runner/targets.js';
import { realServerApi } from '../../loadgen/runner/user.js';
import { WorkshopHubTarget, type WorkshopLaunch } from '../../loadgen/workshop/hub-target.js';
import { WorkshopSteps } from '../../loadgen/workshop/steps.js';
import {
  describeEachStack,
  describeOnStacks,
  startTestStack,
  type TestStack,
} from '../helpers/local-stack.js';

// Workshops the way 2i2c hubs run them, on the real local stacks: server options per cohort sent
// as KubeSpawner's user_options and honoured by the local spawner's own profile list
// (provision/local/profiles.ts), a named server, a wrong profile slug; then, on debian13 only (the
// root with JupyterLab 4, nbgitpuller and git), the nbgitpuller link and two browser canaries in
// Debian's headless Chromium through `rehearse run`.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/rehearse.js');
const CONTENT = join(ROOT, 'examples/hub-workshop/workshop-content');

function openTarget(t: TestStack, cohorts: ConstructorParameters<typeof WorkshopHubTarget>[0]['cohorts']) {
  return new WorkshopHubTarget({
    hubUrl: t.stack.state.hubUrl,
    adminToken: t.hubToken,
    auth: { kind: 'admin' },
    cohorts,
    runTag: Math.random().toString(36).slice(2, 6),
    launchTimeoutMs: 120_000,
    describe: { kind: 'local' },
  });
}

const clock = () => performance.now();
const launchOpts = (cohort: string) => ({ signal: new AbortController().signal, now: clock, cohort });

async function runCode(server: WorkshopLaunch, code: string): Promise<string> {
  const api = realServerApi(server, { protocol: 'v1', timeoutMs: 60_000 });
  const k = await api.startKernel();
  const s = await api.connect(k.id);
  try {
    const r = await s.execute(code, { timeoutMs: 60_000 });
    expect(r.status).toBe('ok');
    return r.stdout.trim();
  } finally {
    await s.close({ timeoutMs: 5000 });
    await api.deleteKernel(k.id);
  }
}

function rehearse(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 400_000);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      done({ code, stdout, stderr });
    }),
  );
}

describeEachStack('hub workshops: profiles, named servers', (stack) => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ stack });
  }, 180_000);
  afterAll(async () => {
    const r = await t?.stop();
    expect(r?.leftovers ?? []).toEqual([]);
  }, 60_000);

  it('a cohort split across two profiles gets each profile’s settings, seen from inside the server', async () => {
    const target = openTarget(t, [
      { name: 'small', profile: 'small', profileOptions: { image: 'scipy' } },
      { name: 'large', profile: 'large', profileOptions: { image: { unlisted: 'quay.io/x/workshop:1' } } },
    ]);
    const [small, large] = await Promise.all([
      target.launch('u0001', clock(), launchOpts('small')),
      target.launch('u0002', clock(), launchOpts('large')),
    ]);
    try {
      const code =
        "import os; print(os.environ['REHEARSE_PROFILE'], os.environ['WORKSHOP_SIZE'], os.environ['MEM_LIMIT'], os.environ['WORKSHOP_IMAGE'])";
      expect(await runCode(small, code)).toBe('small small 1073741824 quay.io/jupyter/scipy-notebook:latest');
      expect(await runCode(large, code)).toBe('large large 4294967296 quay.io/x/workshop:1');
    } finally {
      for (const s of [small, large]) expect((await target.stop(s)).filter((l) => !l.ok)).toEqual([]);
    }
  }, 180_000);

  it('a named server is created, used, stopped and removed', async () => {
    const target = openTarget(t, [{ name: 'w', server: 'workshop', profile: 'small' }]);
    const s = await target.launch('u0003', clock(), launchOpts('w'));
    expect(s.serverName).toBe('workshop');
    expect(new URL(s.serverUrl).pathname).toBe(`/user/${s.hubUser}/workshop/`);
    const hub = new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken });
    const user = s.hubUser as string;
    expect(Object.keys((await hub.getUser(user)).servers ?? {})).toEqual(['workshop']);
    expect(await runCode(s, "import os; print(os.environ['WORKSHOP_SIZE'])")).toBe('small');
    await hub.stopServer(user, { serverName: 'workshop' });
    await hub.waitForStopped(user, 60_000, { serverName: 'workshop' });
    await hub.removeNamedServer(user, 'workshop');
    expect((await hub.getUser(user)).servers ?? {}).toEqual({});
    const lines = await target.stop(s);
    expect(lines.find((l) => l.what === `hub user ${user}`)?.ok).toBe(true);
  }, 180_000);

  it('login auth (form + XSRF, then cookie API calls) and the token-per-user route; a wrong password is refused', async () => {
    const password = readFileSync(join(dirname(t.stack.state.tokenFile), 'login-password'), 'utf8').trim();
    const name = `attendee-${Math.random().toString(36).slice(2, 6)}`;
    const common = {
      hubUrl: t.stack.state.hubUrl,
      cohorts: [{ name: 'c', profile: 'large' }],
      runTag: 'x',
      launchTimeoutMs: 120_000,
      describe: { kind: 'jupyterhub' as const },
    };
    const admin = new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken });
    try {
      const byLogin = new WorkshopHubTarget({
        ...common,
        auth: { kind: 'login', passwordEnv: 'P', users: [name] },
        password,
      });
      const s = await byLogin.launch('u0001', clock(), launchOpts('c'));
      expect(s.hubUser).toBe(name);
      expect(await runCode(s, "import os; print(os.environ['WORKSHOP_SIZE'])")).toBe('large');
      expect((await byLogin.stop(s)).filter((l) => !l.ok)).toEqual([]);
      // The token the attendee issued itself after logging in is its own: the tokens route uses it.
      const byToken = new WorkshopHubTarget({
        ...common,
        auth: { kind: 'tokens', tokensEnv: 'T' },
        userTokens: new Map([[name, s.token]]),
      });
      const s2 = await byToken.launch('u0001', clock(), launchOpts('c'));
      expect(s2.hubUser).toBe(name);
      expect(await runCode(s2, "import os; print(os.environ['REHEARSE_PROFILE'])")).toBe('large');
      expect((await byToken.stop(s2)).filter((l) => !l.ok)).toEqual([]);
      const wrong = await new HubSession(t.stack.state.hubUrl)
        .login(name, 'not-the-password')
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(HubApiError);
      expect((wrong as HubApiError).reason).toBe('auth');
    } finally {
      await admin.deleteUser(name, { timeoutMs: 60_000 }).catch(() => undefined);
    }
  }, 180_000);

  it('a wrong profile slug fails with the hub’s message, as profile-invalid', async () => {
    const target = openTarget(t, [{ name: 'x', profile: 'huge' }]);
    const err = await target.launch('u0004', clock(), launchOpts('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchFailure);
    expect((err as LaunchFailure).reason).toBe('profile-invalid');
    expect((err as LaunchFailure).message).toContain('No such profile: huge. Options include: small, large');
    expect((err as LaunchFailure).leftovers).toEqual([]);
  }, 120_000);
});

describeOnStacks(
  ['debian13'],
  'JupyterLab 4, nbgitpuller and git are installed in the debian13 root only; the debian12 stack is the system Python without them (Debian 12 ships no JupyterLab)',
  'hub workshops: nbgitpuller and browser canaries',
  (stack) => {
    let t: TestStack;
    let stateDir: string;
    beforeAll(async () => {
      t = await startTestStack({ stack });
      stateDir = dirname(t.stack.state.tokenFile);
    }, 180_000);
    afterAll(async () => {
      const r = await t?.stop();
      expect(r?.leftovers ?? []).toEqual([]);
    }, 60_000);

    it('the nbgitpuller link pulls a local git repository into the home, and the notebook runs', async () => {
      const spec = localGitRepo(
        { repo: CONTENT, urlpath: 'lab/tree/workshop-content/intro.ipynb' },
        ROOT,
        stateDir,
      );
      expect(existsSync(join(spec.repo, '.git'))).toBe(true);
      const target = openTarget(t, [{ name: 'c', profile: 'small' }]);
      const s = await target.launch('u0001', clock(), launchOpts('c'));
      try {
        const password = readFileSync(join(stateDir, 'login-password'), 'utf8').trim();
        const steps = new WorkshopSteps({
          hubUrl: t.stack.state.hubUrl,
          gitpull: spec,
          loginPassword: password,
          recordDir: stateDir,
          plannedUsers: 1,
        });
        const samples: Sample[] = [];
        const events: RunEvent[] = [];
        const arrival = { index: 0, id: 'u0001', cohort: 'c', t: 0, seed: 1 };
        await steps.afterLaunch(arrival, s, {
          now: clock,
          emit: (x) => samples.push(x),
          event: (e) => events.push(e),
          signal: new AbortController().signal,
        });
        const pulled = samples.find((x) => x.kind === 'trend' && x.metric === 'launch.gitpull');
        expect(pulled).toMatchObject({ kind: 'trend', tags: { cohort: 'c' } });
        expect(events.find((e) => e.type === 'step' && e.step === 'gitpull')).toMatchObject({ ok: true });
        // The pulled notebook's cells, run in the home's repo folder.
        const nb = JSON.parse(readFileSync(join(CONTENT, 'intro.ipynb'), 'utf8')) as {
          cells: { source: string }[];
        };
        const out = await runCode(
          s,
          `import os\nos.chdir('workshop-content')\n${nb.cells.map((c) => c.source).join('\n')}`,
        );
        expect(out).toBe('profile small size small mem 1073741824\npulled by nbgitpuller');
        // A second pull of the same link is a no-op merge, still "finished".
        await steps.afterLaunch(arrival, s, {
          now: clock,
          emit: (x) => samples.push(x),
          event: (e) => events.push(e),
          signal: new AbortController().signal,
        });
        expect(samples.filter((x) => x.kind === 'trend' && x.metric === 'launch.gitpull')).toHaveLength(2);
      } finally {
        await target.stop(s);
      }
    }, 240_000);

    it('two canaries reach an interactive JupyterLab in headless Chromium, run a cell, and leave screenshots in the record', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rehearse-workshop-'));
      cpSync(join(ROOT, 'examples/hub-workshop'), dir, { recursive: true });
      const scenario = join(dir, 'canaries.yaml');
      writeFileSync(
        scenario,
        [
          'name: canaries',
          'target: { kind: local, stack: debian13 }',
          'repo: gh/rehearse-examples/dask-intro/HEAD',
          'cohorts:',
          '  - { name: small, users: 2, arrival: { kind: list, at: [0s, 2s] }, profile: small }',
          '  - { name: large, users: 1, arrival: { kind: list, at: [1s] }, profile: large, profileOptions: { image: scipy } }',
          'session:',
          '  notebook: attendee.ipynb',
          '  thinkTime: { median: 500ms, p95: 1s }',
          '  duration: 20s',
          '  gitpull: { repo: workshop-content, urlpath: lab/tree/workshop-content/intro.ipynb }',
          '  browser: { count: 2, timeout: 240 }',
        ].join('\n'),
      );
      const out = join(dir, 'runs');
      const r = await rehearse(
        ['run', scenario, '--state-dir', stateDir, '--out', out, '--id', 'canaries'],
        process.env,
      );
      expect(r.stderr).not.toContain('Error');
      expect(r.code).toBe(0);
      const rec = readRecord(join(out, 'canaries'));
      const canaries = rec.events.filter((e) => e.type === 'canary');
      expect(canaries).toHaveLength(2);
      for (const c of canaries) {
        expect(c).toMatchObject({ ok: true, stage: 'done' });
        if (c.type !== 'canary' || !c.screenshot) throw new Error('no screenshot');
        const png = readFileSync(join(rec.dir, c.screenshot));
        expect(png.subarray(1, 4).toString()).toBe('PNG');
        expect(c.message).toMatch(/^profile (small|large) size (small|large) mem \d+$/);
      }
      expect(rec.summary.trends['browser.ready']?.count).toBe(2);
      expect(rec.summary.trends['browser.cell']?.count).toBe(2);
      expect(rec.summary.trends['launch.gitpull']?.count).toBe(1);
      expect(rec.summary.users.completed).toBe(3);
    }, 420_000);

    it('a wrong profile slug ends `rehearse run` with exit 2 and the hub’s message', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rehearse-workshop-'));
      cpSync(join(ROOT, 'examples/hub-workshop'), dir, { recursive: true });
      const scenario = join(dir, 'wrong.yaml');
      writeFileSync(
        scenario,
        [
          'name: wrong-profile',
          'target: { kind: local, stack: debian13 }',
          'repo: gh/rehearse-examples/dask-intro/HEAD',
          'cohorts: [{ name: c, users: 1, arrival: { kind: list, at: [0s] }, profile: huge }]',
          'session: { notebook: attendee.ipynb, thinkTime: { median: 1s, p95: 1s }, duration: 5s }',
        ].join('\n'),
      );
      const r = await rehearse(
        ['run', scenario, '--state-dir', stateDir, '--out', join(dir, 'runs')],
        process.env,
      );
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('No such profile: huge. Options include: small, large');
    }, 180_000);
  },
);
