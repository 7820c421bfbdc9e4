/**
 * Reading percentiles off a record's interval histograms. Histograms of the same key are merged
 * exactly (added bucket by bucket) before any percentile is read: percentiles are never averaged.
 */
import { decode, type Histogram, merge, newHistogram } from '../../core/hdr.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';

/** The histogram of `key` over the given intervals (empty when no interval has it). Values in µs. */
export function mergedHistogram(intervals: readonly IntervalRecord[], key: string): Histogram {
  const h = newHistogram();
  for (const iv of intervals) {
    const encoded = iv.trends[key];
    if (encoded !== undefined) merge(h, decode(encoded));
  }
  return h;
}

/** The value at percentile `p` (0..100) in milliseconds; 0 for an empty histogram. */
export function percentileMs(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
}

/** Every histogram key present in any interval, sorted. */
export function histogramKeys(intervals: readonly IntervalRecord[]): string[] {
  const keys = new Set<string>();
  for (const iv of intervals) for (const k of Object.keys(iv.trends)) keys.add(k);
  return [...keys].sort();
}
