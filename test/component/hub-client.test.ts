import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TargetError } from '../../core/errors.js';
import { HubApiError, HubClient, type HubProgressEvent } from '../../loadgen/clients/hub.js';
import { freePort } from '../../provision/local/processes.js';

/**
 * An in-process fake JupyterHub on 127.0.0.1:0, ONLY for what the real hub cannot be made to do
 * deterministically: the 400 "in the process of stopping" race on delete (retried, and bounded),
 * progress streams that carry only keepalives or stall, the bound on the whole progress wait, a
 * refused connection, and the token never reaching an error. The rest — real paths and models,
 * 201/202/204/404/409, the 403 of a wrong token, a failed spawn's progress event, and both real
 * 429s (concurrent_spawn_limit with Retry-After, active_server_limit without) — runs against the
 * real JupyterHub 3 in test/integration/hub-client.test.ts. Answers follow jupyterhub 3.0
 * `apihandlers/` (errors are `{"status", "message"}`, keepalives are bare "\n\n").
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

/** The token must appear in no part of an error a user may see or log. */
function expectNoToken(err: unknown): void {
  const e = err as Error & { hint?: string };
  for (const text of [e.message, e.hint ?? '', e.stack ?? '', String(e), JSON.stringify(e)]) {
    expect(text).not.toContain(TOKEN);
  }
}

const hub = (): HubClient => new HubClient({ hubUrl, token: TOKEN, requestTimeoutMs: 5000 });

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
    const err = await hub()
      .deleteUser('dan', { timeoutMs: 300, retryDelayMs: 50 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ reason: 'stopping', status: 400, code: 'HUB_STOPPING' });
    expect(seen.length).toBeGreaterThan(1);
    expectNoToken(err);
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

  it('fails with stream-stalled when nothing, not even a keepalive, arrives for stallMs', async () => {
    handler = (_req, res) => {
      stream(res)(`data: ${JSON.stringify({ progress: 0, message: 'Server requested' })}\n\n`);
    };
    // Without the stall bound this would end as `timeout` after 5 s instead.
    const err = await hub()
      .progress('gina', { stallMs: 200, timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ reason: 'stream-stalled' });
    expectNoToken(err);
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
    expect(err).toBeInstanceOf(HubApiError);
    expect(err).toMatchObject({ reason: 'timeout' });
    expectNoToken(err);
  });
});

describe('unreachable hub', () => {
  it('reports a refused connection as an unreachable TargetError naming the URL', async () => {
    const port = await freePort(); // released at once: nothing listens there
    const down = new HubClient({ hubUrl: `http://127.0.0.1:${port}`, token: TOKEN, requestTimeoutMs: 5000 });
    const err = await down.version().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetError);
    expect(err).toMatchObject({ code: 'HUB_UNREACHABLE', exitCode: 3 });
    expect((err as TargetError).message).toContain(`http://127.0.0.1:${port}/hub/api/`);
    expectNoToken(err);
  });
});
