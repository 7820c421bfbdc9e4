/**
 * launchBinder against an in-process fake BinderHub (node:http on 127.0.0.1, port 0), ONLY for
 * what the real local stack cannot be made to produce on demand: what goes on the wire (headers,
 * build token, raw spec path), a stream held open after `ready`, cut streams, malformed JSON,
 * stalls and timeouts, refusals the emulated front never sends (banned spec, invalid build token,
 * GitHub's rate limit, launch timeout and failure, build failures), a 404 from a wrong URL, a
 * refused connection and an abort. The event texts are BinderHub's own (binderhub @b9fad995
 * builder.py, launcher.py, base.py, repoproviders.py).
 *
 * The real local stack covers the rest: happy-path launches and the missing-Accept answer in
 * test/integration/local-stack.test.ts; the launch quota, the per-IP rate limit (429) and the
 * launcher's retries after JupyterHub's concurrent_spawn_limit in test/integration/local-limits.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BinderLaunchError, type BinderLaunchOptions, launchBinder } from '../../loadgen/clients/binder.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Fake {
  binderUrl: string;
  requests: { url: string; headers: IncomingMessage['headers'] }[];
  /** Resolves when the socket of the first request closes. */
  socketClosed: Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function fakeBinderHub(handler: Handler): Promise<Fake> {
  let closed: () => void = () => undefined;
  const socketClosed = new Promise<void>((resolve) => {
    closed = resolve;
  });
  const requests: Fake['requests'] = [];
  const server = createServer((req, res) => {
    if (requests.length === 0) req.socket.on('close', closed);
    requests.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { binderUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, requests, socketClosed };
}

function open(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

function send(res: ServerResponse, ...events: object[]): void {
  for (const ev of events) res.write(`data: ${JSON.stringify(ev)}\n\n`);
}

const SPEC = 'gh/binder-examples/requirements/HEAD';
const IMAGE = 'r2d-binder-examples-requirements:a1b2c3';
const built = { phase: 'built', imageName: IMAGE, message: 'Found built image, launching...\n' };
const launching = (message: string) => ({ phase: 'launching', message });
const ready = {
  phase: 'ready',
  message: 'server running at http://127.0.0.1:8000/user/binder-examples-requirements-ab12cd34/\n',
  image: IMAGE,
  repo_url: 'https://github.com/binder-examples/requirements',
  token: 'Qm9ndXNUb2tlbkZvclRlc3Q',
  binder_ref_url: 'https://github.com/binder-examples/requirements/tree/a1b2c3',
  binder_launch_host: 'http://127.0.0.1:8585/',
  binder_request: 'v2/gh/binder-examples/requirements/HEAD',
  binder_persistent_request: 'v2/gh/binder-examples/requirements/a1b2c3',
  binder_client_ip: '127.0.0.1',
  url: 'http://127.0.0.1:8000/user/binder-examples-requirements-ab12cd34/',
};

let tick = 0;
function launch(fake: Fake, extra: Partial<BinderLaunchOptions> = {}) {
  return launchBinder({
    binderUrl: fake.binderUrl,
    spec: SPEC,
    stallMs: 5_000,
    timeoutMs: 15_000,
    now: () => ++tick,
    ...extra,
  });
}

async function launchError(p: Promise<unknown>): Promise<BinderLaunchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BinderLaunchError);
  return err as BinderLaunchError;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

describe('launchBinder request', () => {
  it('sends Accept: text/event-stream, the bearer token and the build token, with the spec path raw', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, built, ready);
    });
    const spec = 'git/https%3A%2F%2Fgithub.com%2Fbinder-examples%2Frequirements/HEAD';
    const result = await launch(fake, { spec, hubToken: 'hub-secret', buildToken: 'jwt.a.b' });
    expect(result.url).toBe(ready.url);
    expect(result.binderClientIp).toBe('127.0.0.1');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.url).toBe(`/build/${spec}?build_token=jwt.a.b`);
    expect(fake.requests[0]?.headers.accept).toBe('text/event-stream');
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer hub-secret');
  });

  it('closes the connection as soon as ready arrives although the server holds it open', async () => {
    // BinderHub sleeps 60 s after `ready` before closing; this fake never closes.
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, built, launching('Launching server...\n'), launching('Server requested\n'), ready);
    });
    const result = await launch(fake);
    expect(result.phases.map((p) => p.phase)).toEqual(['built', 'launching', 'ready']);
    await within(fake.socketClosed, 2_000, 'server-side socket close');
  });
});

describe('launchBinder failures', () => {
  it('stream cut mid-launch → stream-cut with the phases and marks so far', async () => {
    const fake = await fakeBinderHub((req, res) => {
      open(res);
      send(res, { phase: 'waiting', message: 'Waiting for build to start...\n' }, built);
      send(res, launching('Launching server...\n'), launching('Server requested\n'));
      setTimeout(() => req.socket.destroy(), 50);
    });
    const err = await launchError(launch(fake));
    expect(err.reason).toBe('stream-cut');
    expect(err.exitCode).toBe(1);
    expect(err.phases.map((p) => p.phase)).toEqual(['waiting', 'built', 'launching']);
    expect(err.marks).toEqual([expect.objectContaining({ kind: 'server-requested' })]);
    expect(err.events).toBe(4);
  });

  it('stream ended cleanly before ready → stream-cut', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, built, launching('Launching server...\n'));
      res.end();
    });
    const err = await launchError(launch(fake));
    expect(err.reason).toBe('stream-cut');
    expect(err.phases.map((p) => p.phase)).toEqual(['built', 'launching']);
  });

  it('malformed event JSON → bad-event', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, { phase: 'waiting', message: 'Waiting for build to start...\n' });
      res.write('data: {"phase":"building","message":"Step 1/51\n\n');
    });
    const err = await launchError(launch(fake));
    expect(err.reason).toBe('bad-event');
    expect(err.phases.map((p) => p.phase)).toEqual(['waiting']);
  });

  const failed = (message: string, status_code?: number) => ({
    phase: 'failed',
    message: `${message}\n`,
    status_code,
  });
  const started = [built, launching('Launching server...\n')];
  const refusals: [string, object[], string, number][] = [
    [
      'banned spec',
      [failed('Sorry, evil/repo/HEAD is not allowed to launch. Please contact admins for more info!')],
      'not-allowed',
      3,
    ],
    ['invalid build token', [failed('Invalid build token', 403)], 'auth', 3],
    [
      'GitHub rate limit',
      [failed('Error resolving ref for gh:o/r/HEAD: GitHub rate limit exceeded. Try again in 5 minutes.')],
      'rate-limit',
      3,
    ],
    [
      'launch timeout',
      [...started, failed(`Image ${IMAGE} for user x took too long to launch`, 500)],
      'launch-timeout',
      1,
    ],
    ['launch failure', [...started, failed(`Failed to launch image ${IMAGE}`, 500)], 'launch-failed', 1],
    [
      'build failure',
      [
        { phase: 'building', message: 'Step 1/51\n' },
        { phase: 'failure', message: 'exit 1\n' },
      ],
      'build-failed',
      1,
    ],
    [
      'build pod failed',
      [{ phase: 'Building', message: 'Building...\n' }, { phase: 'failed' }],
      'build-failed',
      1,
    ],
  ];
  it.each(refusals)('failed event: %s → %s', async (_name, events, reason, exitCode) => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, ...events);
    });
    const err = await launchError(launch(fake));
    expect(err.reason).toBe(reason);
    expect(err.exitCode).toBe(exitCode);
    expect(err.events).toBe(events.length);
  });

  it('headers then nothing, stallMs 300 → stall', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      res.flushHeaders();
    });
    const err = await launchError(launch(fake, { stallMs: 300 }));
    expect(err.reason).toBe('stall');
    await within(fake.socketClosed, 2_000, 'server-side socket close');
  });

  it('no response headers, stallMs 300 → stall', async () => {
    const fake = await fakeBinderHub(() => undefined);
    const err = await launchError(launch(fake, { stallMs: 300 }));
    expect(err.reason).toBe('stall');
  });

  it('keepalives past timeoutMs → timeout', async () => {
    const fake = await fakeBinderHub((req, res) => {
      open(res);
      const timer = setInterval(() => res.write(':keepalive\n\n'), 50);
      req.socket.on('close', () => clearInterval(timer));
    });
    const err = await launchError(launch(fake, { stallMs: 300, timeoutMs: 400 }));
    expect(err.reason).toBe('timeout');
  });

  it('HTTP 404 → http with the status and a binderUrl hint, no build token in the message', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>404: Not Found</html>');
    });
    const err = await launchError(launch(fake, { buildToken: 'jwt-secret' }));
    expect(err).toMatchObject({ reason: 'http', statusCode: 404, exitCode: 1 });
    expect(err.hint).toContain('binderUrl');
    expect(err.message).toContain(`/build/${SPEC}`);
    expect(err.message).not.toContain('jwt-secret');
  });

  it('connection refused on a closed port → unreachable naming the URL', async () => {
    const fake = await fakeBinderHub(() => undefined);
    const server = servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    const err = await launchError(launch(fake));
    expect(err).toMatchObject({ reason: 'unreachable', exitCode: 3 });
    expect(err.message).toContain(`${fake.binderUrl}build/${SPEC}`);
  });

  it('AbortSignal → aborted, with the phases so far', async () => {
    const fake = await fakeBinderHub((_req, res) => {
      open(res);
      send(res, built, launching('Launching server...\n'));
    });
    const controller = new AbortController();
    const err = await launchError(
      launch(fake, {
        signal: controller.signal,
        onEvent: (ev) => ev.phase === 'launching' && controller.abort(),
      }),
    );
    expect(err.reason).toBe('aborted');
    expect(err.phases.map((p) => p.phase)).toEqual(['built', 'launching']);
    await within(fake.socketClosed, 2_000, 'server-side socket close');
  });
});
