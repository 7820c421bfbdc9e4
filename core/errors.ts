/**
 * The one error type every layer throws when it knows what went wrong and what the user can do.
 *
 * It lives in core/, which every layer may import and which imports nothing of ours. The CLI's
 * top-level handler prints `message` and `hint`, and exits with `exitCode`; stacks only with --debug.
 */

/** Exit codes of the CLI (ARCHITECTURE.md). */
export const ExitCode = {
  ok: 0,
  runtime: 1,
  invalidInput: 2,
  unreachable: 3,
  thresholdsFailed: 99,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * Every error code the tool throws: stable and machine-readable (records, JUnit, `--json` output and
 * tests match on them). A new failure gets a new code here, so the list stays the one inventory.
 */
export const ERROR_CODES = [
  'AT_INVALID',
  'AT_MISSING',
  'CAPACITY_MISSING',
  'CELL_FAILED',
  'CHECK_INPUT',
  'CHECK_NOTHING_RAN',
  'CHECK_NO_LAUNCH',
  'CLUSTER_UNKNOWN',
  'CONFIG_INVALID',
  'CONFIG_UNREADABLE',
  'CONFIRMATION_NEEDED',
  'DIRTY_HUB',
  'DURATION_INVALID',
  'FLAG_INVALID',
  'FLAVOR_UNSUPPORTED',
  'GUARDRAIL',
  'HELM_VALUES_INVALID',
  'HUB_UNREACHABLE',
  'INTERRUPTED',
  'K8S_CREATE_FAILED',
  'K8S_DELETE_FAILED',
  'KUBECONFIG_INVALID',
  'KUBECONFIG_MISSING',
  'LEFTOVERS',
  'LIVE_ADDRESS_INVALID',
  'LIVE_ADDRESS_IN_USE',
  'LIVE_NOT_LOOPBACK',
  'LOCAL_NOT_HEALTHY',
  'LOCAL_NOT_RUNNING',
  'LOCAL_STACK_BUSY',
  'LOCAL_STACK_MISSING',
  'LOCAL_STACK_START',
  'MAGNUM_CALL_FAILED',
  'MAGNUM_WOULD_REFUSE',
  'MIRROR_UNKNOWN',
  'MMDEBSTRAP_MISSING',
  'NODES_DID_NOT_ARRIVE',
  'NOTEBOOK_EMPTY',
  'NOTEBOOK_INVALID',
  'NOTEBOOK_NOT_FOUND',
  'NOT_BUILT',
  'NOT_CONFIRMED',
  'NO_ARRIVALS',
  'OPENSTACK_CLI_MISSING',
  'PLAN_INVALID',
  'PLAN_MISSING',
  'PRESCALE_STEP_UNKNOWN',
  'PROVIDER_SCHEMA',
  'PROXY_TOKEN_MISSING',
  'QUANTITY_INVALID',
  'RATE_INVALID',
  'RECORD_CLOSED',
  'RECORD_EXISTS',
  'RECORD_INVALID',
  'RECORD_SECRET',
  'REPLACE_REFUSED',
  'REPO_LIST_INVALID',
  'ROOT_BUILD_FAILED',
  'ROOT_BUSY',
  'ROOT_MOUNTED',
  'SCENARIO_CHANGED',
  'SCENARIO_INVALID',
  'SCENARIO_NOT_FOUND',
  'SLO_INVALID',
  'SLO_UNREACHABLE',
  'STACK_BROKEN',
  'STACK_MISMATCH',
  'STACK_NEEDS_ROOT',
  'STACK_ROOT_MISSING',
  'STACK_UNAVAILABLE',
  'STACK_UNKNOWN',
  'STATE_ELSEWHERE',
  'STATE_UNREADABLE',
  'TARGET_INVALID',
  'TARGET_REFUSED',
  'TARGET_UNKNOWN',
  'TARGET_UNREACHABLE',
  'TERRAFORM_FAILED',
  'TERRAFORM_INTERRUPTED',
  'TERRAFORM_MISSING',
  'TERRAFORM_PLAN_UNREADABLE',
  'TOKEN_MISSING',
  'UNKNOWN_FLAVOR',
  'USER_TOO_LARGE',
  'WORKERS_NO_DATA',
  'WORKER_COMMAND',
  'WORKER_CONFIG_INVALID',
  'WORKER_CONFIG_MISSING',
  'WORKER_INDEX',
  'WORKER_START_TOO_FAR',
  'WORKER_VERSION_MISMATCH',
] as const;
/**
 * The protocol clients' failures (loadgen/clients/): one family per client, the rest of the code
 * being the client's failure reason upper-cased (`BINDER_RATE_LIMIT`, `HUB_NOT_FOUND`,
 * `KERNEL_WS_AUTH`); each client lists its reasons as a literal union beside its error class.
 */
export type ClientErrorCode = `BINDER_${string}` | `HUB_${string}` | `KERNEL_${string}`;
export type ErrorCode = (typeof ERROR_CODES)[number] | ClientErrorCode;

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
