import { ExitCode, RehearseError } from '../../core/errors.js';
import { errnoCode, UNREACHABLE_CODES } from './json-http.js';
import type { SpawnerMark } from './spawner-progress.js';

/**
 * What a failed BinderHub launch means, and what the user can do about it.
 *
 * BinderHub reports most refusals as HTTP 200 plus one `failed` event (an event stream cannot carry
 * a status), sometimes with `status_code`. The texts matched in `classifyFailure` are copied from
 * jupyterhub/binderhub @b9fad995: base.py (rate limit, build token, banned networks), builder.py
 * (banned spec, ref resolution, send_error), launcher.py (launch failures), quota.py, repoproviders.py.
 */

export const BINDER_PHASES = [
  'waiting',
  'fetching',
  'building',
  'pushing',
  'built',
  'launching',
  'ready',
  'failed',
  'unknown',
] as const;
export type BinderPhase = (typeof BINDER_PHASES)[number];

export interface PhaseMark {
  phase: BinderPhase;
  t: number;
}
export type TimedSpawnerMark = SpawnerMark & { t: number };

/** What was seen so far; a BinderLaunchError carries it too (partial timing for the load generator). */
export interface BinderProgress {
  /** First time each phase was seen, in order of first appearance. */
  phases: PhaseMark[];
  /** Parsed KubeSpawner/JupyterHub progress messages of the `launching` phase. */
  marks: TimedSpawnerMark[];
  events: number;
  /** "Launch attempt N failed, retrying..." messages. */
  retries: number;
}

export type BinderFailureReason =
  | 'rate-limit'
  | 'quota'
  | 'not-allowed'
  | 'bad-request'
  | 'auth'
  | 'launch-failed'
  | 'launch-timeout'
  | 'build-failed'
  | 'stream-cut'
  | 'stall'
  | 'timeout'
  | 'bad-event'
  | 'http'
  | 'unreachable'
  | 'aborted';

/** The target refused us or cannot be reached: CLI exit 3. */
const TARGET_REASONS: ReadonlySet<BinderFailureReason> = new Set([
  'unreachable',
  'rate-limit',
  'quota',
  'not-allowed',
  'auth',
]);

const HINTS: Partial<Record<BinderFailureReason, string>> = {
  'rate-limit':
    'BinderHub limits launches per client IP (RateLimiter, default 10 per hour): set `c.RateLimiter.limit = 0` on the hub under test, or use a build token.',
  quota:
    'LaunchQuota reached: raise c.LaunchQuota.total_quota / c.BinderHub.per_repo_quota on the hub under test, or run a smaller cohort.',
  'not-allowed':
    'The spec is banned or outside allowed_specs on this BinderHub (or this network is banned): use a spec it allows.',
  auth: 'BinderHub has auth enabled, or the build token is invalid or expired (they live 300 s, bound to spec and Origin): pass a hub token, or fetch a fresh build token.',
  'bad-request':
    'BinderHub rejected the request: check the spec (provider/org/repo/ref) and that the repo is public.',
  'launch-timeout':
    'JupyterHub did not get the server ready within Launcher.launch_timeout (default 600 s): the marks (scale-up, image pull) show where the time went.',
  'launch-failed':
    'JupyterHub failed the spawn on every one of Launcher.retries attempts: check the hub logs (a concurrent_spawn_limit 429 shows up as "Launch attempt N failed").',
  'build-failed': 'The image build failed: read the build log lines (onEvent).',
  'stream-cut':
    'The event stream closed before ready/failed: a proxy timeout or a BinderHub restart. Do not retry blindly: a new GET is a new launch.',
  stall:
    'No byte arrived although BinderHub sends a keepalive every 25 s: a proxy is buffering the stream, or the hub is hung.',
  'bad-event':
    'BinderHub wraps non-JSON lines itself, so malformed JSON means a broken proxy or server in between.',
  unreachable: 'Check binderUrl and that the BinderHub is up.',
};

export interface BinderLaunchErrorOptions {
  progress: BinderProgress;
  statusCode?: number;
  serverMessage?: string;
  /** Overrides the reason's default hint. */
  hint?: string;
  cause?: unknown;
}

export class BinderLaunchError extends RehearseError {
  readonly reason: BinderFailureReason;
  readonly statusCode: number | undefined;
  /** The `message` of BinderHub's `failed` event, trimmed. */
  readonly serverMessage: string | undefined;
  readonly phases: PhaseMark[];
  readonly marks: TimedSpawnerMark[];
  readonly events: number;
  readonly retries: number;

  constructor(reason: BinderFailureReason, message: string, opts: BinderLaunchErrorOptions) {
    const hint = opts.hint ?? HINTS[reason];
    super(`BINDER_${reason.toUpperCase().replaceAll('-', '_')}`, message, {
      exitCode: TARGET_REASONS.has(reason) ? ExitCode.unreachable : ExitCode.runtime,
      ...(hint === undefined ? {} : { hint }),
      cause: opts.cause,
    });
    this.name = 'BinderLaunchError';
    this.reason = reason;
    this.statusCode = opts.statusCode;
    this.serverMessage = opts.serverMessage;
    this.phases = [...opts.progress.phases];
    this.marks = [...opts.progress.marks];
    this.events = opts.progress.events;
    this.retries = opts.progress.retries;
  }
}

/**
 * A `failed` event → reason (+ a hint when the default one does not fit). Most specific text
 * first, then the status code, then the phases seen: a failure after `launching` is a launch failure,
 * before it a build failure (repo2docker errors, build pod failures).
 */
export function classifyFailure(
  text: string,
  statusCode: number | undefined,
  phasesSeen: readonly BinderPhase[],
): { reason: BinderFailureReason; hint?: string } {
  if (/GitHub rate limit exceeded/i.test(text)) {
    return {
      reason: 'rate-limit',
      hint: 'BinderHub ran out of GitHub API calls: set GITHUB_ACCESS_TOKEN on the BinderHub under test.',
    };
  }
  if (statusCode === 429 || text.includes('Rate limit exceeded')) return { reason: 'rate-limit' };
  if (text.startsWith('Too many users')) return { reason: 'quota' };
  if (text.includes('is not allowed to launch') || /^Requests from .* are not allowed/.test(text)) {
    return { reason: 'not-allowed' };
  }
  if (statusCode === 403) return { reason: 'auth' };
  if (statusCode === 400 || /^(Could not resolve ref|Error resolving ref|No provider found)/.test(text)) {
    return { reason: 'bad-request' };
  }
  if (text.includes('took too long to launch')) return { reason: 'launch-timeout' };
  if (/Failed to launch image|failed to launch|Failed to create temporary user|Spawn failed/.test(text)) {
    return { reason: 'launch-failed' };
  }
  return { reason: phasesSeen.includes('launching') ? 'launch-failed' : 'build-failed' };
}

export type Fail = (
  reason: BinderFailureReason,
  message: string,
  extra?: { cause?: unknown; statusCode?: number; hint?: string },
) => BinderLaunchError;

/** A non-200 (or non-event-stream 200) answer to GET /build → what to check. */
export function httpHint(status: number): string | undefined {
  if (status === 404 || status === 200) {
    return 'This is not a BinderHub /build endpoint: binderUrl must be the BinderHub base URL (e.g. https://binder.example.org/), not the JupyterHub URL.';
  }
  if (status >= 300 && status < 400) {
    return 'Redirected: binderUrl may lack a path prefix or https, or auth is on (pass a hub token).';
  }
  if (status >= 500) return 'BinderHub or the ingress in front of it is failing or overloaded.';
  return undefined;
}

/** An error before any response → stall (no headers), unreachable (connect and TLS errors) or stream-cut. */
export function connectError(cause: unknown, shown: string, stallMs: number, fail: Fail): unknown {
  const code = errnoCode(cause);
  if (code === undefined || !(cause instanceof Error)) return cause;
  const text = cause.message.includes(code) ? cause.message : `${code} ${cause.message}`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return fail('stall', `${shown} sent no response headers within ${stallMs} ms`, { cause });
  }
  if (UNREACHABLE_CODES.has(code)) return fail('unreachable', `cannot reach ${shown}: ${text}`, { cause });
  if (/^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_)/.test(code)) {
    const hint = 'The TLS certificate of the BinderHub is not trusted here (NODE_EXTRA_CA_CERTS adds a CA).';
    return fail('unreachable', `TLS to ${shown} failed: ${text}`, { cause, hint });
  }
  return fail('stream-cut', `connection to ${shown} failed before a response: ${text}`, { cause });
}

export function hasCode(e: unknown): e is Error & { code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

export function errorText(e: Error & { code: string }): string {
  return e.message.includes(e.code) ? e.message : `${e.code} ${e.message}`;
}
