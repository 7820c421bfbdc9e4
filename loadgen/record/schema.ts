/**
 * The run record decoded, not trusted: zod schemas for meta.json, each line of events.jsonl and
 * intervals.jsonl, and summary.json, typed against the interfaces of types.ts (each schema's output
 * must be assignable to its type, so the two cannot drift apart silently). Every reader goes
 * through reader.ts, which uses these.
 *
 * Versions: meta.json carries RECORD_VERSION. A record of another version is refused with a
 * message saying whether it is older or newer and which rehearse wrote it. Within a version,
 * fields may be added (unknown keys are dropped on reading, so an older reader of the same
 * version still reads a newer writer's record).
 */
import { z } from 'zod';
import { FAILURE_REASONS, RATE_METRICS } from '../../core/metrics.js';
import {
  type IntervalRecord,
  RECORD_VERSION,
  type RunEvent,
  type RunMeta,
  type RunSummary,
  type ThresholdResult,
  type WorkerReport,
} from './types.js';

const runStatus = z.enum(['running', 'completed', 'aborted', 'failed']);
const failureReason = z.enum(FAILURE_REASONS);
const stepName = z.enum([
  'launch',
  'kernel.start',
  'ws.connect',
  'cell.exec',
  'think',
  'idle',
  'leave',
  'gitpull',
  'browser',
]);
const count = z.number().int().nonnegative();
const stack = z.object({
  name: z.string(),
  versions: z.object({ python: z.string(), packages: z.record(z.string(), z.string().nullable()) }),
});

const metaObject = z.object({
  version: z.literal(RECORD_VERSION),
  id: z.string().min(1),
  tool: z.object({ name: z.literal('rehearse'), version: z.string() }),
  scenario: z.object({ name: z.string(), hash: z.string(), source: z.string(), normalized: z.unknown() }),
  seed: z.number().int(),
  rng: z.string().optional(),
  target: z.object({
    kind: z.enum(['local', 'binderhub', 'jupyterhub']),
    binderUrl: z.string().optional(),
    hubUrl: z.string().optional(),
    tokenEnv: z.string().optional(),
    local: z.record(z.string(), z.number()).optional(),
    stack: stack.optional(),
  }),
  host: z.object({
    hostname: z.string(),
    platform: z.string(),
    arch: z.string(),
    node: z.string(),
    cpus: z.number(),
    memoryGiB: z.number(),
  }),
  intervalMs: z.number().positive(),
  plannedUsers: count,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  status: runStatus,
  stopReason: z.string().optional(),
});

const hubService = z.enum(['hub', 'binderhub']);
const hubOutage = z.object({
  service: hubService,
  start: z.number(),
  end: z.number().nullable(),
  detectedAt: z.number(),
  detail: z.string(),
});

const eventUnion = z.discriminatedUnion('type', [
  z.object({ type: z.literal('run-start'), t: z.number(), plannedUsers: count }),
  z.object({
    type: z.literal('arrival'),
    t: z.number(),
    user: z.string(),
    cohort: z.string(),
    scheduled: z.number(),
    lag: z.number(),
    late: z.boolean(),
  }),
  z.object({
    type: z.literal('step'),
    t: z.number(),
    user: z.string(),
    step: stepName,
    scheduled: z.number(),
    duration: z.number(),
    ok: z.boolean(),
    cell: z.number().int().optional(),
    detail: z.string().optional(),
  }),
  z.object({
    type: z.literal('user-end'),
    t: z.number(),
    user: z.string(),
    outcome: z.enum(['completed', 'failed']),
    reason: failureReason.optional(),
    firstAttempt: z.union([z.literal('ok'), failureReason]),
    hubUser: z.string().optional(),
    cellsRun: count,
    message: z.string().optional(),
  }),
  z.object({
    type: z.literal('cleanup'),
    t: z.number(),
    what: z.string(),
    ok: z.boolean(),
    detail: z.string(),
    command: z.string().optional(),
  }),
  z.object({ type: z.literal('stop'), t: z.number(), reason: z.string() }),
  z.object({
    type: z.literal('hub-outage'),
    t: z.number(),
    service: hubService,
    detectedAt: z.number(),
    detail: z.string(),
  }),
  z.object({ type: z.literal('hub-recovery'), t: z.number(), service: hubService, downMs: z.number() }),
  z.object({
    type: z.literal('canary'),
    t: z.number(),
    user: z.string(),
    cohort: z.string(),
    ok: z.boolean(),
    stage: z.string(),
    readyMs: z.number().optional(),
    cellMs: z.number().optional(),
    screenshot: z.string().optional(),
    reason: failureReason.optional(),
    message: z.string().optional(),
  }),
  z.object({ type: z.literal('run-end'), t: z.number(), status: runStatus }),
]);

export const intervalRecordSchema: z.ZodType<IntervalRecord> = z.object({
  start: z.number(),
  end: z.number(),
  trends: z.record(z.string(), z.string()),
  rates: z.partialRecord(z.enum(RATE_METRICS), z.object({ hits: count, total: count })),
  failures: z.partialRecord(failureReason, z.object({ first: count, final: count })),
});

const trendSummary = z.object({
  count: count,
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  percentiles: z.record(z.string(), z.number()).optional(),
});

const thresholdResult: z.ZodType<ThresholdResult> = z.object({
  expr: z.string(),
  pass: z.boolean(),
  actual: z.number().nullable(),
  limit: z.number(),
  op: z.string(),
  abortOnFail: z.boolean(),
});

const workerReport: z.ZodType<WorkerReport> = z.object({
  index: count,
  where: z.string(),
  planned: count,
  reported: count,
  lost: count,
  state: z.enum(['done', 'lost']),
  status: runStatus,
  detail: z.string().optional(),
});

const summaryObject = z.object({
  id: z.string(),
  scenario: z.string(),
  partial: z.boolean(),
  status: runStatus,
  stopReason: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  durationMs: z.number(),
  users: z.object({
    planned: count,
    arrived: count,
    late: count,
    completed: count,
    failed: count,
    lost: count.optional(),
  }),
  trends: z.record(z.string(), trendSummary),
  rates: z.partialRecord(z.enum(RATE_METRICS), z.object({ hits: count, total: count, rate: z.number() })),
  failures: z.partialRecord(failureReason, z.object({ first: count, final: count })),
  thresholds: z.array(thresholdResult),
  verdict: z.enum(['pass', 'fail', 'none']),
  leftovers: z.array(z.object({ what: z.string(), command: z.string() })),
  outages: z.array(hubOutage).optional(),
  workers: z.array(workerReport).optional(),
});

/**
 * The schemas and the interfaces of types.ts describe the same shapes, both ways: a field or an
 * event type added to one and not the other is a type error here, not a record refused at run time.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShapes: [
  Same<z.output<typeof metaObject>, RunMeta>,
  Same<z.output<typeof eventUnion>, RunEvent>,
  Same<z.output<typeof summaryObject>, RunSummary>,
] = [true, true, true];
void sameShapes;

export const runMetaSchema: z.ZodType<RunMeta> = metaObject;
export const runEventSchema: z.ZodType<RunEvent> = eventUnion;
export const runSummarySchema: z.ZodType<RunSummary> = summaryObject;

/**
 * Why a meta.json of another record version cannot be read, or undefined when the version is
 * this reader's. `tool` is the rehearse version named in the meta, when it names one.
 */
export function versionProblem(version: unknown, tool: string | undefined): string | undefined {
  if (version === RECORD_VERSION) return undefined;
  const by = tool === undefined ? '' : ` (written by rehearse ${tool})`;
  if (typeof version !== 'number' || !Number.isInteger(version)) {
    return `has no record version${by}: it is not a run record's meta.json, or a damaged one`;
  }
  return version < RECORD_VERSION
    ? `is record version ${version}${by}, older than the version ${RECORD_VERSION} this rehearse reads: read it with that older rehearse`
    : `is record version ${version}${by}, newer than the version ${RECORD_VERSION} this rehearse reads: upgrade rehearse to read it`;
}
