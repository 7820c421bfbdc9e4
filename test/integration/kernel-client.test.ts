import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JupyterServerClient,
  KernelConnection,
  type KernelConnectionOptions,
  KernelError,
} from '../../loadgen/clients/kernel.js';
import { freePort } from '../../provision/local/processes.js';
import { openStack, type StackName } from '../../provision/local/stacks.js';
import { describeEachStack } from '../helpers/local-stack.js';

/**
 * Against a real jupyter_server on each stack — debian12: Debian's 1.23.3, ipykernel 6.17, dask
 * 2022.12; debian13: 2.15.0, ipykernel 6.29, dask 2024.12 (inside its root) — started by this file
 * on a free loopback port,
 * with a /user/test/ base URL as behind JupyterHub. A second server runs with
 * `kernel_ws_protocol=''` (legacy only, as gateway setups do) to check that a client
 * offering v1 notices the server did not select it.
 */

interface Server {
  url: string;
  token: string;
  proc: ChildProcess;
  dir: string;
  log: string[];
}

const BASE = '/user/test/';

async function startServer(stack: StackName, extra: string[] = []): Promise<Server> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const dir = await mkdtemp(join(tmpdir(), 'rehearse-js-'));
  const args = ['-m', 'jupyter_server', '--ServerApp.ip=127.0.0.1', `--ServerApp.port=${port}`];
  args.push('--ServerApp.port_retries=0', `--ServerApp.base_url=${BASE}`, '--ServerApp.open_browser=False');
  args.push(`--ServerApp.root_dir=${dir}`, '--ServerApp.terminals_enabled=False', ...extra);
  if (process.getuid?.() === 0) args.push('--ServerApp.allow_root=True');
  // The token goes through the environment (JUPYTER_TOKEN), not argv where `ps` shows it.
  const env = { ...process.env, JUPYTER_TOKEN: token, JUPYTER_RUNTIME_DIR: join(dir, '.runtime') };
  Object.assign(env, { JUPYTER_CONFIG_DIR: join(dir, '.config'), IPYTHONDIR: join(dir, '.ipython') });
  const st = openStack(stack);
  const cmd = st.command([st.python, ...args], [dir]);
  const proc = spawn(cmd.command, cmd.args, {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  proc.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  proc.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const server = { url: `http://127.0.0.1:${port}${BASE}`, token, proc, dir, log };
  const client = new JupyterServerClient({ serverUrl: server.url, token, requestTimeoutMs: 2000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`jupyter_server exited early:\n${log.join('')}`);
    try {
      await client.apiVersion();
      return server;
    } catch (err) {
      if (!(err instanceof KernelError) || Date.now() > deadline) throw err;
    }
    await sleep(100);
  }
}

async function stopServer(s: Server | undefined): Promise<void> {
  if (s === undefined) return;
  const client = new JupyterServerClient({ serverUrl: s.url, token: s.token, requestTimeoutMs: 5000 });
  const exited = new Promise<void>((resolve) => {
    if (s.proc.exitCode !== null) resolve();
    else s.proc.once('exit', () => resolve());
  });
  // api/shutdown stops the kernels too (they run in their own sessions, outside our group).
  await client.shutdownServer().catch((err: unknown) => s.log.push(`shutdown failed: ${String(err)}`));
  await Promise.race([exited, sleep(10_000)]);
  if (s.proc.exitCode === null && s.proc.pid !== undefined) process.kill(-s.proc.pid, 'SIGKILL');
  await rm(s.dir, { recursive: true, force: true });
}

describeEachStack('kernel-client', (stack) => {
  let server: Server;
  let legacyOnly: Server;
  let rest: JupyterServerClient;

  beforeAll(async () => {
    [server, legacyOnly] = await Promise.all([
      startServer(stack),
      // Legacy only: jupyter_server 2 reads ZMQChannelsWebsocketConnection.kernel_ws_protocol; its
      // ServerApp.kernel_ws_protocol is deprecated and, on 2.15, no longer takes effect (seen here).
      startServer(stack, [
        stack === 'debian13'
          ? '--ZMQChannelsWebsocketConnection.kernel_ws_protocol='
          : '--ServerApp.kernel_ws_protocol=',
      ]),
    ]);
    rest = new JupyterServerClient({ serverUrl: server.url, token: server.token, requestTimeoutMs: 60_000 });
  });

  afterAll(async () => {
    await Promise.all([stopServer(server), stopServer(legacyOnly)]);
  });

  function open(kernelId: string, over: Partial<KernelConnectionOptions> = {}): Promise<KernelConnection> {
    const base = {
      serverUrl: server.url,
      token: server.token,
      protocol: 'v1' as const,
      openTimeoutMs: 30_000,
    };
    return KernelConnection.open({ ...base, kernelId, ...over });
  }

  const combos = [
    { protocol: 'v1', tokenIn: 'header', via: 'control' },
    { protocol: 'v1', tokenIn: 'query', via: 'rest' },
    { protocol: 'legacy', tokenIn: 'header', via: 'rest' },
    { protocol: 'legacy', tokenIn: 'query', via: 'control' },
  ] as const;

  describe.each(combos)('kernel over $protocol, token in $tokenIn', ({ protocol, tokenIn, via }) => {
    let kernelId: string;
    let conn: KernelConnection;

    beforeAll(async () => {
      const model = await rest.startKernel('python3');
      kernelId = model.id;
      expect(model.name).toBe('python3');
      conn = await open(kernelId, { protocol, tokenIn });
    });

    afterAll(async () => {
      await conn?.close();
      if (kernelId) await rest.deleteKernel(kernelId);
    });

    it('answers kernel_info and evaluates 1+1', async () => {
      const info = await conn.kernelInfo({ timeoutMs: 10_000 });
      expect(info.implementation).toBe('ipython');
      const r = await conn.execute('1+1', { timeoutMs: 10_000 });
      expect(r).toMatchObject({ status: 'ok', result: '2', stdout: '', stderr: '' });
      expect(r.executionCount).toBeGreaterThan(0);
    });

    it('collects stdout and stderr, and reports an exception as status error', async () => {
      const out = await conn.execute('import sys\nprint("hé 日本")\nprint("warn", file=sys.stderr)', {
        timeoutMs: 10_000,
      });
      expect(out).toMatchObject({ status: 'ok', stdout: 'hé 日本\n', stderr: 'warn\n', result: undefined });
      const bad = await conn.execute('1/0', { timeoutMs: 10_000 });
      expect(bad.status).toBe('error');
      expect(bad.error).toMatchObject({ ename: 'ZeroDivisionError', evalue: 'division by zero' });
      expect(bad.error?.traceback.length).toBeGreaterThan(0);
    });

    it('runs a Dask cell', async () => {
      const code = 'import dask.array as da; print(int(da.arange(1000, chunks=100).sum().compute()))';
      const r = await conn.execute(code, { timeoutMs: 25_000 });
      expect(r).toMatchObject({ status: 'ok', stdout: '499500\n' });
    });

    it(`interrupts a sleeping cell (via ${via})`, async () => {
      let settled = false;
      const running = conn.execute('import time; time.sleep(30)', { timeoutMs: 20_000 }).finally(() => {
        settled = true;
      });
      // An interrupt that lands before the cell starts is lost, so repeat it until the cell ends.
      for (let i = 0; i < 5 && !settled; i++) {
        await Promise.race([sleep(500), running.catch(() => undefined)]);
        if (!settled) await conn.interrupt({ timeoutMs: 5000, via });
      }
      // Not interrupted, the cell would outlast its 20 s bound and reject with a `timeout` KernelError.
      const r = await running;
      expect(r).toMatchObject({ status: 'error', stdout: '' });
      expect(r.error?.ename).toBe('KeyboardInterrupt');
    });
  });

  describe('kernel connections', () => {
    it('talks to the jupyter_server of this stack, which selects v1 when offered', async () => {
      expect(await rest.apiVersion()).toMatch(stack === 'debian13' ? /^2\.15\./ : /^1\.23\./);
      const { id } = await rest.startKernel('python3');
      try {
        const conn = await open(id, { protocol: 'v1' });
        expect(conn.protocol).toBe('v1');
        await conn.close();
      } finally {
        await rest.deleteKernel(id);
      }
    });

    it('gives every connection its own session id, and both work on one kernel', async () => {
      const { id } = await rest.startKernel();
      const a = await open(id);
      const b = await open(id, { protocol: 'legacy' });
      try {
        expect(a.sessionId).not.toBe(b.sessionId);
        const [ra, rb] = await Promise.all([
          a.execute('x = 21', { timeoutMs: 10_000 }),
          b.execute('x * 2', { timeoutMs: 10_000 }),
        ]);
        expect(ra.status).toBe('ok');
        expect(rb).toMatchObject({ status: 'ok', result: '42' });
        // Why unique ids matter: a second socket with the same session id evicts the first.
        const c = await open(id, { sessionId: a.sessionId });
        // jupyter_server 1.23 closes the evicted socket; 2.15 ("Replacing stale connection") closes it
        // too, but about one time in six (seen here) the old socket stays open and gets no answer.
        const evicted = await a.execute('1', { timeoutMs: 10_000 }).catch((e: KernelError) => e);
        expect(evicted).toBeInstanceOf(KernelError);
        expect(stack === 'debian13' ? ['ws-failed', 'timeout'] : ['ws-failed']).toContain(
          (evicted as KernelError).reason,
        );
        expect((await c.execute('x', { timeoutMs: 10_000 })).result).toBe('21');
        await c.close();
      } finally {
        await Promise.all([a.close(), b.close()]);
        await rest.deleteKernel(id);
      }
    });

    it('fails a pending execute with kernel-died when the kernel process dies', async () => {
      const { id } = await rest.startKernel();
      const conn = await open(id);
      try {
        const err = await conn
          .execute('import os; os._exit(1)', { timeoutMs: 25_000 })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KernelError);
        expect(err).toMatchObject({ reason: 'kernel-died' });
      } finally {
        await conn.close();
        // The kernel is restarting now: jupyter_client 7.4 answers DELETE with 500 until it is up.
        expect(await rest.deleteKernel(id)).toBe('deleted');
      }
    });

    it('fails a pending execute with a typed error when the socket closes mid-execute', async () => {
      const { id } = await rest.startKernel();
      const conn = await open(id);
      try {
        const running = conn.execute('import time; time.sleep(30)', { timeoutMs: 20_000 });
        await sleep(300);
        await conn.close({ timeoutMs: 2000 });
        await expect(running).rejects.toMatchObject({ reason: 'ws-failed' });
        await expect(conn.execute('1', { timeoutMs: 1000 })).rejects.toBeInstanceOf(KernelError);
      } finally {
        await rest.deleteKernel(id);
      }
    });

    it('refuses a bad token: 403 on REST, ws-auth on the websocket (header and query)', async () => {
      const bad = new JupyterServerClient({ serverUrl: server.url, token: 'wrong', requestTimeoutMs: 5000 });
      const restErr = await bad.startKernel().catch((e: unknown) => e);
      expect(restErr).toMatchObject({ reason: 'http', status: 403, exitCode: 3 });
      const { id } = await rest.startKernel();
      try {
        for (const tokenIn of ['header', 'query'] as const) {
          const err = await open(id, { token: 'wrong', tokenIn }).catch((e: unknown) => e);
          expect(err).toMatchObject({ reason: 'ws-auth', status: 403, exitCode: 3 });
          expect(String((err as Error).message)).not.toContain(server.token);
        }
      } finally {
        await rest.deleteKernel(id);
      }
    });

    it('deletes a kernel (204), then treats it as absent (404)', async () => {
      const { id } = await rest.startKernel();
      expect((await rest.listKernels()).map((k) => k.id)).toContain(id);
      expect(await rest.deleteKernel(id)).toBe('deleted');
      expect(await rest.deleteKernel(id)).toBe('absent');
      expect((await rest.listKernels()).map((k) => k.id)).not.toContain(id);
      const status = await rest.status();
      expect(status.kernels).toBe((await rest.listKernels()).length);
    });

    it('says so when the server does not select the v1 subprotocol it was offered', async () => {
      const other = new JupyterServerClient({ serverUrl: legacyOnly.url, token: legacyOnly.token });
      const { id } = await other.startKernel();
      try {
        const opts = {
          serverUrl: legacyOnly.url,
          token: legacyOnly.token,
          kernelId: id,
          openTimeoutMs: 30_000,
        };
        const err = await KernelConnection.open({ ...opts, protocol: 'v1' }).catch((e: unknown) => e);
        expect(err).toMatchObject({ reason: 'protocol' });
        const legacy = await KernelConnection.open({ ...opts, protocol: 'legacy' });
        expect((await legacy.execute('1+1', { timeoutMs: 10_000 })).result).toBe('2');
        await legacy.close();
      } finally {
        await other.deleteKernel(id);
      }
    });

    it('reports an unreachable server as unreachable', async () => {
      const port = await freePort();
      const down = new JupyterServerClient({ serverUrl: `http://127.0.0.1:${port}/`, token: 't' });
      await expect(down.listKernels()).rejects.toMatchObject({ reason: 'unreachable', exitCode: 3 });
      const ws = await KernelConnection.open({
        serverUrl: `http://127.0.0.1:${port}/`,
        token: 't',
        kernelId: '00000000-0000-0000-0000-000000000000',
        protocol: 'v1',
        openTimeoutMs: 5000,
      }).catch((e: unknown) => e);
      expect(ws).toMatchObject({ reason: 'unreachable' });
    });
  });
});
