import type { IntervalRecord, RunEvent, RunSummary } from './types.js';

/**
 * A read-only subscriber to a run record as it is written (the live page and /metrics of
 * `rehearse run --live`, live/). It sees exactly what the record gets, in the same order: the run's
 * identity once the record exists, every event, every closed metrics interval (the feed of the
 * live charts), and the summary at the end. A tap must not throw and must return quickly: it is
 * called on the generator's event loop.
 */
export interface RecordTap {
  start(run: TapRun): void;
  event(ev: RunEvent): void;
  interval(rec: IntervalRecord): void;
  finish(summary: RunSummary, dir: string): void;
}

export interface TapRun {
  id: string;
  scenario: string;
  plannedUsers: number;
  intervalMs: number;
  /** ISO wall time of the run clock's 0. */
  startedAt: string;
  /** The run record's folder. */
  dir: string;
}
