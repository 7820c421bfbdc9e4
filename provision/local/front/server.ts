import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuildCache, type BuildEvent } from './build-cache.js';
import { Launcher, type LaunchSettings } from './launcher.js';
import { RateLimiter } from './rate-limit.js';
import { resolveSpec } from './repos.js';

/**
 * The BinderHub-API front of the local target: `/build/<provider>/<spec>` as an event stream that
 * behaves like BinderHub's BuildHandler where a client can see it, `/health` and `/versions`.
 * Builds are emulated (build-cache.ts); launches go through the real local JupyterHub (launcher.ts).
 */

export interface FrontSettings extends LaunchSettings {
  host: '127.0.0.1';
  port: number;
  reposDir: string;
  /** Emulated build time of a ref's first launch. */
  buildMs: number;
  /** Launch quota (total running servers); 0 = none. */
  launchQuota: number;
  /** BinderHub RateLimiter; limit 0 = off (the default here). */
  rateLimit: number;
  ratePeriodSec: number;
  keepaliveMs: number;
  /** BinderHub sleeps 60 s after `ready` before closing the stream. */
  holdOpenAfterReadyMs: number;
  version: string;
}

export interface Front {
  url: string;
  server: Server;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startFront(s: FrontSettings): Promise<Front> {
  const cache = new BuildCache(s.buildMs, sleep);
  const launcher = new Launcher(s);
  const limiter = new RateLimiter(s.rateLimit, s.ratePeriodSec);
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      // An event stream already under way gets BinderHub's failed event (its send_error does the same).
      console.error(`${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
      if (res.headersSent) {
        if (!res.writableEnded) {
          res.end(
            `data: ${JSON.stringify({ phase: 'failed', status_code: 500, message: `${(err as Error).message}\n` })}\n\n`,
          );
        }
        return;
      }
      json(res, 500, { status: 500, message: (err as Error).message });
    });
  });
  let url = '';

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const m = /^\/build\/([^/]+)\/(.+)$/.exec(path);
    if (req.method === 'GET' && m) return build(req, res, m[1] as string, m[2] as string);
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/health') return health(res);
    if (req.method === 'GET' && path === '/versions') {
      return json(res, 200, {
        binderhub: `rehearse-local-emulation ${s.version}`,
        builder_info: {
          emulation: true,
          note: 'rehearse local target: this is not BinderHub. Builds are emulated (no container is built); launches go through a real local JupyterHub.',
          build_seconds: s.buildMs / 1000,
        },
      });
    }
    json(res, 404, { status: 404, message: 'Not Found' });
  }

  async function health(res: ServerResponse): Promise<void> {
    const hubOk = await launcher.hubHealthy();
    const checks: Record<string, unknown>[] = [{ service: 'JupyterHub API', ok: hubOk }];
    if (s.launchQuota > 0) {
      const running = hubOk ? await launcher.runningServers() : 0;
      checks.push({
        service: 'Pod quota',
        user_pods: running,
        quota: s.launchQuota,
        ok: running < s.launchQuota,
      });
    }
    json(res, hubOk ? 200 : 503, { ok: hubOk, checks, emulation: true });
  }

  async function build(
    req: IncomingMessage,
    res: ServerResponse,
    provider: string,
    spec: string,
  ): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    };
    const stream = openStream(res, s.keepaliveMs);
    const accept = new Set((req.headers.accept ?? '').split(';').map((x) => x.trim().toLowerCase()));
    if (!accept.has('text/event-stream')) {
      res.writeHead(200, headers);
      stream.send({
        phase: 'failed',
        status_code: 400,
        message: 'Missing Accept header: text/event-stream\n',
      });
      return stream.end();
    }
    if (s.rateLimit > 0) {
      const r = limiter.increment(req.socket.remoteAddress ?? 'unknown');
      if (r.exceeded) {
        res.writeHead(200, headers);
        stream.send({
          phase: 'failed',
          status_code: 429,
          message: `Rate limit exceeded. Try again in ${s.ratePeriodSec} seconds.\n`,
        });
        return stream.end();
      }
      headers['x-ratelimit-remaining'] = String(r.remaining);
      headers['x-ratelimit-reset'] = String(r.resetEpochSec);
      headers['x-ratelimit-limit'] = String(s.rateLimit);
    }
    res.writeHead(200, headers);
    const resolved = resolveSpec(s.reposDir, provider, spec);
    if (!resolved.ok) {
      stream.send({ phase: 'failed', message: `${resolved.message}\n` });
      return stream.end();
    }
    const repo = resolved.repo;
    if (!cache.isBuilt(repo.image) && !(await withinQuota(stream))) return stream.end();
    await cache.ensureBuilt(repo.image, (ev: BuildEvent) => stream.send(ev));
    if (!(await withinQuota(stream))) return stream.end();
    stream.send({ phase: 'launching', message: 'Launching server...\n' });
    const extra = {
      binder_ref_url: repo.refUrl,
      binder_launch_host: url,
      binder_request: repo.binderRequest,
      binder_persistent_request: repo.binderPersistentRequest,
      binder_client_ip: req.socket.remoteAddress ?? '',
    };
    try {
      const info = await launcher.launch({
        image: repo.image,
        repoUrl: repo.repoUrl,
        extra,
        sleep,
        emit: (message) => stream.send({ phase: 'launching', message }),
      });
      stream.send({ phase: 'ready', message: `server running at ${info.url}\n`, ...info });
    } catch (err) {
      stream.send({ phase: 'failed', status_code: 500, message: `${(err as Error).message}\n` });
      return stream.end();
    }
    await stream.holdOpen(s.holdOpenAfterReadyMs);
    stream.end();
  }

  async function withinQuota(stream: EventStream): Promise<boolean> {
    if (s.launchQuota <= 0) return true;
    if ((await launcher.runningServers()) < s.launchQuota) return true;
    stream.send({ phase: 'failed', message: 'Too many users on this BinderHub! Try again soon.\n' });
    return false;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(s.port, s.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  url = `http://${s.host}:${addr.port}/`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface EventStream {
  send(ev: object): void;
  holdOpen(ms: number): Promise<void>;
  end(): void;
}

/** `data: <json>` framing, `:keepalive` comments, and nothing written after the client left. */
function openStream(res: ServerResponse, keepaliveMs: number): EventStream {
  let closed = false;
  let wake: (() => void) | undefined;
  const keepalive = setInterval(() => {
    if (!closed && res.headersSent) res.write(':keepalive\n\n');
  }, keepaliveMs);
  res.on('close', () => {
    closed = true;
    clearInterval(keepalive);
    wake?.();
  });
  return {
    send(ev) {
      if (!closed) res.write(`data: ${JSON.stringify(ev)}\n\n`);
    },
    holdOpen(ms) {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    },
    end() {
      clearInterval(keepalive);
      if (!closed) res.end();
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
