/**
 * The scenario's SLOs as constraints on a simulated event. The simulator predicts time-to-ready
 * (`launch.ready`), failed launches (`launch.failed`, `session.failed`) and, from the cell-time
 * distribution and CPU contention, `cell.exec`; other metrics are listed as not judged here.
 * Expressions are read by the one SLO grammar (core/slo.ts), as the runner reads them.
 */
import { type CompareOp, holds } from '../core/compare-op.js';
import type { RateMetric, TrendMetric } from '../core/metrics.js';
import { parseOne, type RateAggregate, type TrendAggregate } from '../core/slo.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Origin } from './model.js';

export interface Slo {
  expr: string;
  metric: TrendMetric | RateMetric;
  /** 'p' with `percentile`, or avg | med | min | max | rate | count. */
  agg: TrendAggregate | RateAggregate;
  percentile?: number;
  op: CompareOp;
  /** ms for latencies, a ratio 0..1 for rates, a number for count. */
  limit: number;
  origin: Origin;
  /** False for metrics the simulator does not model (kernel.start, ws.connect, …). */
  predicted: boolean;
}

/** What a simulated event offers to judge SLOs against. */
export interface Predicted {
  /** Successful users' time-to-ready, ms, sorted ascending. */
  readyTimes: readonly number[];
  launches: number;
  failed: number;
  /** cell.exec at a percentile (ms). */
  cellAt: (percentile: number) => number;
}

export interface SloVerdict {
  slo: Slo;
  actual: number | null;
  pass: boolean;
}

const PREDICTED: ReadonlySet<string> = new Set([
  'launch.ready',
  'launch.failed',
  'session.failed',
  'cell.exec',
]);

/** The SLO every plan is held to when the scenario names no launch.ready threshold. */
export const DEFAULT_READY_SLO = 'launch.ready p(95) < 2m';

/**
 * Parse one expression with the SLO grammar: latency limits in ms, rates as a ratio 0..1, counts
 * as a number; null when it does not parse (the scenario schema has already reported it).
 */
export function parseSlo(expr: string, origin: Origin): Slo | null {
  const { threshold: t } = parseOne(expr.trim(), false);
  if (t === undefined) return null;
  return {
    expr: t.expr,
    metric: t.metric,
    agg: t.agg,
    ...(t.type === 'trend' && t.percentile !== undefined ? { percentile: t.percentile } : {}),
    op: t.op,
    limit: t.limit,
    origin,
    predicted: PREDICTED.has(t.metric),
  };
}

/** The scenario's SLOs (strings or {threshold}), plus DEFAULT_READY_SLO when none is on launch.ready. */
export function scenarioSlos(scenario: Pick<Scenario, 'slo'>): Slo[] {
  const out: Slo[] = [];
  for (const s of scenario.slo) {
    const parsed = parseSlo(typeof s === 'string' ? s : s.threshold, 'scenario');
    if (parsed) out.push(parsed);
  }
  if (!out.some((s) => s.metric === 'launch.ready')) {
    const d = parseSlo(DEFAULT_READY_SLO, 'default');
    if (d) out.push(d);
  }
  return out;
}

/** Nearest rank: v[⌈p/100 · n⌉ − 1] of sorted values (null for none). */
function rank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const r = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[r - 1] ?? null;
}

function aggregate(slo: Slo, values: readonly number[]): number | null {
  if (values.length === 0) return null;
  switch (slo.agg) {
    case 'p':
      return rank(values, slo.percentile ?? 95);
    case 'med':
      return rank(values, 50);
    case 'min':
      return values[0] ?? null;
    case 'max':
      return values.at(-1) ?? null;
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'count':
      return values.length;
    default:
      return null;
  }
}

/** The SLO's value on a simulated event, or null when the simulator does not model it. */
export function predictedValue(slo: Slo, p: Predicted): number | null {
  if (!slo.predicted) return null;
  if (slo.metric === 'launch.ready') return aggregate(slo, p.readyTimes);
  if (slo.metric === 'cell.exec') {
    const pct =
      slo.agg === 'p' ? (slo.percentile ?? 95) : slo.agg === 'med' ? 50 : slo.agg === 'max' ? 100 : 50;
    return p.cellAt(pct);
  }
  // launch.failed / session.failed: rate = failed / launches; count = failed.
  if (slo.agg === 'count') return p.failed;
  return p.launches === 0 ? 0 : p.failed / p.launches;
}

/** Judge every SLO; an unpredicted one passes with actual null (it is listed, not enforced). */
export function judge(slos: readonly Slo[], p: Predicted): SloVerdict[] {
  return slos.map((slo) => {
    const actual = predictedValue(slo, p);
    return { slo, actual, pass: actual === null ? true : holds(actual, slo.op, slo.limit) };
  });
}
