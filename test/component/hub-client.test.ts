import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HubApiError,
  HubClient,
  type HubProgressEvent,
  HubRateLimitError,
} from '../../loadgen/clients/hub.js';
import { TargetError } from '../../scenarios/errors.js';

/**
 * An in-process fake JupyterHub on 127.0.0.1:0, ONLY for what the real hub cannot be made to do
 * deterministically: 429 with and without Retry-After, a 400 "in the process of stopping" race
 * on delete, keepalive timing and failed/stalled progress streams, a 403, a refused connection.
 * Everything else (real paths, models, status codes) is exercised against the real JupyterHub 3
 * by the integration tests. Answers follow jupyterhub 3.0 `apihandlers/` (errors are
 * `{"status", "message"}`, keepalives are bare "\n\n").
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const TOKEN = 'secret-token-0123456789abcdef';
let server: Server;
let hubUrl: string;
let handler: Handler;
let seen: { method: string; url: string; auth: string | undefined }[];

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen = [];
  handler = (_req, res) => json(res, 500, { status: 500, message: 'no handler' });
});

const hub = (): HubClient => new HubClient({ hubUrl, token: TOKEN, requestTimeoutMs: 5000 });

describe('rate limits', () => {
  it('turns 429 with Retry-After (concurrent_spawn_limit) into HubRateLimitError.retryAfterSec', async () => {
    const message = 'Too many users trying to log in right now. Try again in 42 seconds.';
    handler = (_req, res) => json(res, 429, { status: 429, message }, { 'retry-after': '42' });
    const err = await hub()
      .startServer('alice')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubRateLimitError);
    expect(err).toMatchObject({
      status: 429,
      reason: 'rate-limit',
      retryAfterSec: 42,
      hubMessage: message,
      exitCode: 3,
    });
    expect((err as HubRateLimitError).hint).toContain('concurrent_spawn_limit');
    expect(seen).toEqual([{ method: 'POST', url: '/hub/api/users/alice/server', auth: `token ${TOKEN}` }]);
  });

  it('leaves retryAfterSec undefined when the hub sends none (active_server_limit)', async () => {
    const message = 'Active user limit exceeded. Try again in a few minutes.';
    handler = (_req, res) => json(res, 429, { status: 429, message });
    const err = await hub()
      .startServer('bob', { serverName: 'w1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubRateLimitError);
    expect((err as HubRateLimitError).retryAfterSec).toBeUndefined();
    expect((err as HubRateLimitError).hint).toContain('active_server_limit');
  });
});

describe('deleteUser', () => {
  it('retries while the server is in the process of stopping, then deletes', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      if (calls < 3) {
        json(res, 400, {
          status: 400,
          message: "carol's server is in the process of stopping, please wait.",
        });
      } else {
        res.writeHead(204).end();
      }
    };
    expect(await hub().deleteUser('carol', { timeoutMs: 5000, retryDelayMs: 20 })).toBe('deleted');
    expect(calls).toBe(3);
    expect(seen.every((r) => r.method === 'DELETE' && r.url === '/hub/api/users/carol')).toBe(true);
  });

  it('gives up with a typed error when the stop outlasts its timeout, and treats 404 as absent', async () => {
    handler = (_req, res) =>
      json(res, 400, { status: 400, message: "dan's server is in the process of stopping, please wait." });
    const started = Date.now();
    const err = await hub()
      .deleteUser('dan', { timeoutMs: 300, retryDelayMs: 50 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'stopping', status: 400 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(seen.length).toBeGreaterThan(1);
    handler = (_req, res) => json(res, 404, { status: 404, message: 'Not Found' });
    expect(await hub().deleteUser('dan', { timeoutMs: 1000 })).toBe('absent');
  });
});

describe('progress stream', () => {
  function stream(res: ServerResponse): (chunk: string) => void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    return (chunk) => res.write(chunk);
  }

  it('survives bare "\\n\\n" keepalives longer than the stall bound, then returns ready', async () => {
    const ready = {
      progress: 100,
      ready: true,
      message: 'Server ready at /user/erin/',
      html_message: 'Server ready at <a href="/user/erin/">/user/erin/</a>',
      url: '/user/erin/',
    };
    handler = (_req, res) => {
      const write = stream(res);
      write('\n\n');
      write(`data: ${JSON.stringify({ progress: 0, message: 'Server requested' })}\n\n`);
      let n = 0;
      const timer = setInterval(() => {
        if (++n < 6) return write('\n\n'); // 6 × 60 ms = 360 ms of keepalives only
        clearInterval(timer);
        write(`data: ${JSON.stringify(ready)}\n\n`);
      }, 60);
    };
    const events: HubProgressEvent[] = [];
    const r = await hub().progress('erin', {
      stallMs: 200,
      timeoutMs: 5000,
      onMessage: (ev) => events.push(ev),
    });
    expect(r).toEqual({ url: '/user/erin/', message: 'Server ready at /user/erin/' });
    expect(events.map((e) => e.message)).toEqual(['Server requested', 'Server ready at /user/erin/']);
    expect(seen[0]?.url).toBe('/hub/api/users/erin/server/progress');
  });

  it('turns a failed event into a spawn-failed error carrying the message', async () => {
    handler = (_req, res) => {
      const write = stream(res);
      write(`data: ${JSON.stringify({ progress: 0, message: 'Server requested' })}\n\n`);
      write(`data: ${JSON.stringify({ progress: 100, failed: true, message: 'Spawn failed: Timeout' })}\n\n`);
      res.end();
    };
    const err = await hub()
      .progress('frank', { serverName: 'n1', stallMs: 1000, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ reason: 'spawn-failed', hubMessage: 'Spawn failed: Timeout' });
    expect(seen[0]?.url).toBe('/hub/api/users/frank/servers/n1/progress');
  });

  it('fails with stream-stalled when nothing, not even a keepalive, arrives for stallMs', async () => {
    handler = (_req, res) => {
      stream(res)(`data: ${JSON.stringify({ progress: 0, message: 'Server requested' })}\n\n`);
    };
    const started = Date.now();
    const err = await hub()
      .progress('gina', { stallMs: 200, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'stream-stalled' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('bounds the whole wait by timeoutMs even while keepalives keep coming', async () => {
    handler = (_req, res) => {
      const write = stream(res);
      const timer = setInterval(() => write('\n\n'), 30);
      res.on('close', () => clearInterval(timer));
    };
    const err = await hub()
      .progress('hank', { stallMs: 1000, timeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'timeout' });
  });
});

describe('refusals', () => {
  it('turns 403 into an auth error (exit 3) with no trace of the token', async () => {
    handler = (_req, res) => json(res, 403, { status: 403, message: 'Forbidden' });
    const err = await hub()
      .createUser('ivy')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ reason: 'auth', status: 403, exitCode: 3 });
    const e = err as HubApiError;
    expect(e.hint).toMatch(/admin:users.*servers/);
    for (const text of [e.message, e.hint ?? '', e.stack ?? '', String(e), JSON.stringify(e)]) {
      expect(text).not.toContain(TOKEN);
    }
  });

  it('reports a refused connection as an unreachable TargetError naming the URL', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = new HubClient({ hubUrl: `http://127.0.0.1:${port}`, token: TOKEN, requestTimeoutMs: 5000 });
    const err = await down.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ code: 'HUB_UNREACHABLE', exitCode: 3 });
    expect((err as TargetError).message).toContain(`http://127.0.0.1:${port}/hub/api/`);
    expect((err as TargetError).message).not.toContain(TOKEN);
  });
});
