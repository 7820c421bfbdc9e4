/**
 * Merging metrics exactly. An interval record carries whole HDR histograms, so the run summary, a
 * partial record's summary and the merge of several generator shards all decode and add the
 * histograms, then read percentiles off the sum: never an average of percentiles, which has no
 * meaning (the p95 of two halves says nothing about the p95 of the whole). Rates and failure
 * counts are sums.
 */

import { decode, encode, type Histogram, merge, newHistogram, summarizeHistogram } from '../../core/hdr.js';
import type { FailureReason, RateMetric } from '../../core/metrics.js';
import type { IntervalRecord, RunSummary } from '../record/types.js';

/** The metric part of a run summary. */
export type MetricsSummary = Pick<RunSummary, 'trends' | 'rates' | 'failures'>;

/** hits / total of a rate metric (k6 Rate: the fraction of samples that were hits). */
export interface RateCounts {
  hits: number;
  total: number;
}

/** Failures by attempt: the first attempt's reason, and the final one (after any retry). */
export interface FailureCounts {
  first: number;
  final: number;
}

/**
 * Running totals: histograms by key, rate counts, failure counts. One per open interval in the
 * MetricStore, one for the whole run, and one per merge here.
 */
export class MetricTotals {
  readonly trends = new Map<string, Histogram>();
  readonly rates = new Map<RateMetric, RateCounts>();
  readonly failures = new Map<FailureReason, FailureCounts>();

  /** The histogram under `key`, created empty on first use. */
  histogram(key: string): Histogram {
    let h = this.trends.get(key);
    if (h === undefined) {
      h = newHistogram();
      this.trends.set(key, h);
    }
    return h;
  }

  addRate(metric: RateMetric, hits: number, total: number): void {
    const r = this.rates.get(metric) ?? { hits: 0, total: 0 };
    r.hits += hits;
    r.total += total;
    this.rates.set(metric, r);
  }

  addFailures(reason: FailureReason, first: number, final: number): void {
    const f = this.failures.get(reason) ?? { first: 0, final: 0 };
    f.first += first;
    f.final += final;
    this.failures.set(reason, f);
  }

  /** Add everything `other` holds (histograms added exactly). */
  addTotals(other: MetricTotals): void {
    for (const [key, h] of other.trends) merge(this.histogram(key), h);
    for (const [metric, r] of other.rates) this.addRate(metric, r.hits, r.total);
    for (const [reason, f] of other.failures) this.addFailures(reason, f.first, f.final);
  }

  /** Add everything an interval record holds (histograms decoded and added exactly). */
  addRecord(rec: IntervalRecord): void {
    for (const [key, encoded] of Object.entries(rec.trends)) merge(this.histogram(key), decode(encoded));
    for (const [metric, r] of entries(rec.rates)) this.addRate(metric, r.hits, r.total);
    for (const [reason, f] of entries(rec.failures)) this.addFailures(reason, f.first, f.final);
  }

  isEmpty(): boolean {
    return this.trends.size === 0 && this.rates.size === 0 && this.failures.size === 0;
  }

  /** An interval record of these totals, histograms encoded. */
  toRecord(start: number, end: number): IntervalRecord {
    const trends: Record<string, string> = {};
    for (const [key, h] of this.trends) trends[key] = encode(h);
    const rates: IntervalRecord['rates'] = {};
    for (const [metric, r] of this.rates) rates[metric] = { hits: r.hits, total: r.total };
    const failures: IntervalRecord['failures'] = {};
    for (const [reason, f] of this.failures) failures[reason] = { first: f.first, final: f.final };
    return { start, end, trends, rates, failures };
  }

  /**
   * Summary in ms; `rate` = hits / total, and 0 when there were no samples. `percentiles` are
   * computed in addition to p50/p90/p95/p99 (see thresholdPercentiles).
   */
  summarize(percentiles: readonly number[] = []): MetricsSummary {
    const trends: MetricsSummary['trends'] = {};
    for (const [key, h] of this.trends) trends[key] = summarizeHistogram(h, percentiles);
    const rates: MetricsSummary['rates'] = {};
    for (const [metric, r] of this.rates) {
      rates[metric] = { hits: r.hits, total: r.total, rate: r.total === 0 ? 0 : r.hits / r.total };
    }
    const failures: MetricsSummary['failures'] = {};
    for (const [reason, f] of this.failures) failures[reason] = { first: f.first, final: f.final };
    return { trends, rates, failures };
  }
}

/** Object.entries for the Partial<Record<literal union, V>> maps of a record. */
function entries<K extends string, V>(o: Partial<Record<K, V>>): [K, V][] {
  return (Object.entries(o) as [K, V | undefined][]).filter((e): e is [K, V] => e[1] !== undefined);
}

/**
 * The metrics of a whole run (or of whatever intervals are given, e.g. a partial record): every
 * histogram key merged exactly over the intervals, rates and failures summed. `percentiles` lists
 * extra percentiles to compute (those the thresholds name; see thresholdPercentiles).
 */
export function summarizeIntervals(
  intervals: readonly IntervalRecord[],
  percentiles: readonly number[] = [],
): MetricsSummary {
  const totals = new MetricTotals();
  for (const rec of intervals) totals.addRecord(rec);
  return totals.summarize(percentiles);
}

/**
 * Merge two interval lists (two generator shards of one run, same intervalMs) aligned by start:
 * records with the same start become one (histograms added exactly, counts summed, the later end
 * kept, so a shorter final partial interval takes the longer one's end); the others pass through.
 * The result is sorted by start. Merging is associative and commutative up to key order.
 */
export function mergeIntervalRecords(
  a: readonly IntervalRecord[],
  b: readonly IntervalRecord[],
): IntervalRecord[] {
  const byStart = new Map<number, { end: number; parts: IntervalRecord[] }>();
  for (const rec of [...a, ...b]) {
    const slot = byStart.get(rec.start);
    if (slot === undefined) byStart.set(rec.start, { end: rec.end, parts: [rec] });
    else {
      slot.end = Math.max(slot.end, rec.end);
      slot.parts.push(rec);
    }
  }
  return [...byStart.entries()]
    .sort(([x], [y]) => x - y)
    .map(([start, { end, parts }]) => {
      if (parts.length === 1 && parts[0] !== undefined) return parts[0];
      const totals = new MetricTotals();
      for (const rec of parts) totals.addRecord(rec);
      return totals.toRecord(start, end);
    });
}
