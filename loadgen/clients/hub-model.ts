import { ExitCode, RehearseError, TargetError } from '../../core/errors.js';
import { field, type Headers, type HttpFailure } from './json-http.js';

/**
 * What the JupyterHub REST client returns and throws. Models as in jupyterhub 3.0
 * `apihandlers/base.py` (`user_model`, `server_model`, `token_model`). Errors: JupyterHub 3.x writes
 * `{"status": <code>, "message": <text>}` (`apihandlers/base.py write_error`); the 429 of
 * `concurrent_spawn_limit` carries a Retry-After header (30–60 s), the one of
 * `active_server_limit` none (`handlers/base.py spawn_single_user`).
 */

export interface HubServer {
  name: string;
  ready: boolean;
  pending: 'spawn' | 'stop' | string | null;
  stopped?: boolean;
  url: string;
  started: string | null;
  last_activity: string | null;
  progress_url: string;
  user_options?: unknown;
}

export interface HubUser {
  name: string;
  admin?: boolean;
  groups?: string[];
  roles?: string[];
  /** URL path of the default server when it is running. */
  server?: string | null;
  pending?: string | null;
  created?: string;
  last_activity?: string | null;
  /** Active servers by name ('' is the default server); needs `read:servers`. */
  servers?: Record<string, HubServer>;
}

export interface HubProgressEvent {
  progress?: number;
  message?: string;
  html_message?: string;
  ready?: boolean;
  failed?: boolean;
  url?: string;
}

export interface HubToken {
  token: string;
  id: string;
  scopes: string[];
  expires_at: string | null;
  note: string | null;
}

export type HubErrorReason =
  | 'exists'
  | 'not-found'
  | 'already-running'
  | 'stopping'
  | 'bad-request'
  | 'auth'
  | 'rate-limit'
  | 'server-error'
  | 'unexpected-status'
  | 'bad-response'
  | 'connection-lost'
  | 'timeout'
  | 'aborted'
  | 'spawn-failed'
  | 'stream-stalled'
  | 'stream-ended';

export class HubApiError extends RehearseError {
  readonly reason: HubErrorReason;
  /** HTTP status, when the hub answered with one. */
  readonly status: number | undefined;
  /** The hub's own `message` (for `spawn-failed`: the failed progress event's message). */
  readonly hubMessage: string | undefined;

  constructor(
    reason: HubErrorReason,
    message: string,
    opts: { status?: number; hubMessage?: string; hint?: string; cause?: unknown; exitCode?: ExitCode } = {},
  ) {
    super(`HUB_${reason.toUpperCase().replaceAll('-', '_')}`, message, opts);
    this.name = 'HubApiError';
    this.reason = reason;
    this.status = opts.status;
    this.hubMessage = opts.hubMessage;
  }
}

export class HubRateLimitError extends HubApiError {
  /** Seconds from Retry-After; undefined when the hub sent none (active_server_limit). */
  readonly retryAfterSec: number | undefined;

  constructor(message: string, opts: { status: number; hubMessage?: string; retryAfterSec?: number }) {
    super('rate-limit', message, {
      ...opts,
      exitCode: ExitCode.unreachable,
      hint:
        opts.retryAfterSec === undefined
          ? 'The hub refused the spawn without Retry-After: `c.JupyterHub.active_server_limit` ' +
            '(z2jh hub.activeServerLimit) is reached. Raise it, or run a smaller cohort.'
          : `The hub asks to retry in ${opts.retryAfterSec} s: \`c.JupyterHub.concurrent_spawn_limit\` ` +
            '(z2jh hub.concurrentSpawnLimit, default 64) is reached. Raise it, or spread the arrivals.',
    });
    this.name = 'HubRateLimitError';
    this.retryAfterSec = opts.retryAfterSec;
  }
}

/** The typed error for a hub answer with an unexpected status. `where` is "METHOD url" (no query). */
export function hubStatusError(where: string, status: number, headers: Headers, body: unknown): HubApiError {
  const raw = field(body, 'message');
  const hubMessage =
    typeof raw === 'string' ? raw : typeof body === 'string' ? body.slice(0, 200) : undefined;
  const message = `JupyterHub answered ${status} to ${where}${hubMessage ? `: ${hubMessage}` : ''}`;
  const opts = { status, hubMessage };
  if (status === 429) {
    return new HubRateLimitError(message, {
      ...opts,
      retryAfterSec: parseRetryAfter(headers['retry-after']),
    });
  }
  if (status === 401 || status === 403) {
    return new HubApiError('auth', message, {
      ...opts,
      exitCode: ExitCode.unreachable,
      hint: 'Check the hub API token, and that its role grants the scopes `admin:users` and `servers`.',
    });
  }
  if (status === 409) return new HubApiError('exists', message, opts);
  if (status === 404) return new HubApiError('not-found', message, opts);
  if (status === 400) {
    const m = hubMessage ?? '';
    if (/in the process of stopping|is pending stop/.test(m))
      return new HubApiError('stopping', message, opts);
    if (/already running/.test(m)) return new HubApiError('already-running', message, opts);
    return new HubApiError('bad-request', message, opts);
  }
  return new HubApiError(status >= 500 ? 'server-error' : 'unexpected-status', message, opts);
}

/** A request that got no answer: unreachable → TargetError (exit 3), the rest → HubApiError. */
export function hubFailure(f: HttpFailure, where: string, apiUrl: string, timeoutMs: number): RehearseError {
  switch (f.kind) {
    case 'unreachable':
      return new TargetError('HUB_UNREACHABLE', `cannot reach JupyterHub at ${apiUrl} (${f.code})`, {
        cause: f,
        hint: 'Check the hub URL, and that the hub and its proxy are running.',
      });
    case 'timeout':
      return new HubApiError('timeout', `${where} got no answer within ${timeoutMs} ms`, { cause: f });
    case 'aborted':
      return new HubApiError('aborted', `${where} was aborted`, { cause: f });
    case 'connection-lost':
      return new HubApiError('connection-lost', `${where} lost its connection (${f.code ?? 'no code'})`, {
        cause: f,
      });
  }
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(h: string | string[] | undefined): number | undefined {
  const v = (Array.isArray(h) ? h[0] : h)?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
