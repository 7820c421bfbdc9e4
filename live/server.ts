/**
 * The HTTP side of `--live` and `--metrics`: node:http, GET only, every request checked for the
 * run's token (live/address.ts). One handler serves both: the live server has the page, its
 * assets, `/events`, `/report` and `/metrics`; a `--metrics` server only `/metrics`.
 *
 *   /                  the page (live/page.ts)
 *   /assets/vega.min.js, /assets/live.js
 *   /events            server-sent events (live/hub.ts)
 *   /metrics           Prometheus text exposition (live/metrics.ts)
 *   /report            the final report.html, once written
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { hasToken, type ListenAddress } from './address.js';
import type { LiveHub } from './hub.js';
import { LIVE_CSP, LIVE_JS, livePageHtml } from './page.js';

const require = createRequire(import.meta.url);

/** vega's browser build, read once from the installed package (served, never fetched). */
let vegaJs: Buffer | undefined;
function vegaBundle(): Buffer {
  // The package exports only its module build and schema; the browser build sits beside the schema.
  vegaJs ??= readFileSync(join(dirname(require.resolve('vega/vega-schema.json')), 'vega.min.js'));
  return vegaJs;
}

export interface ServeOptions {
  hub: LiveHub;
  token: string;
  /** false: only /metrics (a `--metrics` server). */
  page: boolean;
}

/** Thrown by `listen` with the address and the system's code (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
export class ListenError extends Error {
  constructor(
    readonly code: string,
    readonly address: ListenAddress,
    message: string,
  ) {
    super(message);
  }
}

export function createLiveServer(o: ServeOptions): Server {
  return createServer((req, res) => {
    handle(o, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${(err as Error).message}\n`);
    });
  });
}

async function handle(o: ServeOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://live.invalid');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (!hasToken(url, req.headers.authorization, o.token)) {
    res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer' });
    res.end(
      'rehearse live: this needs the access token of the URL printed when the run started (?token=… or Authorization: Bearer …)\n',
    );
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' });
    res.end();
    return;
  }
  const path = url.pathname;
  if (path === '/metrics') {
    const text = await o.hub.metrics.text();
    res.writeHead(200, { 'Content-Type': o.hub.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
    return;
  }
  if (!o.page) return notFound(res, 'this address serves /metrics only');
  if (path === '/') {
    return send(res, 'text/html; charset=utf-8', livePageHtml(o.token), {
      'Content-Security-Policy': LIVE_CSP,
    });
  }
  if (path === '/assets/vega.min.js') return send(res, 'text/javascript; charset=utf-8', vegaBundle());
  if (path === '/assets/live.js') return send(res, 'text/javascript; charset=utf-8', LIVE_JS);
  if (path === '/events') {
    o.hub.subscribe(res);
    return;
  }
  if (path === '/report') {
    if (o.hub.reportPath === null) return notFound(res, 'the final report is written when the run ends');
    return send(res, 'text/html; charset=utf-8', readFileSync(o.hub.reportPath), {
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    });
  }
  return notFound(res, `no ${path} here`);
}

function send(res: ServerResponse, type: string, body: string | Buffer, extra: Record<string, string> = {}) {
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function notFound(res: ServerResponse, why: string) {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${why}\n`);
}

/** Listen on `a`; resolves with the port actually bound (a free one for port 0). */
export function listen(server: Server, a: ListenAddress): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new ListenError(err.code ?? 'ERROR', a, err.message));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(a.port, a.host);
  });
}

/** Close a server and every connection it still holds (open event streams). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
