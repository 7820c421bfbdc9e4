import { mergeIntervalRecords } from '../metrics/totals.js';
import type { IntervalRecord } from '../record/types.js';

/**
 * The coordinator's interval merge. Workers share the run clock (0 = the common start), so their
 * intervals are [k·I, (k+1)·I) of the same instants and line up by start. Records with the same
 * start are merged exactly (HDR histograms added bucket by bucket, rates and failure counts summed:
 * mergeIntervalRecords); a percentile is only ever read off the merged histogram.
 *
 * When is a merged interval complete? Each worker's heartbeat carries `flushedUntil`: its store
 * has closed, and (lines being written in order) sent, every interval starting before it; later
 * samples stamped earlier go into its oldest open interval, never into a closed one. So the
 * interval starting at S is final once S + I <= min over live workers of flushedUntil; a worker
 * that is done or lost counts as +∞ (it sends nothing more). `drain` returns the final intervals
 * in order of start, each exactly once; when every worker has ended it returns the rest, including
 * the shorter last intervals (the longest end is kept).
 *
 * A record that arrives for a start already drained (a worker breaking the protocol) is not lost:
 * it is drained again on its own, and every reader sums records regardless (summarizeIntervals).
 */
export class IntervalMerger {
  private readonly pending = new Map<number, IntervalRecord[]>();
  private readonly watermark: number[];

  constructor(
    shards: number,
    private readonly intervalMs: number,
  ) {
    this.watermark = new Array<number>(shards).fill(0);
  }

  add(rec: IntervalRecord): void {
    const parts = this.pending.get(rec.start);
    if (parts) parts.push(rec);
    else this.pending.set(rec.start, [rec]);
  }

  /** A worker's heartbeat: it has sent every interval starting before `flushedUntil`. */
  advance(shard: number, flushedUntil: number): void {
    const w = this.watermark[shard];
    if (w !== undefined && flushedUntil > w) this.watermark[shard] = flushedUntil;
  }

  /** The worker has ended (done, or lost): it holds nothing back any more. */
  end(shard: number): void {
    if (shard < this.watermark.length) this.watermark[shard] = Number.POSITIVE_INFINITY;
  }

  /** Merged intervals that are final now, in order of start. */
  drain(): IntervalRecord[] {
    const until = Math.min(...this.watermark);
    const ready = [...this.pending.keys()]
      .filter((start) => start + this.intervalMs <= until || until === Number.POSITIVE_INFINITY)
      .sort((a, b) => a - b);
    return ready.map((start) => {
      const parts = this.pending.get(start) ?? [];
      this.pending.delete(start);
      // Every part has this start: mergeIntervalRecords adds them all in one pass.
      const [merged] = mergeIntervalRecords(parts, []);
      return merged as IntervalRecord;
    });
  }
}
