/**
 * The one place that configures hdr-histogram-js. Every trend histogram of a run, an interval
 * record, a shard or a merge is built here, so that they all share one bucket layout and merge
 * exactly (same lowest value and significant digits → same value-to-bucket mapping).
 *
 * Values are integer MICROseconds (IntervalRecord); summaries are in milliseconds (TrendSummary).
 *
 * Layout: lowest 1 µs, 3 significant digits (0.1 % value resolution), 32-bit counts, auto-resize
 * from a tiny initial range; the highest value (24 h) is enforced by `recordMs`, which clamps.
 * Measured on Node 20, 2 cores (numbers per histogram; lognormal samples, median 20 s):
 *
 *   layout                       empty     1000 samples   encode     decode+add
 *   32-bit, grows from [1, 2]    9 KB      86 KB          0.3 ms     0.5–1.4 ms
 *   32-bit, fixed [1 µs, 24 h]   116 KB    116 KB         0.3 ms     0.4–0.7 ms
 *   packed, fixed [1 µs, 24 h]   1.7 KB    27 KB          5–10 ms    12–40 ms
 *
 * `packed` is the lightest, but every encode, decode and add walks its ~29 k sparse slots: closing
 * one 10 s interval (~30 histograms) would block the generator's event loop for 150–300 ms, which
 * would itself show up as schedule lag. A growing 32-bit array costs 9 KB until something is
 * recorded and 70–90 KB once seconds-to-minutes latencies are (a run holds a few dozen at once),
 * and keeps every operation under ~1 ms. 16-bit counts would halve that but cap a bucket at 65 535,
 * too few for a long merged run. WebAssembly records several times faster but needs an explicit
 * destroy() per histogram; we record a few thousand values a second at most: not worth it.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

export type { Histogram };

/** A trend's summary in milliseconds, as a run record stores it (RunSummary.trends). */
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

/** The highest value a histogram holds: 24 h in microseconds. Longer waits are recorded as 24 h. */
export const HIGHEST_US = 24 * 60 * 60 * 1_000_000;

/** An empty histogram in the shared layout (values in µs). */
export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    // The initial range only; it grows (autoResize) to what is recorded, at most HIGHEST_US.
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/**
 * Record a latency given in milliseconds: rounded to the nearest microsecond and clamped to
 * [1 µs, 24 h]. HDR cannot tell 0 from "nothing below the lowest value", so a 0 ms sample (a
 * cache hit's `launch.build`) is recorded as 1 µs and reads back as 0.001 ms.
 */
export function recordMs(h: Histogram, ms: number): void {
  if (Number.isNaN(ms)) throw new RangeError('recordMs: a latency must be a number, got NaN');
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

/** The V2 compressed base64 encoding ("HISTFAAA…"), readable by every HdrHistogram port. */
export function encode(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** A histogram from `encode`, in the shared layout (it may grow when others are merged into it). */
export function decode(s: string): Histogram {
  const h = decodeFromCompressedBase64(s, 32, false);
  h.autoResize = true;
  return h;
}

/** Add every count of `from` into `into` (exact: both share the bucket layout). */
export function merge(into: Histogram, from: Histogram): void {
  into.add(from);
}

/** The key of an extra percentile in TrendSummary.percentiles: `String(99.9)` = "99.9". */
export const percentileKey = (p: number): string => String(p);

/**
 * Summary in milliseconds. Percentiles come from getValueAtPercentile: the highest value
 * equivalent to the bucket holding that rank, so at most 0.1 % above the sample. min and max are
 * likewise the bounds of the lowest and highest non-empty buckets (p(0) and p(100)): the
 * library's minNonZeroValue/maxValue hold the raw value in a live histogram but a bucket bound
 * after decode or add, and a summary must not depend on which path a histogram took. The mean is
 * over bucket midpoints. p50, p90, p95 and p99 are always computed; `extra` percentiles (those
 * thresholds name, like 99.9) go into `percentiles`. An empty histogram summarises to all zeros.
 */
export function summarizeHistogram(h: Histogram, extra: readonly number[] = []): TrendSummary {
  const count = h.totalCount;
  const at = (p: number) => (count === 0 ? 0 : h.getValueAtPercentile(p) / 1000);
  const summary: TrendSummary = {
    count,
    min: at(0),
    max: at(100),
    mean: count === 0 ? 0 : h.mean / 1000,
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
  };
  if (extra.length > 0) {
    summary.percentiles = Object.fromEntries(extra.map((p) => [percentileKey(p), at(p)]));
  }
  return summary;
}
