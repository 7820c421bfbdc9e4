/**
 * What the live page shows, built from the run record's own stream (loadgen/record/tap.ts): the
 * run's identity, the events the charts need, every closed interval, the runner's progress, the
 * failures as they come and any hub outage. Pure: no timers, no I/O.
 *
 * The charts are the report's: `runSections` (reports/run-sections.ts) on the record so far, so a
 * chart has one source of truth whether it is drawn live or in report.html. They are rebuilt when
 * an interval closes (every 10 s of run time); failures and progress go out as they happen.
 *
 * Keeping that cheap for a long run: the charts that merge histograms over the whole run (time to
 * ready, phases, cells) would decode every interval's histograms again at each close — minutes of
 * CPU per close after an hour with a few dozen cells. So each interval is kept with only the
 * histograms charts read per interval (PER_INTERVAL_KEYS, generator health); the others are merged
 * as they arrive into running histograms, handed to the builders inside the FIRST interval record.
 * Every builder either merges a key over all intervals (same sum, wherever the counts sit) or reads
 * it per interval (kept as is), so the charts are exactly the report's on the same record.
 */
import { decode, encode, type Histogram, merge } from '../core/hdr.js';
import type { TapRun } from '../loadgen/record/tap.js';
import type { IntervalRecord, RunEvent, RunSummary } from '../loadgen/record/types.js';
import { runSections, type SectionDef } from '../reports/run-sections.js';
import type { UserCounts } from './metrics.js';

/**
 * Event types the page lists as hub outages (the hub health probe of [crash-safety] writes
 * `hub-outage` when a service goes down and `hub-recovery` when it answers again). Shown
 * generically: the time, the type and every other field of the event.
 */
export const OUTAGE_EVENT_TYPES: readonly string[] = ['hub-outage', 'hub-recovery'];

/** An event as it travels to the live view: a RunEvent, or a newer type this version lists generically. */
export type LiveEvent = RunEvent | { type: string; t: number; [field: string]: unknown };

/** Does the live view need this event? (Cell steps and cleanups are in the intervals / not charted.) */
export function liveWants(ev: { type: string; step?: unknown }): boolean {
  if (ev.type === 'step') return ev.step === 'launch';
  return (
    ev.type === 'arrival' ||
    ev.type === 'user-end' ||
    ev.type === 'stop' ||
    ev.type === 'run-start' ||
    ev.type === 'run-end' ||
    OUTAGE_EVENT_TYPES.includes(ev.type)
  );
}

export interface LiveFailure {
  t: number;
  user: string;
  reason: string;
  firstAttempt: string;
  /** The session's end message; for a notebook error: `cell N, line L: Ename: evalue`. */
  message?: string;
}

export interface LiveOutage {
  t: number;
  type: string;
  /** The event's other fields, `key=value`. */
  fields: string;
}

export interface LiveProgress extends UserCounts {
  t: number;
  late: number;
  launchReadyP95: number | null;
}

export interface LiveEnd {
  status: string;
  verdict: RunSummary['verdict'];
  stopReason?: string;
  dir: string;
  /** Set once report.html is written. */
  report?: string;
}

/** One push to the page (server-sent event `snapshot`). */
export interface LiveSnapshot {
  run: TapRun | null;
  /** Run time covered by the closed intervals, ms. */
  t: number;
  intervals: number;
  progress: LiveProgress | null;
  sections: SectionDef[];
  failures: LiveFailure[];
  outages: LiveOutage[];
  end: LiveEnd | null;
}

/** Histogram keys the charts read interval by interval (reports/specs/generator-health.ts). */
export const PER_INTERVAL_KEYS: readonly string[] = ['generator.lag', 'generator.loopDelay'];

/** The most recent failures kept for the page. */
export const MAX_FAILURES = 200;

export class LiveState {
  run: TapRun | null = null;
  readonly events: RunEvent[] = [];
  /** Closed intervals, each with only its PER_INTERVAL_KEYS histograms. */
  readonly intervals: IntervalRecord[] = [];
  /** Every other histogram key, merged over the closed intervals. */
  private readonly merged = new Map<string, Histogram>();
  readonly failures: LiveFailure[] = [];
  readonly outages: LiveOutage[] = [];
  progress: LiveProgress | null = null;
  end: LiveEnd | null = null;
  private readonly rates: RunSummary['rates'] = {};
  private readonly failureCounts: RunSummary['failures'] = {};

  start(run: TapRun): void {
    this.run = run;
  }

  /** Returns the failure or outage it added (pushed to the page at once), if any. */
  event(ev: LiveEvent): LiveFailure | LiveOutage | undefined {
    if (OUTAGE_EVENT_TYPES.includes(ev.type)) {
      const { type, t, ...rest } = ev;
      const o: LiveOutage = {
        t,
        type,
        fields: Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' '),
      };
      this.outages.push(o);
      return o;
    }
    if (!isRunEvent(ev)) return undefined;
    this.events.push(ev);
    if (ev.type === 'user-end' && ev.outcome === 'failed') {
      const f: LiveFailure = {
        t: ev.t,
        user: ev.user,
        reason: ev.reason ?? 'other',
        firstAttempt: ev.firstAttempt,
        ...(ev.message === undefined ? {} : { message: ev.message }),
      };
      this.failures.push(f);
      if (this.failures.length > MAX_FAILURES) this.failures.shift();
      return f;
    }
    return undefined;
  }

  interval(rec: IntervalRecord): void {
    const own: Record<string, string> = {};
    for (const [key, encoded] of Object.entries(rec.trends)) {
      if (PER_INTERVAL_KEYS.includes(key)) {
        own[key] = encoded;
        continue;
      }
      const h = decode(encoded);
      const into = this.merged.get(key);
      if (into) merge(into, h);
      else this.merged.set(key, h);
    }
    this.intervals.push({ ...rec, trends: own });
    for (const [k, r] of Object.entries(rec.rates) as [
      keyof RunSummary['rates'],
      { hits: number; total: number },
    ][]) {
      const s = this.rates[k] ?? { hits: 0, total: 0, rate: 0 };
      s.hits += r.hits;
      s.total += r.total;
      s.rate = s.total === 0 ? 0 : s.hits / s.total;
      this.rates[k] = s;
    }
    for (const [k, f] of Object.entries(rec.failures) as [
      keyof RunSummary['failures'],
      { first: number; final: number },
    ][]) {
      const s = this.failureCounts[k] ?? { first: 0, final: 0 };
      s.first += f.first;
      s.final += f.final;
      this.failureCounts[k] = s;
    }
  }

  /** Run time the charts cover: the last closed interval's end (or the end of the run). */
  get coveredMs(): number {
    return this.intervals.reduce((m, iv) => Math.max(m, iv.end), 0);
  }

  /** The report's sections on the record so far (the cluster section is left out: no observer feed). */
  sections(): SectionDef[] {
    const events = this.events.filter((e) => e.t <= this.coveredMs);
    return runSections({ events, intervals: this.chartIntervals(), summary: this.summarySoFar() }).filter(
      (s) => s.id !== 'cluster',
    );
  }

  snapshot(): LiveSnapshot {
    return {
      run: this.run,
      t: this.coveredMs,
      intervals: this.intervals.length,
      progress: this.progress,
      sections: this.sections(),
      failures: this.failures,
      outages: this.outages,
      end: this.end,
    };
  }

  /** The closed intervals, the merged histograms inside the first (see the top of this file). */
  chartIntervals(): IntervalRecord[] {
    const [first, ...rest] = this.intervals;
    if (first === undefined) return [];
    const merged = Object.fromEntries([...this.merged].map(([k, h]) => [k, encode(h)]));
    return [{ ...first, trends: { ...first.trends, ...merged } }, ...rest];
  }

  /** What runSections reads of a summary: the duration so far, rates and failures (no thresholds yet). */
  private summarySoFar(): RunSummary {
    const users = { planned: this.run?.plannedUsers ?? 0, arrived: 0, late: 0, completed: 0, failed: 0 };
    return {
      id: this.run?.id ?? '',
      scenario: this.run?.scenario ?? '',
      partial: true,
      status: 'running',
      startedAt: this.run?.startedAt ?? '',
      durationMs: this.coveredMs,
      users,
      trends: {},
      rates: this.rates,
      failures: this.failureCounts,
      thresholds: [],
      verdict: 'none',
      leftovers: [],
    };
  }
}

const RUN_EVENT_TYPES = new Set(['run-start', 'arrival', 'step', 'user-end', 'cleanup', 'stop', 'run-end']);

function isRunEvent(ev: LiveEvent): ev is RunEvent {
  return RUN_EVENT_TYPES.has(ev.type);
}
