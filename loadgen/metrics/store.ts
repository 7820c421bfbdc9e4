/**
 * The metric sink of a run: samples in, one IntervalRecord per closed interval out, plus running
 * totals for live progress and abortOnFail checks.
 *
 * Intervals are [k·intervalMs, (k+1)·intervalMs) of the run's clock (ms since start), so records
 * of shards or runs with the same intervalMs line up by start. Only the last one, closed by
 * `close(t)` in the middle of an interval, is shorter: it ends at t.
 *
 * Late samples. An interval is open until `flushUntil(t)` passes its end; its record is then
 * written and never changes. A sample whose t falls in an already-closed interval (a step that
 * finished just after a flush but carries an earlier timestamp) goes into the oldest open interval,
 * the one starting where the closed ones end: it is counted, a little later than it happened,
 * rather than lost or written twice. Samples with t < 0 count in the first interval.
 */

import { type Histogram, merge, newHistogram, recordMs } from '../../core/hdr.js';
import { cohortKey, type Sample, type TrendMetric, trendKey } from '../../core/metrics.js';
import type { IntervalRecord } from '../record/types.js';
import { type MetricsSummary, MetricTotals } from './totals.js';

export interface MetricStoreOptions {
  /** Interval length in ms (the run record's intervalMs, 10 s). */
  intervalMs: number;
  /** Called with each non-empty interval as it closes, in order of start. */
  onInterval?: (rec: IntervalRecord) => void;
}

/**
 * Histogram keys of per-cell and per-cohort trends, built once: a sample's key is then a string
 * the Map has already hashed, not a new one per sample.
 */
const cellKeys = new Map<TrendMetric, string[]>();
const cohortKeys = new Map<TrendMetric, Map<string, string>>();

function cellKeyOf(metric: TrendMetric, cell: number): string {
  let keys = cellKeys.get(metric);
  if (keys === undefined) {
    keys = [];
    cellKeys.set(metric, keys);
  }
  let key = keys[cell];
  if (key === undefined) {
    key = trendKey(metric, { cell });
    keys[cell] = key;
  }
  return key;
}

function cohortKeyOf(metric: TrendMetric, cohort: string): string {
  let keys = cohortKeys.get(metric);
  if (keys === undefined) {
    keys = new Map();
    cohortKeys.set(metric, keys);
  }
  let key = keys.get(cohort);
  if (key === undefined) {
    key = cohortKey(metric, cohort);
    keys.set(cohort, key);
  }
  return key;
}

/** Add one sample to totals: a trend tagged with a cell goes to its per-cell key AND the metric. */
function addSample(totals: MetricTotals, s: Sample): void {
  switch (s.kind) {
    case 'trend':
      recordMs(totals.histogram(s.metric), s.value);
      if (s.tags?.cell !== undefined) recordMs(totals.histogram(cellKeyOf(s.metric, s.tags.cell)), s.value);
      else if (s.tags?.cohort !== undefined)
        recordMs(totals.histogram(cohortKeyOf(s.metric, s.tags.cohort)), s.value);
      return;
    case 'rate': {
      const n = s.count ?? 1;
      totals.addRate(s.metric, s.hit ? n : 0, n);
      return;
    }
    case 'failure':
      totals.addFailures(s.reason, s.attempt === 'first' ? 1 : 0, s.attempt === 'final' ? 1 : 0);
      return;
  }
}

function mergeAll(hs: readonly Histogram[]): Histogram {
  const sum = newHistogram();
  for (const h of hs) merge(sum, h);
  return sum;
}

export class MetricStore {
  private readonly intervalMs: number;
  private readonly onInterval: ((rec: IntervalRecord) => void) | undefined;
  /** Open intervals by start; created on their first sample. */
  private readonly open = new Map<number, MetricTotals>();
  /** Every interval ending at or before this is closed (a multiple of intervalMs). */
  private closedTo = 0;
  private closed = false;
  /**
   * The closed intervals, added up as each closes: with the open ones, the whole run so far (for
   * cumulativeP and snapshot). A sample is recorded once, in its interval, not twice.
   */
  private readonly run = new MetricTotals();
  /**
   * Samples added after close(): not recorded (the records are written). Non-zero means some
   * producer (a sampler timer, a user still winding down) outlived the run.
   */
  samplesAfterClose = 0;

  constructor(opts: MetricStoreOptions) {
    if (!(Number.isInteger(opts.intervalMs) && opts.intervalMs > 0)) {
      throw new RangeError(`MetricStore: intervalMs must be a positive integer, got ${opts.intervalMs}`);
    }
    this.intervalMs = opts.intervalMs;
    this.onInterval = opts.onInterval;
  }

  /**
   * Every interval ending at or before this has been closed (and handed to onInterval): a multiple
   * of intervalMs. A later sample stamped earlier goes into the oldest open interval, never here.
   */
  get closedUntil(): number {
    return this.closedTo;
  }

  add(s: Sample): void {
    if (this.closed) {
      this.samplesAfterClose += 1;
      return;
    }
    const aligned = Math.floor(Math.max(0, s.t) / this.intervalMs) * this.intervalMs;
    const start = Math.max(this.closedTo, aligned);
    let totals = this.open.get(start);
    if (totals === undefined) {
      totals = new MetricTotals();
      this.open.set(start, totals);
    }
    addSample(totals, s);
  }

  /** Close every interval whose end is <= t, emitting the non-empty ones in order of start. */
  flushUntil(t: number): void {
    if (this.closed) return;
    const boundary = Math.floor(t / this.intervalMs) * this.intervalMs;
    if (boundary <= this.closedTo) return;
    for (const start of this.openStarts()) {
      if (start + this.intervalMs > boundary) break;
      this.emit(start, start + this.intervalMs);
    }
    this.closedTo = boundary;
  }

  /**
   * Close everything at the end of the run (t): the complete intervals, then the partial one
   * containing t (its record ends at t), and any interval of samples stamped after t. Idempotent.
   */
  close(t: number): void {
    if (this.closed) return;
    this.flushUntil(t);
    for (const start of this.openStarts()) {
      const end = start < t && t < start + this.intervalMs ? t : start + this.intervalMs;
      this.emit(start, end);
    }
    this.closed = true;
  }

  /** Percentile p (0..100) of a trend over the whole run so far, in ms; null before any sample. */
  cumulativeP(metric: TrendMetric, p: number): number | null {
    const parts: Histogram[] = [];
    for (const t of [this.run, ...this.open.values()]) {
      const h = t.trends.get(metric);
      if (h !== undefined && h.totalCount > 0) parts.push(h);
    }
    const [first] = parts;
    if (first === undefined) return null;
    return (parts.length === 1 ? first : mergeAll(parts)).getValueAtPercentile(p) / 1000;
  }

  /**
   * The metrics of the whole run so far, open intervals included: what checkAbort needs, without
   * decoding every closed interval again. `percentiles` as in summarizeIntervals.
   */
  snapshot(percentiles: readonly number[] = []): MetricsSummary {
    if (this.open.size === 0) return this.run.summarize(percentiles);
    const all = new MetricTotals();
    all.addTotals(this.run);
    for (const t of this.open.values()) all.addTotals(t);
    return all.summarize(percentiles);
  }

  private openStarts(): number[] {
    return [...this.open.keys()].sort((a, b) => a - b);
  }

  private emit(start: number, end: number): void {
    const totals = this.open.get(start);
    if (totals === undefined) return;
    this.open.delete(start);
    this.run.addTotals(totals);
    if (!totals.isEmpty()) this.onInterval?.(totals.toRecord(start, end));
  }
}
