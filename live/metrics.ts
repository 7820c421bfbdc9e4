/**
 * The run in Prometheus' text exposition format (`/metrics` of `rehearse run --live` or
 * `--metrics`), with prom-client. Fed from the run record's own stream — each closed 10 s interval
 * (its HDR histograms decoded into Prometheus buckets), and the runner's once-a-second progress —
 * never from the generator's per-sample path: nothing here runs on the generator's event loop (the
 * live server lives in a worker thread, live/worker.ts).
 *
 *   rehearse_launch_ready_seconds            histogram  click → server ready, every launch
 *   rehearse_launch_phase_seconds{phase}     histogram  build, queue, schedule, scaleup, pull, start
 *   rehearse_cell_exec_seconds{cell="N"}     histogram  one notebook code cell
 *   rehearse_generator_lag_seconds           histogram  how late the generator started steps
 *   rehearse_failures_total{reason,attempt}  counter    attempt="first" (a retry may have saved it) | "final"
 *   rehearse_users{state}                    gauge      waiting, launching, ready, leaving, completed, failed
 *   rehearse_users_in_cell                   gauge      users running a cell right now (a part of "ready")
 *   rehearse_run_start_time_seconds          gauge      the run's start, unix time
 *   rehearse_run_end_time_seconds            gauge      its end (absent while it runs)
 *
 * Every series carries `run_id` and `scenario`, so several runs can share a Prometheus.
 *
 * Bucket counts come from HDR buckets (3 significant digits): a sample within 0.1 % of a bucket's
 * `le` bound may land on either side of it; counts and _count are exact.
 */

import { JsHistogram } from 'hdr-histogram-js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { decode } from '../core/hdr.js';
import type { TapRun } from '../loadgen/record/tap.js';
import type { IntervalRecord } from '../loadgen/record/types.js';
import type { ProgressSnapshot } from '../loadgen/runner/reporter.js';

/** Launches take seconds on a warm hub and up to the 15 min launch timeout on a cold one. */
export const LAUNCH_BUCKETS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200];
export const PHASE_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 180, 300, 600, 900];
export const CELL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
export const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const PHASES = ['build', 'queue', 'schedule', 'scaleup', 'pull', 'start'] as const;

/** The runner's counts, as far as the gauge needs. */
export type UserCounts = Pick<
  ProgressSnapshot,
  'planned' | 'arrived' | 'launching' | 'ready' | 'inCells' | 'completed' | 'failed'
>;

export class LiveMetrics {
  readonly registry = new Registry();
  private readonly ready: Histogram<string>;
  private readonly phase: Histogram<'phase'>;
  private readonly cell: Histogram<'cell'>;
  private readonly lag: Histogram<string>;
  private readonly failures: Counter<'reason' | 'attempt'>;
  private readonly users: Gauge<'state'>;
  private readonly inCell: Gauge<string>;
  private readonly started: Gauge<string>;
  private readonly ended: Gauge<string>;

  constructor() {
    const registers = [this.registry];
    this.ready = new Histogram({
      name: 'rehearse_launch_ready_seconds',
      help: 'Click on the Binder link (or spawn request) to a ready server, per launch, timed from its scheduled start',
      buckets: LAUNCH_BUCKETS,
      registers,
    });
    this.phase = new Histogram({
      name: 'rehearse_launch_phase_seconds',
      help: 'Launch phases from the spawn progress stream: build, queue, schedule, scaleup, pull, start',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    this.cell = new Histogram({
      name: 'rehearse_cell_exec_seconds',
      help: 'Execution of one notebook code cell (execute_request to reply and idle), by cell index',
      labelNames: ['cell'],
      buckets: CELL_BUCKETS,
      registers,
    });
    this.lag = new Histogram({
      name: 'rehearse_generator_lag_seconds',
      help: 'How late the load generator started a step against its schedule (saturation above 0.1 s)',
      buckets: LAG_BUCKETS,
      registers,
    });
    this.failures = new Counter({
      name: 'rehearse_failures_total',
      help: 'Failures by reason; attempt="first": the first launch attempt (a retry may have saved it), "final": what the attendee was left with',
      labelNames: ['reason', 'attempt'],
      registers,
    });
    this.users = new Gauge({
      name: 'rehearse_users',
      help: 'Simulated attendees by state (the states add up to the planned users)',
      labelNames: ['state'],
      registers,
    });
    this.inCell = new Gauge({
      name: 'rehearse_users_in_cell',
      help: 'Attendees running a notebook cell right now (part of state="ready")',
      registers,
    });
    this.started = new Gauge({
      name: 'rehearse_run_start_time_seconds',
      help: 'Start of the run, unix time',
      registers,
    });
    this.ended = new Gauge({
      name: 'rehearse_run_end_time_seconds',
      help: 'End of the run, unix time (absent while it runs)',
      registers,
    });
  }

  start(run: TapRun): void {
    this.registry.setDefaultLabels({ run_id: run.id, scenario: run.scenario });
    this.started.set(Date.parse(run.startedAt) / 1000);
    this.setUsers({
      planned: run.plannedUsers,
      arrived: 0,
      launching: 0,
      ready: 0,
      inCells: 0,
      completed: 0,
      failed: 0,
    });
  }

  interval(rec: IntervalRecord): void {
    for (const [key, encoded] of Object.entries(rec.trends)) {
      const observe = this.observerFor(key);
      if (observe) forEachValue(encoded, observe);
    }
    for (const [reason, f] of Object.entries(rec.failures)) {
      if (f === undefined) continue;
      this.failures.inc({ reason, attempt: 'first' }, f.first);
      this.failures.inc({ reason, attempt: 'final' }, f.final);
    }
  }

  progress(p: UserCounts): void {
    this.setUsers(p);
  }

  end(endedAtMs: number): void {
    this.ended.set(endedAtMs / 1000);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private setUsers(p: UserCounts): void {
    const leaving = Math.max(0, p.arrived - p.launching - p.ready - p.completed - p.failed);
    const states: Record<string, number> = {
      waiting: Math.max(0, p.planned - p.arrived),
      launching: p.launching,
      ready: p.ready,
      leaving,
      completed: p.completed,
      failed: p.failed,
    };
    for (const [state, n] of Object.entries(states)) this.users.set({ state }, n);
    this.inCell.set(p.inCells);
  }

  /** Which Prometheus histogram a record's histogram key feeds, if any. */
  private observerFor(key: string): ((seconds: number) => void) | undefined {
    if (key === 'launch.ready') return (s) => this.ready.observe(s);
    if (key === 'generator.lag') return (s) => this.lag.observe(s);
    const cell = /^cell\.exec\{cell=(\d+)\}$/.exec(key)?.[1];
    if (cell !== undefined) return (s) => this.cell.observe({ cell }, s);
    const phase = PHASES.find((p) => key === `launch.${p}`);
    if (phase) return (s) => this.phase.observe({ phase }, s);
    return undefined;
  }
}

/**
 * Every value an encoded HDR histogram holds (µs), once per count, in seconds: the midpoint of its
 * HDR bucket, as the HDR mean uses.
 */
export function forEachValue(encoded: string, fn: (seconds: number) => void): void {
  const h = decode(encoded);
  if (!(h instanceof JsHistogram)) throw new TypeError('forEachValue: expected a JS HDR histogram');
  let left = h.totalCount;
  for (let i = 0; i < h.countsArrayLength && left > 0; i++) {
    const n = h.getCountAtIndex(i);
    if (n === 0) continue;
    const seconds = h.medianEquivalentValue(h.valueFromIndex(i)) / 1e6;
    for (let k = 0; k < n; k++) fn(seconds);
    left -= n;
  }
}
