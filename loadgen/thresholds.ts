/**
 * k6-style thresholds from a scenario's `slo` list: parsed once before the run (every error of
 * every entry reported, each with its 1-based column), judged on the run summary at the end, and
 * the abortOnFail ones also periodically during the run (checkAbort).
 *
 * The expressions are parsed by the one SLO grammar, core/slo.ts, which the scenario schema
 * already applied (a scenario with a bad expression does not load); this module judges them.
 */

import { holds } from '../core/compare-op.js';
import type { TrendSummary } from '../core/hdr.js';
import { percentileKey } from '../core/hdr.js';
import type { Threshold } from '../core/slo.js';
import type { RunSummary, ThresholdResult } from './record/types.js';

/** The percentiles thresholds name beyond the p50/p90/p95/p99 every TrendSummary has. */
export function thresholdPercentiles(thresholds: readonly Threshold[]): number[] {
  const fixed = new Set([50, 90, 95, 99]);
  const extra = new Set<number>();
  for (const t of thresholds) {
    if (t.type === 'trend' && t.percentile !== undefined && !fixed.has(t.percentile)) extra.add(t.percentile);
  }
  return [...extra].sort((a, b) => a - b);
}

type Judged = Pick<RunSummary, 'trends' | 'rates'>;

function percentileOf(s: TrendSummary, key: string, p: number): number {
  const fixed: Record<number, number> = { 50: s.p50, 90: s.p90, 95: s.p95, 99: s.p99 };
  const value = fixed[p] ?? s.percentiles?.[percentileKey(p)];
  if (value === undefined) {
    throw new Error(`the summary of ${key} has no p(${p}): summarize with thresholdPercentiles(thresholds)`);
  }
  return value;
}

/** The value a threshold is judged on: ms for trends, 0..1 for rate, hits for count; null = no data. */
function actualOf(t: Threshold, summary: Judged): number | null {
  if (t.type === 'rate') {
    const r = summary.rates[t.metric];
    const [hits, total] = [r?.hits ?? 0, r?.total ?? 0];
    if (t.agg === 'count') return hits;
    return total === 0 ? 0 : hits / total;
  }
  const s = summary.trends[t.key];
  if (s === undefined || s.count === 0) return null;
  switch (t.agg) {
    case 'avg':
      return s.mean;
    case 'min':
      return s.min;
    case 'max':
      return s.max;
    case 'med':
      return s.p50;
    case 'p':
      return percentileOf(s, t.key, t.percentile ?? 50);
  }
}

/**
 * Judge thresholds on a summary. A trend threshold with no samples FAILS (actual null): the
 * latency it bounds was never measured, most often because the step never succeeded (every launch
 * failed, so launch.ready is empty); passing would turn a total outage into a green run. A rate
 * with no samples has rate 0 (k6: the fraction of zero samples), and count 0.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], summary: Judged): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = actualOf(t, summary);
    const pass = actual !== null && holds(actual, t.op, t.limit);
    return { expr: t.expr, pass, actual, limit: t.limit, op: t.op, abortOnFail: t.abortOnFail };
  });
}

/**
 * The abortOnFail thresholds failing on the run so far (evaluated by the runner every few
 * seconds). Unlike the end of the run, a threshold without evidence yet does not abort: a trend
 * with no samples, or a rate with no samples (its rate 0 would fail every lower bound at t=0).
 */
export function checkAbort(thresholds: readonly Threshold[], partialSummary: Judged): ThresholdResult[] {
  const withEvidence = thresholds.filter((t) => {
    if (!t.abortOnFail) return false;
    if (t.type === 'trend') return (partialSummary.trends[t.key]?.count ?? 0) > 0;
    return (partialSummary.rates[t.metric]?.total ?? 0) > 0 || t.agg === 'count';
  });
  return evaluateThresholds(withEvidence, partialSummary).filter((r) => !r.pass);
}
