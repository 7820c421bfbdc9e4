/**
 * An in-process fake Kubernetes API server (node:http on 127.0.0.1, port 0) for component tests:
 * no Kubernetes API server can run on the build machines. It serves, for any collection path you
 * give it objects for (`/api/v1/nodes`, `/api/v1/namespaces/<ns>/pods`, `…/events`,
 * `/apis/batch/v1/namespaces/<ns>/jobs`, `/apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods`):
 *
 * - list: `{kind: <Kind>List, metadata: {resourceVersion}, items}` with one cluster-wide, increasing
 *   resourceVersion as etcd has;
 * - watch (`?watch=true|1`): newline-delimited JSON watch events. A watch from resourceVersion R first
 *   replays the path's events newer than R (so nothing emitted between list and watch is lost), then
 *   streams `emit()`ed events live; it honours `timeoutSeconds` by ending the stream, as the real one;
 * - 410 Gone, both ways the real server says it: a watch from a resourceVersion older than the
 *   path's compaction point (`expire()`) gets `{"type":"ERROR","object":{"kind":"Status","code":410}}`
 *   and the stream ends; `scriptWatch(path, [{ httpStatus: 410 }])` answers the next watch with an
 *   HTTP 410 Status instead;
 * - scripted watch connections (`scriptWatch`): per-connection steps (emit, wait, gone, end);
 * - failures: `fail(path, 403)` (a Status like RBAC's), unknown paths 404 (a missing metrics API),
 *   a bearer token other than the kubeconfig's: 401;
 * - `route()` for anything else (pod logs, POST of a Job), checked first.
 * Every request is recorded (`requests`) for assertions. `writeKubeconfig()` writes a kubeconfig
 * pointing at it (http, token auth; client-node requires insecure-skip-tls-verify for http).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KubeObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export type WatchStep =
  | { emit: { type: WatchType; object: KubeObj } }
  | { waitMs: number }
  /** A watch ERROR event with a 410 Status, then the stream ends. */
  | { gone: true }
  /** Answer this connection with an HTTP error Status instead of a stream (first step only). */
  | { httpStatus: number }
  | { end: true };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
  authorization?: string;
}

interface Collection {
  items: Map<string, KubeObj>;
  history: { rv: number; type: WatchType; object: KubeObj }[];
  watchers: Set<ServerResponse>;
  scripts: WatchStep[][];
  /** Watches from a resourceVersion below this get 410. */
  minRv: number;
  failure?: { status: number; times: number };
}

export interface FakeKubeApi {
  url: string;
  token: string;
  requests: RecordedRequest[];
  /** Replace a collection's objects (no watch events; the next list sees them). */
  set(path: string, objects: KubeObj[]): void;
  /** Change an object as the cluster would: a new resourceVersion, history, live watchers. */
  emit(path: string, type: Exclude<WatchType, 'BOOKMARK'>, object: KubeObj): void;
  /** Scripted steps for the next watch connection on path (queued, one script per connection). */
  scriptWatch(path: string, steps: WatchStep[]): void;
  /** Compact: watches from any resourceVersion seen so far get 410; open watches get it now. */
  expire(path: string): void;
  /** End open watch streams of path (as the server does at timeoutSeconds). */
  closeWatches(path: string): void;
  /** Answer list and watch of path with an error Status, `times` times (default: always). */
  fail(path: string, status: number, times?: number): void;
  route(method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse) => void): void;
  openWatches(path: string): number;
  writeKubeconfig(file: string, opts?: { namespace?: string }): string;
  close(): Promise<void>;
}

const KIND: Record<string, string> = { nodes: 'Node', pods: 'Pod', events: 'Event', jobs: 'Job' };

export function statusBody(code: number, message: string, reason: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  410: 'Expired',
  500: 'InternalError',
};

export async function startFakeKubeApi(opts: { token?: string } = {}): Promise<FakeKubeApi> {
  const token = opts.token ?? 'fake-token-0123';
  let rv = 1000;
  const collections = new Map<string, Collection>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const requests: RecordedRequest[] = [];
  const coll = (path: string): Collection => {
    let c = collections.get(path);
    if (!c) {
      c = { items: new Map(), history: [], watchers: new Set(), scripts: [], minRv: 0 };
      collections.set(path, c);
    }
    return c;
  };
  const key = (o: KubeObj) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const sendStatus = (res: ServerResponse, code: number, message: string) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(statusBody(code, message, REASONS[code] ?? 'Unknown')));
  };
  const line = (res: ServerResponse, ev: unknown) => res.write(`${JSON.stringify(ev)}\n`);
  const goneEvent = (from: string) => ({
    type: 'ERROR',
    object: statusBody(410, `too old resource version: ${from} (${rv})`, 'Expired'),
  });

  function emitTo(path: string, type: WatchType, object: KubeObj) {
    const c = coll(path);
    rv += 1;
    const obj: KubeObj = { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
    if (type === 'DELETED') c.items.delete(key(obj));
    else if (type !== 'BOOKMARK') c.items.set(key(obj), obj);
    c.history.push({ rv, type, object: obj });
    for (const w of c.watchers) line(w, { type, object: obj });
  }

  function list(path: string, res: ServerResponse) {
    const c = coll(path);
    const kind = path.includes('metrics.k8s.io')
      ? 'PodMetrics'
      : (KIND[path.split('/').pop() ?? ''] ?? 'Object');
    const apiVersion = path.startsWith('/api/v1') ? 'v1' : path.split('/').slice(2, 4).join('/');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        kind: `${kind}List`,
        apiVersion,
        metadata: { resourceVersion: String(rv) },
        items: [...c.items.values()],
      }),
    );
  }

  async function watch(
    path: string,
    query: Record<string, string>,
    _req: IncomingMessage,
    res: ServerResponse,
  ) {
    const c = coll(path);
    const script = c.scripts.shift() ?? [];
    const first = script[0];
    if (first && 'httpStatus' in first)
      return sendStatus(res, first.httpStatus, `scripted ${first.httpStatus}`);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.socket?.setNoDelay(true);
    res.flushHeaders(); // as the apiserver does: a watch client returns once it has the headers
    const from = Number(query.resourceVersion ?? '0');
    if (query.resourceVersion && from < c.minRv) {
      line(res, goneEvent(query.resourceVersion));
      return res.end();
    }
    if (from > 0) for (const h of c.history) if (h.rv > from) line(res, { type: h.type, object: h.object });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      c.watchers.delete(res);
      clearTimeout(timer);
      res.end();
    };
    const timer = setTimeout(end, Number(query.timeoutSeconds ?? 1800) * 1000);
    // The client went away (an aborted request): the response's close, not the request's.
    res.on('close', end);
    c.watchers.add(res);
    for (const step of script) {
      if (ended) return;
      if ('emit' in step) emitTo(path, step.emit.type, step.emit.object);
      else if ('waitMs' in step) await new Promise((r) => setTimeout(r, step.waitMs));
      else if ('gone' in step) {
        line(res, goneEvent(query.resourceVersion ?? ''));
        return end();
      } else if ('end' in step) return end();
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const isWatch = query.watch === 'true' || query.watch === '1';
    const authorization = req.headers.authorization;
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      watch: isWatch,
      ...(authorization ? { authorization } : {}),
    });
    if (authorization !== `Bearer ${token}`) return sendStatus(res, 401, 'Unauthorized');
    const custom = routes.get(`${req.method} ${url.pathname}`);
    if (custom) return custom(req, res);
    const c = collections.get(url.pathname);
    if (!c || req.method !== 'GET') {
      return sendStatus(res, 404, 'the server could not find the requested resource');
    }
    if (c.failure && c.failure.times > 0) {
      c.failure.times -= 1;
      const resource = url.pathname.split('/').pop();
      return sendStatus(
        res,
        c.failure.status,
        `${resource} is forbidden: User "system:serviceaccount:rehearse:observer" cannot ${isWatch ? 'watch' : 'list'} resource "${resource}"`,
      );
    }
    if (isWatch) void watch(url.pathname, query, req, res);
    else list(url.pathname, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    requests,
    set(path, objects) {
      const c = coll(path);
      c.items = new Map(
        objects.map((o) => [key(o), { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } }]),
      );
    },
    emit: emitTo,
    scriptWatch: (path, steps) => void coll(path).scripts.push(steps),
    expire(path) {
      const c = coll(path);
      c.minRv = rv + 1;
      for (const w of c.watchers) {
        line(w, goneEvent(''));
        w.end();
      }
      c.watchers.clear();
    },
    closeWatches(path) {
      const c = coll(path);
      for (const w of c.watchers) w.end();
      c.watchers.clear();
    },
    fail(path, status, times = Number.POSITIVE_INFINITY) {
      coll(path).failure = { status, times };
    },
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    openWatches: (path) => coll(path).watchers.size,
    writeKubeconfig(file, o = {}) {
      return writeKubeconfig(file, { server: url, token, ...o });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A kubeconfig for an http API server with token auth (context `fake`). */
export function writeKubeconfig(
  file: string,
  o: { server: string; token: string; namespace?: string },
): string {
  const ns = o.namespace ? `\n    namespace: ${o.namespace}` : '';
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: ${o.server}
    insecure-skip-tls-verify: true
users:
- name: fake
  user:
    token: ${o.token}
contexts:
- name: fake
  context:
    cluster: fake
    user: fake${ns}
current-context: fake
`,
  );
  return file;
}
