/**
 * HDR histogram helpers for readers of a run record (analysis/, reports/), which may import
 * loadgen/record/ but not loadgen/metrics/: decoding an interval's histograms, merging them exactly
 * and summarising them, in the one shared layout (see loadgen/metrics/hdr.ts).
 */
export { decode, type Histogram, merge, newHistogram, summarizeHistogram } from '../metrics/hdr.js';
/** The trend metrics a record's intervals may hold (names and their order of the report). */
export { TREND_METRICS, type TrendMetric } from '../metrics/names.js';
