/**
 * The one error type every layer throws when it knows what went wrong and what the user can do.
 *
 * It lives in core/, which every layer may import and which imports nothing of ours. The CLI's
 * top-level handler prints `message` and `hint`, and exits with `exitCode`; stacks only with --debug.
 */

import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

/** Exit codes of the CLI (ARCHITECTURE.md). */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  invalidInput: 2,
  unreachable: 3,
  thresholdsFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class RehearseError extends Error {
  /** Stable machine-readable code, e.g. 'SCENARIO_NOT_FOUND'. */
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** What the user should do about it; printed under the message. */
  readonly hint: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RehearseError';
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.runtime;
    this.hint = opts.hint;
  }
}

/** Invalid user input (scenario, flags): exit 2. */
export class InputError extends RehearseError {
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, exitCode: ExitCode.invalidInput });
    this.name = 'InputError';
  }
}

/** The target could not be reached or refused us (auth, rate limit): exit 3. */
export class TargetError extends RehearseError {
  constructor(code: ErrorCode, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(code, message, { ...opts, exitCode: ExitCode.unreachable });
    this.name = 'TargetError';
  }
}
