import { type Dispatcher, request } from 'undici';

/**
 * The bounded JSON request both REST clients (JupyterHub, Jupyter Server) share. It knows no
 * service: a failure to get an answer is an HttpFailure with a kind, which each client turns into
 * its own typed error; an answer of any status is returned for the client to judge.
 */

export type HttpFailureKind = 'timeout' | 'unreachable' | 'aborted' | 'connection-lost';

export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    /** errno-style code when there is one (ECONNREFUSED, UND_ERR_SOCKET…). */
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(code ? `${kind} (${code})` : kind, { cause });
    this.name = 'HttpFailure';
  }
}

export type Headers = Record<string, string | string[] | undefined>;

export interface JsonAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
}

export interface JsonRequest {
  method: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  /** Sent as JSON with content-type application/json when defined. */
  json?: unknown;
  dispatcher?: Dispatcher | undefined;
  timeoutMs: number;
}

export async function jsonRequest(url: string, req: JsonRequest): Promise<JsonAnswer> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.json !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body: req.json === undefined ? undefined : JSON.stringify(req.json),
      dispatcher: req.dispatcher,
      signal: timeout,
    });
    return { status: res.statusCode, headers: res.headers, body: await readBody(res.body) };
  } catch (err) {
    throw classifyFailure(err, timeout);
  }
}

export async function readBody(body: Dispatcher.ResponseData['body']): Promise<unknown> {
  const text = await body.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Connect-level errno codes that mean "the target cannot be reached" (refused, no such host, no
 * route, connect timeout). The one list every client (BinderHub, JupyterHub, Jupyter Server REST and
 * websocket) uses, so the same failure gets the same reason everywhere.
 */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** What kind of failure `err` is; `timeout` is the signal that bounds the request. */
export function classifyFailure(err: unknown, timeout: AbortSignal): HttpFailure {
  if (err instanceof HttpFailure) return err;
  if (timeout.aborted) return new HttpFailure('timeout', undefined, err);
  const code = errnoCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) return new HttpFailure('unreachable', code, err);
  if (err instanceof Error && (err.name === 'AbortError' || code === 'UND_ERR_ABORTED')) {
    return new HttpFailure('aborted', code, err);
  }
  return new HttpFailure('connection-lost', code, err);
}

/** The errno-style code of a network error, looking through `cause` and AggregateError. */
export function errnoCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (e as { errors?: unknown }).errors;
    e = Array.isArray(errors) && errors.length > 0 ? errors[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `o[key]` when `o` is a plain JSON object. */
export function field(o: unknown, key: string): unknown {
  return o !== null && typeof o === 'object' && !Array.isArray(o)
    ? (o as Record<string, unknown>)[key]
    : undefined;
}
