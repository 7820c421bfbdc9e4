import { z } from 'zod';
import { FAILURE_REASONS, type FailureReason } from '../../core/metrics.js';
import type { IntervalRecord, RunEvent, RunStatus } from '../record/types.js';
import type { UserResult } from '../runner/user.js';

/**
 * The worker protocol, version 1: what a worker (`rehearse worker`, one shard of the plan) writes
 * on stdout, one JSON object per line; stderr is free for logs. The coordinator follows these lines
 * (child stdout for `--workers local:N`, pod logs for `k8s:N`) and parses each with `parseLine`.
 *
 *   hello      once, first: shard, shards, planned users in the shard, the common start time
 *   interval   a closed metric interval of the shard's own store (encoded HDR histograms)
 *   event      a run event for events.jsonl (arrival, step, cleanup, stop, user-end, …)
 *   user-end   one user's outcome (completed, failed, not-started), as soon as it is known
 *   heartbeat  every second: run-clock time, `flushedUntil` (every interval starting before it has
 *              been sent: lines are written in order) and the shard's live progress counts
 *   done       last: the shard's status and end time; the worker then exits 0
 *
 * Every line carries `seq`, 0, 1, 2, … in the order written. A coordinator that re-reads a pod's
 * log after its stream broke (k8s) drops lines it has seen (seq <= the last one) and treats a gap
 * as lines lost (kubelet log rotation between the break and the re-read).
 *
 * A worker that exits without `done`, is killed, or sends nothing for the heartbeat timeout has
 * lost its shard: its users that never reported an outcome are counted as lost.
 */

export const PROTOCOL_VERSION = 1;

const failureReason = z.enum(FAILURE_REASONS);
const counts = z.object({ hits: z.number().int().nonnegative(), total: z.number().int().nonnegative() });
const failureCounts = z.object({
  first: z.number().int().nonnegative(),
  final: z.number().int().nonnegative(),
});

const intervalSchema = z.object({
  start: z.number(),
  end: z.number(),
  trends: z.record(z.string(), z.string()),
  rates: z.record(z.string(), counts),
  failures: z.record(z.string(), failureCounts),
});

const EVENT_TYPES = ['run-start', 'arrival', 'step', 'user-end', 'cleanup', 'stop', 'run-end'] as const;
// Events are written to the record as they come; only their discriminant is checked here.
const eventSchema = z.looseObject({ type: z.enum(EVENT_TYPES), t: z.number() });

const progressSchema = z.object({
  t: z.number(),
  planned: z.number(),
  arrived: z.number(),
  launching: z.number(),
  ready: z.number(),
  inCells: z.number(),
  completed: z.number(),
  failed: z.number(),
  late: z.number(),
  launchReadyP95: z.number().nullable(),
});

export const wireResultSchema = z.object({
  id: z.string(),
  outcome: z.enum(['completed', 'failed', 'not-started']),
  reason: failureReason.optional(),
  cellsRun: z.number().int().nonnegative(),
  kept: z.boolean(),
  /** Set for kept servers (onEnd keep), listed as leftovers; never the server's token. */
  serverUrl: z.string().optional(),
  hubUser: z.string().optional(),
});
export type WireResult = z.infer<typeof wireResultSchema>;

const base = {
  v: z.literal(PROTOCOL_VERSION),
  shard: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
};

export const lineSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('hello'),
    shards: z.number().int().positive(),
    planned: z.number().int().nonnegative(),
    pid: z.number().int(),
    host: z.string(),
    startAt: z.number(),
    /** The worker's run clock when it said hello (negative: before the common start). */
    clock: z.number(),
  }),
  z.object({ ...base, type: z.literal('interval'), rec: intervalSchema }),
  z.object({ ...base, type: z.literal('event'), ev: eventSchema }),
  z.object({ ...base, type: z.literal('user-end'), result: wireResultSchema }),
  z.object({
    ...base,
    type: z.literal('heartbeat'),
    t: z.number(),
    flushedUntil: z.number(),
    progress: progressSchema.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('done'),
    status: z.enum(['completed', 'aborted', 'failed']),
    stopReason: z.string().optional(),
    endedAt: z.number(),
    error: z.string().optional(),
  }),
]);

type Parsed = z.infer<typeof lineSchema>;
/** A protocol line with the record types the coordinator writes (checked shapes, typed payloads). */
export type WorkerLine =
  | Exclude<Parsed, { type: 'interval' | 'event' | 'done' }>
  | (Omit<Extract<Parsed, { type: 'interval' }>, 'rec'> & { rec: IntervalRecord })
  | (Omit<Extract<Parsed, { type: 'event' }>, 'ev'> & { ev: RunEvent })
  | (Omit<Extract<Parsed, { type: 'done' }>, 'status'> & { status: Exclude<RunStatus, 'running'> });

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A protocol line before `LineWriter` numbers it. */
export type WorkerMessage = DistributiveOmit<WorkerLine, 'seq'>;

/** Numbers a worker's lines (seq 0, 1, 2, …) and formats them. */
export class LineWriter {
  private seq = 0;

  constructor(private readonly out: (text: string) => void) {}

  send(message: WorkerMessage): void {
    this.out(formatLine({ ...message, seq: this.seq++ } as WorkerLine));
  }
}

export type ParseResult = { ok: true; line: WorkerLine } | { ok: false; error: string };

/**
 * One stdout line → a protocol message, or why not (not JSON, another version, a bad shape: the
 * first issue with its path). Blank lines and lines not starting with `{` are not protocol (a
 * stray print); the caller decides whether to log them.
 */
export function parseLine(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: `not JSON: ${text.slice(0, 80)}` };
  }
  const v = (json as { v?: unknown } | null)?.v;
  if (v !== PROTOCOL_VERSION) {
    return { ok: false, error: `protocol version ${String(v)}; this coordinator speaks ${PROTOCOL_VERSION}` };
  }
  const r = lineSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, error: `${issue?.path.join('.') || '(line)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, line: r.data as WorkerLine };
}

/** A protocol line as written (one JSON object, newline-terminated). */
export function formatLine(line: WorkerLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** A user's result as streamed: no server token, the server URL only when it was kept on purpose. */
export function toWire(r: UserResult): WireResult {
  return {
    id: r.id,
    outcome: r.outcome,
    reason: r.reason,
    cellsRun: r.cellsRun,
    kept: r.kept,
    serverUrl: r.kept ? r.server?.serverUrl : undefined,
    hubUser: r.server?.hubUser,
  };
}

/** A streamed result as the record's UserResult (a kept server listed as a leftover, no token). */
export function fromWire(r: WireResult): UserResult {
  return {
    id: r.id,
    outcome: r.outcome,
    reason: r.reason,
    cellsRun: r.cellsRun,
    kept: r.kept,
    server:
      r.kept && r.serverUrl
        ? {
            serverUrl: r.serverUrl,
            token: '',
            hubUser: r.hubUser,
            readyAt: 0,
            subPhases: {},
            firstAttempt: 'ok',
          }
        : undefined,
  };
}

export type { FailureReason };
