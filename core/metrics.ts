/**
 * The metric vocabulary of a rehearsal. Steps emit samples whose `metric` is one of these literal
 * names, never a free string (STYLE.md: a narrow sink).
 *
 * Trends are latencies in milliseconds, recorded into HDR histograms per 10 s interval.
 * Rates are k6-style: each sample is a hit (1) or a miss (0); `rate` = hits / samples,
 * `count` = hits. Failure reasons are counted separately, for the first attempt and the final one.
 */

export const TREND_METRICS = [
  /**
   * click → server ready (the whole BinderHub launch, or JupyterHub spawn). A launch that timed
   * out records the time it waited too (a lower bound: that user never got a server), so a hub
   * that times everyone out cannot pass a p(95) threshold on the few who got through.
   */
  'launch.ready',
  /** click → image built (waiting/fetching/building/pushing until `built`); 0 on a cache hit. */
  'launch.build',
  /** `launching` → the spawner first reports progress (hub queue, concurrent_spawn_limit waits). */
  'launch.queue',
  /** progress starts → pod assigned to a node (scheduling, excluding scale-up). */
  'launch.schedule',
  /** "pod triggered scale-up" → assigned (a new node had to come up). */
  'launch.scaleup',
  /** "Pulling image" → "Successfully pulled" (or the reported pull duration). */
  'launch.pull',
  /** container started (or assigned, when no container marks) → server ready. */
  'launch.start',
  'kernel.start',
  'ws.connect',
  /** one code cell: execute_request → reply and idle; also recorded per cell index (tag `cell`). */
  'cell.exec',
  /** leaving: close the socket, delete the kernel, stop the server, delete the user. */
  'leave',
  /**
   * server ready → the nbgitpuller link followed through the hub (user-redirect chain, the pull's
   * event stream) until nbgitpuller says `finished`: the workshop content is in the home.
   */
  'launch.gitpull',
  /**
   * browser canary: navigation to the link a person clicks (first request) → JupyterLab shows the
   * notebook with its kernel idle. Includes the login page when the canary logs in.
   */
  'browser.ready',
  /** browser canary: run one cell from JupyterLab's UI → its output shown on the page. */
  'browser.cell',
  /** how late the generator itself started a step, against its scheduled time. */
  'generator.lag',
  /** event-loop delay of the generator process, sampled every 100 ms. */
  'generator.loopDelay',
] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];

export const RATE_METRICS = [
  /** per launch, final outcome: 1 = the user never got a server. */
  'launch.failed',
  /** per launch, first attempt: 1 = the first attempt failed (even if a retry then succeeded). */
  'launch.failed.first',
  /** per executed cell: 1 = error or aborted. */
  'cell.failed',
  /** per notebook cell of a user who got a server: 1 = not run because the session ended first. */
  'cell.skipped',
  /** per simulated user: 1 = did not complete the session (any failure). */
  'session.failed',
  /** per arrival: 1 = the generator started it more than LATE_ARRIVAL_MS after its scheduled time. */
  'arrival.late',
] as const;
export type RateMetric = (typeof RATE_METRICS)[number];

export type MetricName = TrendMetric | RateMetric;

/** An arrival started later than this is counted as late (it is still run, never shifted). */
export const LATE_ARRIVAL_MS = 1000;

/** Why a simulated user failed. */
export const FAILURE_REASONS = [
  'rate-limit',
  'quota',
  'spawn-limit-429',
  'timeout',
  'spawn-failed',
  'hub-5xx',
  'stream-cut',
  'ws-failed',
  'kernel-died',
  'cell-error',
  'unreachable',
  'auth',
  'not-allowed',
  'build-failed',
  'aborted',
  /** BinderHub's stream said "Launch attempt N failed, retrying" (it does not say why). */
  'launch-retried',
  /** The launch failed while the health probe found the hub (or BinderHub) unreachable. */
  'hub-down',
  /** The hub refused the server options: unknown profile slug, choice or unlisted value. */
  'profile-invalid',
  /** nbgitpuller's event stream ended in `error`, or the link's redirect chain broke. */
  'gitpull-failed',
  /** A browser canary did not reach an interactive JupyterLab (or its cell output) in its bound. */
  'browser-timeout',
  /** A browser canary failed otherwise (login refused, page error, Chromium missing or crashed). */
  'browser-failed',
  'other',
] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * Tags a trend sample may carry. `cell` splits histograms (one per code cell index); `cohort`
 * (the cohort name, which carries its server profile) adds a per-cohort histogram beside the
 * metric's own, so a report shows "large" launches beside "small" ones.
 */
export interface SampleTags {
  cell?: number;
  cohort?: string;
}

/** What a step emits into the sink. `t` is ms since the run's start on the runner's clock. */
export type Sample =
  | { kind: 'trend'; metric: TrendMetric; value: number; t: number; tags?: SampleTags }
  /** `count`: this many samples of the same outcome at once (default 1; the cells a session skips). */
  | { kind: 'rate'; metric: RateMetric; hit: boolean; t: number; count?: number }
  | { kind: 'failure'; reason: FailureReason; attempt: 'first' | 'final'; t: number };

/** Histogram key: the metric, or `cell.exec{cell=3}` for a per-cell histogram. */
export function trendKey(metric: TrendMetric, tags?: SampleTags): string {
  return tags?.cell === undefined ? metric : `${metric}{cell=${tags.cell}}`;
}

/** Per-cohort histogram key: `launch.ready{cohort=large}`. */
export function cohortKey(metric: TrendMetric, cohort: string): string {
  return `${metric}{cohort=${cohort}}`;
}
