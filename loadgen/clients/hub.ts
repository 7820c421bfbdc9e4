import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';
import { RehearseError } from '../../core/errors.js';
import {
  HubApiError,
  type HubProgressEvent,
  type HubToken,
  type HubUser,
  hubFailure,
  hubStatusError,
} from './hub-model.js';
import { classifyFailure, field, HttpFailure, type JsonAnswer, jsonRequest, readBody } from './json-http.js';
import { SseStallError, sseData } from './sse.js';

export {
  HubApiError,
  type HubErrorReason,
  type HubProgressEvent,
  HubRateLimitError,
  type HubServer,
  type HubToken,
  type HubUser,
} from './hub-model.js';

/**
 * JupyterHub REST client (`<hubUrl>hub/api/`), checked against jupyterhub 3.0
 * `apihandlers/users.py`: the default server is `users/{name}/server`, a named one
 * `users/{name}/servers/{serverName}`; the progress stream sends a bare `\n\n` every 8 s and ends
 * with a `ready` or `failed` event. The token goes only into the Authorization header, never into
 * a URL, a message or a log.
 */

export interface HubClientOptions {
  /** e.g. http://127.0.0.1:8000/ — the API is `<hubUrl>hub/api/`. */
  hubUrl: string;
  token: string;
  dispatcher?: Dispatcher;
  /** Bound on each plain API call (default 30 s). */
  requestTimeoutMs?: number;
}

const PAGINATION = 'application/jupyterhub-pagination+json';

export class HubClient {
  readonly apiUrl: string;
  readonly #token: string;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #timeoutMs: number;

  constructor(opts: HubClientOptions) {
    const base = opts.hubUrl.endsWith('/') ? opts.hubUrl : `${opts.hubUrl}/`;
    this.apiUrl = new URL('hub/api/', base).href;
    this.#token = opts.token;
    this.#dispatcher = opts.dispatcher;
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  async version(): Promise<string> {
    const a = await this.#call('GET', '', [200]);
    return String(field(a.body, 'version') ?? '');
  }

  /** 201 → the new user; 409 → HubApiError reason `exists`. */
  async createUser(name: string): Promise<HubUser> {
    return (await this.#call('POST', userPath(name), [201])).body as HubUser;
  }

  async getUser(name: string): Promise<HubUser> {
    return (await this.#call('GET', userPath(name), [200])).body as HubUser;
  }

  async listUsers(): Promise<HubUser[]> {
    const users: HubUser[] = [];
    for (let offset = 0, page = 0; page < 10_000; page++) {
      const a = await this.#call('GET', `users?offset=${offset}`, [200], { accept: PAGINATION });
      if (Array.isArray(a.body)) return a.body as HubUser[]; // a hub without pagination
      users.push(...((field(a.body, 'items') as HubUser[] | undefined) ?? []));
      const next = field(field(a.body, '_pagination'), 'next');
      const nextOffset = field(next, 'offset');
      if (typeof nextOffset !== 'number' || nextOffset <= offset) return users;
      offset = nextOffset;
    }
    return users;
  }

  /** POST the user's server; 201 = started within slow_spawn_timeout, 202 = still spawning. */
  async startServer(
    name: string,
    opts: { serverName?: string; userOptions?: Record<string, unknown> } = {},
  ): Promise<{ status: 201 | 202 }> {
    const a = await this.#call('POST', serverPath(name, opts.serverName), [201, 202], {
      json: opts.userOptions,
    });
    return { status: a.status as 201 | 202 };
  }

  /** Remove a stopped named server: DELETE …/servers/{name} with {"remove": true} (204 or 202). */
  async removeNamedServer(name: string, serverName: string): Promise<void> {
    await this.#call('DELETE', serverPath(name, serverName), [202, 204], { json: { remove: true } });
  }

  /** DELETE the user's server; 204 = stopped, 202 = stop pending. */
  async stopServer(name: string, opts: { serverName?: string } = {}): Promise<{ status: 202 | 204 }> {
    const a = await this.#call('DELETE', serverPath(name, opts.serverName), [202, 204]);
    return { status: a.status as 202 | 204 };
  }

  /**
   * Reads the progress event stream until `ready` (→ its url path and message) or `failed`
   * (→ HubApiError `spawn-failed`). `stallMs` bounds the silence between bytes (the hub's
   * keepalive comes every 8 s), `timeoutMs` the whole wait.
   */
  async progress(
    name: string,
    opts: {
      serverName?: string;
      stallMs: number;
      timeoutMs: number;
      signal?: AbortSignal;
      onMessage?: (ev: HubProgressEvent) => void;
    },
  ): Promise<{ url: string; message: string }> {
    const path = `${serverPath(name, opts.serverName)}/progress`;
    const where = `GET ${this.apiUrl}${path}`;
    const timeout = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    try {
      const res = await request(this.apiUrl + path, {
        method: 'GET',
        headers: { ...this.#headers(), accept: 'text/event-stream' },
        dispatcher: this.#dispatcher,
        signal,
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200) {
        throw hubStatusError(where, res.statusCode, res.headers, await readBody(res.body));
      }
      for await (const data of sseData(res.body, { stallMs: opts.stallMs })) {
        const ev = parseEvent(data);
        opts.onMessage?.(ev);
        if (ev.ready) return { url: ev.url ?? '', message: ev.message ?? '' };
        if (ev.failed) {
          const msg = ev.message ?? '';
          throw new HubApiError('spawn-failed', `${name}'s server failed to start: ${msg}`, {
            hubMessage: msg,
          });
        }
      }
      throw new HubApiError('stream-ended', `${where}: the stream ended before a ready or failed event`);
    } catch (err) {
      if (err instanceof RehearseError) throw err;
      if (err instanceof SseStallError) {
        const msg = `${where}: no byte for ${err.stallMs} ms (the hub sends a keepalive every 8 s)`;
        throw new HubApiError('stream-stalled', msg, { cause: err });
      }
      if (opts.signal?.aborted && !timeout.aborted)
        throw new HubApiError('aborted', `${where} was aborted`, { cause: err });
      throw hubFailure(classifyFailure(err, timeout), where, this.apiUrl, opts.timeoutMs);
    }
  }

  /** Polls the user model every `pollMs` (500) until the server is gone (or the user is). */
  async waitForStopped(
    name: string,
    timeoutMs: number,
    opts: { serverName?: string; pollMs?: number } = {},
  ): Promise<'stopped' | 'absent'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let user: HubUser;
      try {
        user = await this.getUser(name);
      } catch (err) {
        if (err instanceof HubApiError && err.reason === 'not-found') return 'absent';
        throw err;
      }
      if (isStopped(user, opts.serverName ?? '')) return 'stopped';
      if (Date.now() >= deadline) {
        throw new HubApiError('timeout', `${name}'s server did not stop within ${timeoutMs} ms`);
      }
      await sleep(Math.min(opts.pollMs ?? 500, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * DELETE the user. While its server is still stopping the hub answers 400 "… is in the process
   * of stopping, please wait.": retry after `retryDelayMs` (1 s), up to `timeoutMs`. 404 → 'absent'.
   * JupyterHub 3.0 stops only the default server first; an active named server makes the delete
   * fail with 500 ("Spawner … is active and cannot be deleted"), so on a 500 the named servers are
   * stopped and the delete retried, once.
   */
  async deleteUser(
    name: string,
    opts: { timeoutMs: number; retryDelayMs?: number },
  ): Promise<'deleted' | 'absent'> {
    const deadline = Date.now() + opts.timeoutMs;
    let namedStopped = false;
    for (;;) {
      try {
        await this.#call('DELETE', userPath(name), [204]);
        return 'deleted';
      } catch (err) {
        if (!(err instanceof HubApiError)) throw err;
        if (err.reason === 'not-found') return 'absent';
        if (err.reason === 'server-error' && !namedStopped) {
          namedStopped = true;
          if (await this.#stopNamedServers(name, deadline)) continue;
        }
        if (err.reason !== 'stopping' || Date.now() >= deadline) throw err;
      }
      await sleep(Math.min(opts.retryDelayMs ?? 1000, Math.max(0, deadline - Date.now())));
    }
  }

  /** Stops the user's active named servers and waits for them; false if there were none. */
  async #stopNamedServers(name: string, deadline: number): Promise<boolean> {
    const named = Object.keys((await this.getUser(name)).servers ?? {}).filter((s) => s !== '');
    for (const serverName of named) {
      await this.stopServer(name, { serverName });
      await this.waitForStopped(name, Math.max(0, deadline - Date.now()), { serverName });
    }
    return named.length > 0;
  }

  async createToken(
    name: string,
    opts: { scopes?: string[]; expiresIn?: number; note?: string } = {},
  ): Promise<HubToken> {
    const json = { scopes: opts.scopes, expires_in: opts.expiresIn, note: opts.note };
    return (await this.#call('POST', `${userPath(name)}/tokens`, [200, 201], { json })).body as HubToken;
  }

  // ---- plumbing ------------------------------------------------------------------------------

  #headers(): Record<string, string> {
    return { authorization: `token ${this.#token}` };
  }

  async #call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    ok: number[],
    opts: { json?: unknown; accept?: string } = {},
  ): Promise<JsonAnswer> {
    const where = `${method} ${this.apiUrl}${path.split('?')[0]}`;
    const headers = { ...this.#headers(), ...(opts.accept ? { accept: opts.accept } : {}) };
    let a: JsonAnswer;
    try {
      a = await jsonRequest(this.apiUrl + path, {
        method,
        headers,
        json: opts.json,
        dispatcher: this.#dispatcher,
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      if (err instanceof HttpFailure) throw hubFailure(err, where, this.apiUrl, this.#timeoutMs);
      throw err;
    }
    if (!ok.includes(a.status)) throw hubStatusError(where, a.status, a.headers, a.body);
    return a;
  }
}

function userPath(name: string): string {
  return `users/${encodeURIComponent(name)}`;
}

function serverPath(name: string, serverName?: string): string {
  return serverName
    ? `${userPath(name)}/servers/${encodeURIComponent(serverName)}`
    : `${userPath(name)}/server`;
}

/** `servers` lists active servers (needs read:servers); without it, `server`/`pending` (default only). */
function isStopped(user: HubUser, serverName: string): boolean {
  if (user.servers !== undefined) {
    const s = user.servers[serverName];
    return s === undefined || (s.stopped === true && s.pending === null);
  }
  if (serverName === '' && user.server !== undefined) return user.server === null && !user.pending;
  throw new HubApiError('bad-response', `the user model of ${user.name} shows no servers`, {
    hint: 'Give the hub API token the `read:servers` scope (included in `servers`).',
  });
}

function parseEvent(data: string): HubProgressEvent {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (err) {
    throw new HubApiError('bad-response', `progress event is not JSON: ${data.slice(0, 200)}`, {
      cause: err,
    });
  }
  if (value === null || typeof value !== 'object') {
    throw new HubApiError('bad-response', `progress event is not an object: ${data.slice(0, 200)}`);
  }
  return value as HubProgressEvent;
}
