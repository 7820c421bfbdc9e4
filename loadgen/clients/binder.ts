import { performance } from 'node:perf_hooks';
import { type Dispatcher, request } from 'undici';
import {
  BINDER_PHASES,
  BinderLaunchError,
  type BinderPhase,
  type BinderProgress,
  classifyFailure,
  connectError,
  errorText,
  type Fail,
  hasCode,
  httpHint,
  type PhaseMark,
  type TimedSpawnerMark,
} from './binder-errors.js';
import { parseSpawnerMessage } from './spawner-progress.js';
import { SseStallError, sseData } from './sse.js';

export {
  BINDER_PHASES,
  type BinderFailureReason,
  BinderLaunchError,
  type BinderPhase,
  type BinderProgress,
  type PhaseMark,
  type TimedSpawnerMark,
} from './binder-errors.js';

/**
 * The BinderHub launch client: one `GET <binderUrl>/build/<spec>` event stream, read until
 * `ready` or `failed`, then closed at once (BinderHub keeps it open 60 s after `ready`).
 *
 * Never reconnects: each GET is a new build and launch (binderhub#317). Each `data:` is JSON; phases
 * are lower-cased (FakeBuild sends "Building"), repo2docker's `failure` counts as `failed`, other
 * phases are recorded as `unknown`, and events without a phase are fine (repo2docker log lines).
 * Malformed JSON fails the launch (`bad-event`) rather than being skipped: BinderHub wraps non-JSON
 * log lines itself, so broken JSON means a broken proxy or server and the rest cannot be trusted.
 */

export interface BinderEvent {
  /** Normalised phase; null when the event had no `phase` key. */
  phase: BinderPhase | null;
  /** The phase as sent, when it differs from `phase` (e.g. "Building", "failure", "Deleted"). */
  rawPhase?: string;
  message?: string;
  /** Clock value (opts.now) when the event arrived. */
  t: number;
  payload: Readonly<Record<string, unknown>>;
}

export interface BinderLaunch extends BinderProgress {
  url: string;
  /** The Jupyter server token. */
  token: string;
  image?: string;
  repoUrl?: string;
  binderRefUrl?: string;
  binderLaunchHost?: string;
  binderRequest?: string;
  binderPersistentRequest?: string;
  /** Sent by BinderHub since 2026-03. */
  binderClientIp?: string;
  /** Clock values when the GET was sent and when the response headers arrived. */
  requestedAt: number;
  respondedAt: number;
}

export interface BinderLaunchOptions {
  /** BinderHub base URL, e.g. http://127.0.0.1:8585/ or https://binder.example.org/ */
  binderUrl: string;
  /** Provider spec, e.g. gh/org/repo/ref; sent raw (git/ specs keep their %2F). */
  spec: string;
  /** Sent as `Authorization: Bearer` (BinderHub with auth enabled). */
  hubToken?: string;
  /** Sent as ?build_token= (skips the per-IP rate limit). */
  buildToken?: string;
  /** Fail when no byte arrives for this long; BinderHub sends a keepalive every 25 s. Default 90 s. */
  stallMs?: number;
  /** Overall bound for the launch. Default 15 min. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Millisecond clock for marks. Default performance.now. */
  now?: () => number;
  onEvent?: (ev: BinderEvent) => void;
  dispatcher?: Dispatcher;
}

/** Accumulates phases, marks and counts as events arrive. */
class LaunchProgress implements BinderProgress {
  readonly phases: PhaseMark[] = [];
  readonly marks: TimedSpawnerMark[] = [];
  events = 0;
  retries = 0;

  record(ev: BinderEvent): void {
    this.events += 1;
    if (ev.phase !== null && !this.phases.some((p) => p.phase === ev.phase)) {
      this.phases.push({ phase: ev.phase, t: ev.t });
    }
    if (ev.phase !== 'launching' || ev.message === undefined) return;
    if (/^Launch attempt \d+ failed, retrying/.test(ev.message)) this.retries += 1;
    const mark = parseSpawnerMessage(ev.message);
    if (mark !== null) this.marks.push({ ...mark, t: ev.t });
  }
}

export async function launchBinder(opts: BinderLaunchOptions): Promise<BinderLaunch> {
  const now = opts.now ?? (() => performance.now());
  const stallMs = opts.stallMs ?? 90_000;
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  const progress = new LaunchProgress();
  const fail: Fail = (reason, message, extra = {}) =>
    new BinderLaunchError(reason, message, { progress, ...extra });
  const { url, shown } = buildUrl(opts.binderUrl, opts.spec, opts.buildToken, fail);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  // Aborts and stalls can surface as any error of undici's; say which it was.
  const interrupted = (cause: unknown): BinderLaunchError | undefined => {
    if (opts.signal?.aborted) return fail('aborted', `launch of ${opts.spec} aborted`, { cause });
    if (timeout.aborted)
      return fail('timeout', `launch of ${opts.spec} took over ${timeoutMs} ms`, { cause });
    if (cause instanceof SseStallError)
      return fail('stall', `no data from ${shown} for ${stallMs} ms`, { cause });
    return undefined;
  };

  const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
  if (opts.hubToken) headers.authorization = `Bearer ${opts.hubToken}`;
  const requestedAt = now();
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'GET',
      headers,
      signal,
      headersTimeout: stallMs,
      bodyTimeout: 0, // the stall bound is sseData's
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
  } catch (cause) {
    throw interrupted(cause) ?? connectError(cause, shown, stallMs, fail);
  }
  const respondedAt = now();
  try {
    checkResponse(res, shown, fail);
    for await (const data of sseData(res.body, { stallMs })) {
      signal.throwIfAborted();
      const ev = parseEvent(data, now(), fail);
      progress.record(ev);
      opts.onEvent?.(ev);
      if (ev.phase === 'ready') return readyResult(ev, progress, requestedAt, respondedAt, fail);
      if (ev.phase === 'failed') throw failureError(ev, progress, opts.spec);
    }
    throw fail('stream-cut', `${shown} closed the event stream before ready or failed`);
  } catch (cause) {
    if (cause instanceof BinderLaunchError) throw cause;
    const known = interrupted(cause);
    if (known) throw known;
    if (hasCode(cause))
      throw fail('stream-cut', `event stream from ${shown} broke: ${errorText(cause)}`, { cause });
    throw cause;
  } finally {
    close(res.body); // BinderHub would hold the connection 60 s after ready
  }
}

type Body = Dispatcher.ResponseData['body'];

/** Closes the connection. undici answers by emitting its own RequestAbortedError: expected, not a failure. */
function close(body: Body): void {
  if (body.destroyed) return;
  body.on('error', () => undefined);
  body.destroy();
}

/** `<binderUrl>/build/<spec>` without double slashes; `shown` leaves out the query (build token). */
function buildUrl(binderUrl: string, spec: string, buildToken: string | undefined, fail: Fail) {
  let base: URL;
  try {
    base = new URL(binderUrl);
  } catch (cause) {
    throw fail('bad-request', `binderUrl ${JSON.stringify(binderUrl)} is not a URL`, { cause });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw fail('bad-request', `binderUrl must be http(s), got ${base.protocol}`);
  }
  const shown = `${base.origin}${base.pathname.replace(/\/+$/, '')}/build/${spec.replace(/^\/+/, '')}`;
  const url = buildToken ? `${shown}?build_token=${encodeURIComponent(buildToken)}` : shown;
  return { url, shown };
}

function checkResponse(res: Dispatcher.ResponseData, shown: string, fail: Fail): void {
  const type = String(res.headers['content-type'] ?? '');
  const status = res.statusCode;
  if (status === 200 && type.includes('text/event-stream')) return;
  const hint = httpHint(status);
  const what = status === 200 ? ` with content-type "${type}"` : '';
  throw fail('http', `${shown} answered HTTP ${status}${what}`, {
    statusCode: status,
    ...(hint ? { hint } : {}),
  });
}

function parseEvent(data: string, t: number, fail: Fail): BinderEvent {
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch (cause) {
    throw fail('bad-event', `malformed event JSON: ${JSON.stringify(data.slice(0, 200))}`, { cause });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw fail('bad-event', `event is not a JSON object: ${JSON.stringify(data.slice(0, 200))}`);
  }
  const record = payload as Record<string, unknown>;
  const ev: BinderEvent = { phase: null, t, payload: record };
  if (typeof record.message === 'string') ev.message = record.message;
  if (typeof record.phase === 'string') {
    const lower = record.phase.toLowerCase();
    const known = (BINDER_PHASES as readonly string[]).includes(lower);
    ev.phase = (lower === 'failure' ? 'failed' : known ? lower : 'unknown') as BinderPhase;
    if (ev.phase !== record.phase) ev.rawPhase = record.phase;
  }
  return ev;
}

const READY_FIELDS = [
  ['image', 'image'],
  ['repoUrl', 'repo_url'],
  ['binderRefUrl', 'binder_ref_url'],
  ['binderLaunchHost', 'binder_launch_host'],
  ['binderRequest', 'binder_request'],
  ['binderPersistentRequest', 'binder_persistent_request'],
  ['binderClientIp', 'binder_client_ip'],
] as const;

function readyResult(
  ev: BinderEvent,
  progress: BinderProgress,
  requestedAt: number,
  respondedAt: number,
  fail: Fail,
): BinderLaunch {
  const str = (key: string): string | undefined => {
    const v = ev.payload[key];
    return typeof v === 'string' ? v : undefined;
  };
  const url = str('url');
  const token = str('token');
  if (url === undefined || token === undefined)
    throw fail('bad-event', 'the ready event has no url or token');
  const { phases, marks, events, retries } = progress;
  const launch: BinderLaunch = { url, token, requestedAt, respondedAt, phases, marks, events, retries };
  for (const [field, key] of READY_FIELDS) {
    const value = str(key);
    if (value !== undefined) launch[field] = value;
  }
  return launch;
}

function failureError(ev: BinderEvent, progress: BinderProgress, spec: string): BinderLaunchError {
  const status = typeof ev.payload.status_code === 'number' ? ev.payload.status_code : undefined;
  const text = (ev.message ?? '').trim();
  const { reason, hint } = classifyFailure(
    text,
    status,
    progress.phases.map((p) => p.phase),
  );
  const message = `BinderHub failed the launch of ${spec}${status === undefined ? '' : ` (${status})`}: ${text || '(no message)'}`;
  return new BinderLaunchError(reason, message, {
    progress,
    serverMessage: text,
    ...(status === undefined ? {} : { statusCode: status }),
    ...(hint === undefined ? {} : { hint }),
  });
}
