import { existsSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinderLaunchError, launchBinder } from '../../loadgen/clients/binder.js';
import { HubClient } from '../../loadgen/clients/hub.js';
import { KernelConnection } from '../../loadgen/clients/kernel.js';
import { JupyterServerClient } from '../../loadgen/clients/kernel-rest.js';
import { launchOnce } from '../../loadgen/launch-once.js';
import { startFront } from '../../provision/local/front/server.js';
import { mountsUnder, processesRootedIn } from '../../provision/local/root-exec.js';
import { up } from '../../provision/local/stack.js';
import {
  DASK_ANSWER,
  DASK_CELL,
  describeEachStack,
  startTestStack,
  type TestStack,
} from '../helpers/local-stack.js';

// The real local stack, on each stack: JupyterHub 3 (debian12) or 5 (debian13) from Debian,
// configurable-http-proxy from npm, real jupyter-server, ipykernel and Dask; only BinderHub is the
// TypeScript front (builds emulated).
const SPEC = 'gh/rehearse-examples/dask-intro/HEAD';
describeEachStack('local-stack', (stack) => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 2 });
  });

  afterAll(async () => {
    if (!t) return;
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
    expect(existsSync(t.stack.stateDir)).toBe(false);
    const root = t.stack.state.stack?.root;
    if (root) expect(mountsUnder(root)).toEqual([]);
  });

  it('runs the stack it was asked for, and records the versions the stack reports', async () => {
    const recorded = t.stack.state.stack;
    expect(recorded?.name).toBe(stack);
    const v = recorded?.versions.packages ?? {};
    const major = (name: string) => Number(String(v[name]).split('.')[0]);
    expect(major('jupyterhub')).toBe(stack === 'debian13' ? 5 : 3);
    expect(major('jupyter_server')).toBe(stack === 'debian13' ? 2 : 1);
    expect(major('numpy')).toBe(stack === 'debian13' ? 2 : 1);
    expect(major('dask')).toBe(stack === 'debian13' ? 2024 : 2022);
    expect(major('xarray')).toBeGreaterThanOrEqual(2023); // Debian's module says 999: dpkg's version is used
    // The hub answers with the version the stack reported.
    const info = (await (await fetch(t.stack.state.hubApiUrl)).json()) as { version: string };
    expect(info.version).toBe(v.jupyterhub);
    const hubPid = t.stack.state.processes.find((p) => p.name === 'hub')?.pid as number;
    if (stack === 'debian13') {
      // The hub runs inside the Debian 13 root, and nothing of it is mounted on the host.
      const root = recorded?.root as string;
      expect(processesRootedIn(root)).toContain(hubPid);
      expect(mountsUnder(root)).toEqual([]);
    } else {
      expect(readlinkSync(`/proc/${hubPid}/root`)).toBe('/');
    }
  });

  describe('local target', () => {
    it('says plainly that builds are emulated, and is healthy', async () => {
      const versions = (await (await fetch(`${t.stack.state.binderUrl}versions`)).json()) as Record<
        string,
        unknown
      >;
      expect(String(versions.binderhub)).toContain('emulation');
      expect(JSON.stringify(versions.builder_info)).toContain('not BinderHub');
      const health = (await (await fetch(`${t.stack.state.binderUrl}health`)).json()) as { ok: boolean };
      expect(health.ok).toBe(true);
    });

    it('answers a /build request without Accept: text/event-stream with one failed event and HTTP 200', async () => {
      const res = await fetch(`${t.stack.state.binderUrl}build/${SPEC}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const body = await res.text();
      expect(body).toBe(
        'data: {"phase":"failed","status_code":400,"message":"Missing Accept header: text/event-stream\\n"}\n\n',
      );
    });

    it('is idempotent: a second up reuses the running stack', async () => {
      const again = await up({ stateDir: t.stack.stateDir });
      expect(again.alreadyRunning).toBe(true);
      expect(again.state.binderUrl).toBe(t.stack.state.binderUrl);
      expect(again.state.stackId).toBe(t.stack.state.stackId);
    });

    it('launches end to end: build, then cache hit; the ready token opens REST and websocket; Dask computes; leaving removes the user', async () => {
      const first = await launchOnce({
        binderUrl: t.stack.state.binderUrl,
        spec: SPEC,
        cells: [{ index: 0, source: DASK_CELL }],
        protocol: 'v1',
        hubToken: t.hubToken,
        launchTimeoutMs: 120_000,
        stepTimeoutMs: 60_000,
        cellTimeoutMs: 60_000,
      });
      expect(first.error).toBeUndefined();
      expect(first.outcome).toBe('completed');
      expect(first.cells.map((c) => c.result.stdout.trim())).toEqual([DASK_ANSWER]);
      expect(first.phases.map((p) => p.phase)).toEqual([
        'waiting',
        'fetching',
        'building',
        'pushing',
        'built',
        'launching',
        'ready',
      ]);
      expect(first.marks.map((m) => m.kind)).toContain('server-ready');
      expect(first.cleanup.every((c) => c.ok)).toBe(true);

      // Second launch of the same ref: a cache hit, no build phases.
      const second = await launchBinder({
        binderUrl: t.stack.state.binderUrl,
        spec: SPEC,
        timeoutMs: 120_000,
      });
      try {
        expect(second.phases.map((p) => p.phase)).toEqual(['built', 'launching', 'ready']);
        expect(second.image).toMatch(/^local\/rehearse-examples\/dask-intro:[0-9a-f]{40}$/);
        expect(second.binderRequest).toBe('v2/gh/rehearse-examples/dask-intro/HEAD');
        expect(second.token).toMatch(/^[A-Za-z0-9_-]{22}$/);
        const server = new JupyterServerClient({ serverUrl: second.url, token: second.token });
        expect(await server.apiVersion()).toMatch(/^\d+\.\d+/);
        // The repo's files landed in the user's working directory.
        const contents = await fetch(`${second.url}api/contents?token=${second.token}`);
        const listing = (await contents.json()) as { content: { name: string }[] };
        expect(listing.content.map((c) => c.name)).toEqual(
          expect.arrayContaining(['README.md', 'notebooks']),
        );
        const kernel = await server.startKernel();
        const conn = await KernelConnection.open({
          serverUrl: second.url,
          token: second.token,
          kernelId: kernel.id,
          protocol: 'legacy',
          tokenIn: 'query',
          openTimeoutMs: 30_000,
        });
        const r = await conn.execute('6 * 7', { timeoutMs: 30_000 });
        expect(r.result).toBe('42');
        await conn.close();
        // A wrong token is refused.
        const bad = new JupyterServerClient({ serverUrl: second.url, token: 'not-the-token' });
        await expect(bad.startKernel()).rejects.toMatchObject({ status: 403, exitCode: 3 });
      } finally {
        const hub = new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken });
        const user = new URL(second.url).pathname.split('/')[2] as string;
        await hub.stopServer(user);
        await hub.waitForStopped(user, 60_000);
        await hub.deleteUser(user, { timeoutMs: 60_000 });
      }
      const users = await new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();
      expect(users.map((u) => u.name)).toEqual([]);
    });

    it("fails an unknown repo with BinderHub's message", async () => {
      const err = await launchBinder({
        binderUrl: t.stack.state.binderUrl,
        spec: 'gh/nobody/nothing/HEAD',
      }).catch((e) => e);
      expect(err).toBeInstanceOf(BinderLaunchError);
      expect((err as BinderLaunchError).serverMessage).toContain(
        'Could not resolve ref for gh:nobody/nothing/HEAD',
      );
      expect((err as BinderLaunchError).reason).toBe('bad-request');
    });

    it('frames the stream as BinderHub does: :keepalive comments while building, held open after ready', async () => {
      // A second front in this process, on the same real hub, with a short keepalive interval.
      const s = t.stack.state;
      const front = await startFront({
        host: '127.0.0.1',
        port: 0,
        hubApiUrl: s.hubApiUrl,
        hubUrl: s.hubUrl,
        hubToken: t.hubToken,
        reposDir: fileURLToPath(new URL('../../scenarios/repos', import.meta.url)),
        buildMs: 1500,
        launchQuota: 0,
        rateLimit: 0,
        ratePeriodSec: 3600,
        keepaliveMs: 200,
        holdOpenAfterReadyMs: 60_000,
        retries: 4,
        retryDelayMs: 300,
        launchTimeoutMs: 120_000,
        version: 'test',
      });
      const ctl = new AbortController();
      let serverUrl = '';
      try {
        const res = await fetch(`${front.url}build/${SPEC}`, {
          headers: { accept: 'text/event-stream' },
          signal: ctl.signal,
        });
        expect(res.headers.get('cache-control')).toBe('no-cache');
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let text = '';
        while (!text.includes('"phase":"ready"')) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended before ready:\n${text}`);
          text += decoder.decode(value, { stream: true });
        }
        const frames = text.split('\n\n').filter((f) => f !== '');
        expect(frames.filter((f) => f === ':keepalive').length).toBeGreaterThanOrEqual(3);
        for (const f of frames.filter((x) => x !== ':keepalive' && x.trim() !== ''))
          expect(f).toMatch(/^data: \{.*\}$/s);
        const ready = JSON.parse(
          (frames.find((f) => f.includes('"phase":"ready"')) as string).slice(6),
        ) as Record<string, string>;
        serverUrl = ready.url as string;
        expect(Object.keys(ready)).toEqual(
          expect.arrayContaining([
            'url',
            'token',
            'image',
            'repo_url',
            'binder_ref_url',
            'binder_launch_host',
            'binder_request',
            'binder_persistent_request',
          ]),
        );
        expect(ready.binder_launch_host).toBe(front.url);
        // BinderHub keeps the stream open after ready: the next read is still pending a second later.
        const next = reader.read();
        const outcome = await Promise.race([
          next.then((r) => (r.done ? 'ended' : 'data')),
          new Promise<string>((r) => setTimeout(() => r('open'), 1000)),
        ]);
        expect(outcome).not.toBe('ended');
      } finally {
        ctl.abort();
        await front.close();
        if (serverUrl) {
          const hub = new HubClient({ hubUrl: s.hubUrl, token: t.hubToken });
          const user = new URL(serverUrl).pathname.split('/')[2] as string;
          await hub.stopServer(user);
          await hub.waitForStopped(user, 60_000);
          await hub.deleteUser(user, { timeoutMs: 60_000 });
        }
      }
    });
  });
});
