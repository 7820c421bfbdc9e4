import type { FailureReason, RateMetric } from '../metrics/names.js';

/**
 * The run record `runs/<id>/`: the contract between loadgen (writes it) and analysis/reports (read
 * it; this folder is the one part of loadgen they may import).
 *
 *   meta.json        RunMeta, written at the start, rewritten at the end (endedAt, status)
 *   events.jsonl     RunEvent per line, appended as things happen (a crash loses at most one line)
 *   intervals.jsonl  IntervalRecord per closed interval (encoded HDR histograms; merge exactly)
 *   summary.json     RunSummary, written at the end; absent from a partial record
 *   cluster.json     what the cluster observer saw (cluster.ts; a run with --kubeconfig)
 *   health.json      per-cell notebook health, versioned on its own (health.ts; `rehearse check`)
 *
 * Times inside a record are ms since the run's start (`t`); wall-clock times are ISO strings.
 */

export const RECORD_VERSION = 1;

export type RunStatus = 'running' | 'completed' | 'aborted' | 'failed';

/** The target as recorded: URLs and the NAME of a token variable, never a token. */
export interface RecordedTarget {
  kind: 'local' | 'binderhub' | 'jupyterhub';
  binderUrl?: string;
  hubUrl?: string;
  tokenEnv?: string;
  /** Local target settings (emulated build time etc.) when the run used the local target. */
  local?: Record<string, number>;
  /** The local target's stack (debian12, debian13, custom) and the versions it reported itself. */
  stack?: RecordedStack;
}

export interface RecordedStack {
  name: string;
  versions: { python: string; packages: Record<string, string | null> };
}

export interface RunMeta {
  version: typeof RECORD_VERSION;
  id: string;
  tool: { name: 'rehearse'; version: string };
  scenario: { name: string; hash: string; source: string; normalized: unknown };
  seed: number;
  target: RecordedTarget;
  host: { hostname: string; platform: string; arch: string; node: string; cpus: number; memoryGiB: number };
  intervalMs: number;
  plannedUsers: number;
  startedAt: string;
  endedAt?: string;
  status: RunStatus;
  /** Why the run stopped early (rate limit, Ctrl-C, abortOnFail threshold, error). */
  stopReason?: string;
}

/** What the hub health probe watches: the hub's REST API, BinderHub's /health. */
export type HubService = 'hub' | 'binderhub';

/** A time the probe found a service unreachable (run-clock ms; `end` null: never came back). */
export interface HubOutage {
  service: HubService;
  start: number;
  end: number | null;
  /** When the probe declared it (`start` + the checks it took). */
  detectedAt: number;
  detail: string;
}

export type StepName = 'launch' | 'kernel.start' | 'ws.connect' | 'cell.exec' | 'think' | 'idle' | 'leave';

export type RunEvent =
  | { type: 'run-start'; t: number; plannedUsers: number }
  | {
      type: 'arrival';
      t: number;
      user: string;
      cohort: string;
      scheduled: number;
      lag: number;
      late: boolean;
    }
  | {
      type: 'step';
      t: number;
      user: string;
      step: StepName;
      /** When the step was scheduled to start; its latency is measured from here. */
      scheduled: number;
      duration: number;
      ok: boolean;
      cell?: number;
      detail?: string;
    }
  | {
      type: 'user-end';
      t: number;
      user: string;
      outcome: 'completed' | 'failed';
      reason?: FailureReason;
      /** The first launch attempt: ok, or why it failed (a retry may have succeeded after). */
      firstAttempt: 'ok' | FailureReason;
      /** The hub user name the launch got, when it got one. */
      hubUser?: string;
      cellsRun: number;
      message?: string;
    }
  | { type: 'cleanup'; t: number; what: string; ok: boolean; detail: string; command?: string }
  | { type: 'stop'; t: number; reason: string }
  /** The hub health probe (loadgen/runner/hub-health.ts): `t` is the first failed check. */
  | { type: 'hub-outage'; t: number; service: HubService; detectedAt: number; detail: string }
  | { type: 'hub-recovery'; t: number; service: HubService; downMs: number }
  | { type: 'run-end'; t: number; status: RunStatus };

/** One closed interval of metrics; histograms are HDR, compressed base64, values in microseconds. */
export interface IntervalRecord {
  /** Interval start and end, ms since the run's start. */
  start: number;
  end: number;
  /** Histogram key (metric, or `cell.exec{cell=N}`) → encoded histogram. */
  trends: Record<string, string>;
  rates: Partial<Record<RateMetric, { hits: number; total: number }>>;
  failures: Partial<Record<FailureReason, { first: number; final: number }>>;
}

export interface TrendSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  /**
   * Further percentiles, keyed by String(N) ("99.9"): those the run's thresholds name (`p(99.9)`),
   * which the four above do not cover. Absent when none was asked for.
   */
  percentiles?: Record<string, number>;
}

export interface ThresholdResult {
  expr: string;
  pass: boolean;
  /** The measured value the threshold was judged on (ms for trends, 0..1 for rates); null if no data. */
  actual: number | null;
  limit: number;
  op: string;
  abortOnFail: boolean;
}

export interface RunSummary {
  id: string;
  scenario: string;
  /** True when the run did not end normally: no run-end, or built from intervals after a crash. */
  partial: boolean;
  status: RunStatus;
  stopReason?: string;
  startedAt: string;
  endedAt?: string;
  durationMs: number;
  users: {
    planned: number;
    arrived: number;
    late: number;
    completed: number;
    failed: number;
    /** Distributed runs: planned users of lost workers that never reported an outcome. */
    lost?: number;
  };
  /** Histogram key → summary, in milliseconds. */
  trends: Record<string, TrendSummary>;
  rates: Partial<Record<RateMetric, { hits: number; total: number; rate: number }>>;
  failures: Partial<Record<FailureReason, { first: number; final: number }>>;
  thresholds: ThresholdResult[];
  verdict: 'pass' | 'fail' | 'none';
  /** What could not be removed at the end, with the command to remove it. */
  leftovers: { what: string; command: string }[];
  /**
   * Times the hub (or BinderHub) was unreachable during the run, from the health probe. A run
   * with any is not a pass, whatever its thresholds say (exit 1). Absent in older records.
   */
  outages?: HubOutage[];
  /** Distributed runs (`--workers`): one entry per worker, i.e. per shard of the plan. */
  workers?: WorkerReport[];
}

/** How one worker of a distributed run ended. */
export interface WorkerReport {
  /** Shard index: the worker ran arrivals i with i mod workers = index. */
  index: number;
  /** Where it ran: `pid 1234`, or the pod name. */
  where: string;
  planned: number;
  /** Users whose outcome it reported (completed, failed or not started). */
  reported: number;
  /** planned - reported when the worker was lost; 0 otherwise. */
  lost: number;
  /** done: it sent its end; lost: it exited, was killed or went silent before that. */
  state: 'done' | 'lost';
  /** The shard's own status (done) or what happened to the worker (lost). */
  status: RunStatus;
  detail?: string;
}
