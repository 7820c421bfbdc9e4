import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ExitCode, InputError, TargetError } from '../../core/errors.js';
import { type HealthRecord, type RepoCheck, writeHealthRecord } from '../record/health.js';
import type { RecordedTarget, RunEvent, RunStatus, RunSummary } from '../record/types.js';
import { RecordWriter } from '../record/writer.js';
import { hostInfo, INTERVAL_MS } from '../run-record.js';
import { buildSummary } from '../runner/run-summary.js';
import type { TargetAdapter } from '../runner/targets.js';
import type { UserResult } from '../runner/user.js';
import { checkRepo, type RepoCheckOptions } from './repo-check.js';

/**
 * `rehearse check` as a library call: every notebook of every repo on every environment (a local
 * stack, a hub), one attendee per notebook (repo-check.ts), into ONE run record `runs/<id>/`:
 * meta.json, events.jsonl (launch, cleanup and user-end events, as `run` writes them),
 * summary.json (verdict: fail when a notebook failed or could not run) and health.json (per
 * cell: loadgen/record/health.ts). The caller (cli/commands/check.ts) opens the targets.
 */

export interface CheckEnvironment {
  /** Column name in reports: a stack name (debian12) or a hub label. */
  name: string;
  kind: RecordedTarget['kind'];
  /**
   * Bring the environment up (a local stack starts here when none runs) for all its repos; it is
   * closed before the next environment opens, so two local stacks never run at once.
   */
  open(): Promise<OpenEnvironment>;
}

export interface OpenEnvironment {
  /** The target launching `repo` on this environment. */
  targetFor(repo: string): TargetAdapter;
  close(): Promise<void>;
}

export interface CheckRepo {
  spec: string;
  /** Notebook globs inside the repo (scenario `session.notebooks`); default every *.ipynb. */
  notebooks?: readonly string[];
}

export interface CheckOptions {
  name: string;
  runsDir: string;
  runId?: string;
  environments: readonly CheckEnvironment[];
  repos: readonly CheckRepo[];
  keepGoing: boolean;
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  protocol: 'v1' | 'legacy';
  stepTimeoutMs?: number;
  toolVersion: string;
  signal: AbortSignal;
  say?: (line: string) => void;
  openServer?: RepoCheckOptions['openServer'];
}

export interface CheckResult {
  dir: string;
  health: HealthRecord;
  summary: RunSummary;
}

export async function runCheck(o: CheckOptions): Promise<CheckResult> {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const startedAt = new Date().toISOString();
  const settings = {
    keepGoing: o.keepGoing,
    cellTimeoutMs: o.cellTimeoutMs,
    notebookTimeoutMs: o.notebookTimeoutMs,
  };
  const writer = createRecord(o, settings, startedAt);
  const events: RunEvent[] = [];
  const event = (ev: RunEvent) => {
    events.push(ev);
    writer.event(ev);
  };
  event({ type: 'run-start', t: 0, plannedUsers: 0 });
  let users = 0;
  const checks: RepoCheck[] = [];
  const repoOptions = (environment: string, target: TargetAdapter, repo: CheckRepo): RepoCheckOptions => ({
    environment,
    repo: repo.spec,
    target,
    notebooks: repo.notebooks,
    keepGoing: o.keepGoing,
    cellTimeoutMs: o.cellTimeoutMs,
    notebookTimeoutMs: o.notebookTimeoutMs,
    protocol: o.protocol,
    stepTimeoutMs: o.stepTimeoutMs ?? 60_000,
    now,
    signal: o.signal,
    event,
    say: o.say ?? (() => undefined),
    nextUser: () => `check-${++users}`,
    ...(o.openServer ? { openServer: o.openServer } : {}),
  });
  let failure: unknown;
  for (const env of o.environments) {
    if (o.signal.aborted) break;
    const r = await checkEnvironment(env, o, repoOptions);
    checks.push(...r.checks);
    // A lone environment that cannot be opened is the command's error (its exit code: 2, 3).
    if (r.error !== undefined && o.environments.length === 1) failure = r.error;
  }
  const health: HealthRecord = { version: 1, settings, checks };
  writeHealthRecord(writer.dir, health);
  const status: RunStatus = failure !== undefined ? 'failed' : o.signal.aborted ? 'aborted' : 'completed';
  event({ type: 'run-end', t: now(), status });
  const summary = checkSummary(writer.id, o.name, { status, startedAt, durationMs: now(), events, health });
  const why =
    failure !== undefined ? (failure as Error).message : o.signal.aborted ? 'interrupted' : undefined;
  writer.finish(summary, status, why);
  writer.close();
  if (failure !== undefined) throw failure;
  return { dir: writer.dir, health, summary };
}

/**
 * One environment: open it, check every repo, close it (always). When it cannot be opened, each
 * repo is recorded as not checked, with why (one environment of several is a column of failures).
 */
async function checkEnvironment(
  env: CheckEnvironment,
  o: CheckOptions,
  repoOptions: (environment: string, target: TargetAdapter, repo: CheckRepo) => RepoCheckOptions,
): Promise<{ checks: RepoCheck[]; error?: unknown }> {
  let opened: OpenEnvironment;
  try {
    opened = await env.open();
  } catch (error) {
    const reason = `the environment could not be opened: ${(error as Error).message}`;
    const checks = o.repos.map((r) => ({
      environment: env.name,
      target: env.kind,
      repo: r.spec,
      reason,
      info: {},
      notebooks: [],
    }));
    return { checks, error };
  }
  const checks: RepoCheck[] = [];
  try {
    for (const repo of o.repos) {
      if (o.signal.aborted) break;
      checks.push(await checkRepo(repoOptions(env.name, opened.targetFor(repo.spec), repo)));
    }
  } finally {
    await opened.close();
  }
  return { checks };
}

/** meta.json of a check record: what was checked (hashed) and where (the environments' names). */
function createRecord(o: CheckOptions, settings: HealthRecord['settings'], startedAt: string): RecordWriter {
  const normalized = { repos: o.repos, environments: o.environments.map((e) => e.name), settings };
  return RecordWriter.create(o.runsDir, {
    id: o.runId,
    tool: { name: 'rehearse', version: o.toolVersion },
    // The hash names what was checked, not where: a debian12 and a debian13 record of one repo match.
    scenario: {
      name: o.name,
      hash: hashOf({ repos: o.repos, settings }),
      source: 'rehearse check',
      normalized,
    },
    seed: 0,
    // Each environment's own target is in health.json (checks[].target).
    target: { kind: o.environments[0]?.kind ?? 'local' },
    host: hostInfo(),
    intervalMs: INTERVAL_MS,
    plannedUsers: 0,
    startedAt,
  });
}

/** The run summary of a check: attendees from the events; verdict from the notebooks. */
function checkSummary(
  id: string,
  scenario: string,
  r: { status: RunStatus; startedAt: string; durationMs: number; events: RunEvent[]; health: HealthRecord },
): RunSummary {
  const results: UserResult[] = r.events.flatMap((ev) =>
    ev.type === 'user-end' ? [{ id: ev.user, outcome: ev.outcome, cellsRun: 0, kept: false }] : [],
  );
  const base = buildSummary({
    id,
    scenario,
    status: r.status,
    startedAt: r.startedAt,
    endedAt: new Date().toISOString(),
    durationMs: r.durationMs,
    planned: results.length,
    results,
    intervals: [],
    events: r.events,
    thresholds: [],
  });
  return { ...base, verdict: healthFailed(r.health) ? 'fail' : 'pass' };
}

/**
 * The command's outcome: 0 when every notebook passed, 99 when one failed or could not run (or a
 * repo was not checked); when NOTHING ran, an error: TargetError (exit 3) when no launch got
 * through or no environment opened, else InputError (exit 2: the notebooks themselves).
 */
export function checkExitCode(h: HealthRecord): number {
  const ran = h.checks.some((c) => c.notebooks.some((n) => n.status !== 'could-not-run'));
  if (ran) return healthFailed(h) ? ExitCode.thresholdsFailed : ExitCode.ok;
  const unreachable = (r: string | undefined) =>
    r?.startsWith('the launch failed') || r?.startsWith('the environment could not be opened');
  if (h.checks.length > 0 && h.checks.every((c) => unreachable(c.reason))) {
    throw new TargetError('CHECK_NO_LAUNCH', 'no launch got through: nothing was checked', {
      hint: 'See the launch errors above: the target, the repo spec, the hub token.',
    });
  }
  throw new InputError('CHECK_NOTHING_RAN', 'no notebook could run (see the reasons above)', {
    hint: 'Check the notebooks are valid nbformat 4 JSON with code cells, and name a kernel the target has.',
  });
}

/** True when some notebook failed or could not run, or some repo could not be checked at all. */
export function healthFailed(h: HealthRecord): boolean {
  return h.checks.some((c) => c.reason !== undefined || c.notebooks.some((n) => n.status !== 'passed'));
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}
