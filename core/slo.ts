/**
 * The one SLO (threshold) grammar: `launch.ready p(95) < 60s`. The scenario schema checks a
 * scenario's `slo` entries with it (each problem listed with the schema's other issues), the runner
 * judges the parsed thresholds (loadgen/thresholds.ts) and the planner holds simulated events to
 * them (analysis/slo.ts). The grammar is written above parseOne.
 */

import type { CompareOp } from './compare-op.js';
import { RATE_METRICS, type RateMetric, TREND_METRICS, type TrendMetric, trendKey } from './metrics.js';

export type ThresholdOp = CompareOp;
export type TrendAggregate = 'p' | 'avg' | 'min' | 'max' | 'med';
export type RateAggregate = 'rate' | 'count';

interface ThresholdBase {
  /** The expression as written. */
  expr: string;
  op: ThresholdOp;
  /** ms for trends, a fraction 0..1 for `rate`, a whole number for `count`. */
  limit: number;
  abortOnFail: boolean;
}
export type Threshold =
  | (ThresholdBase & {
      type: 'trend';
      metric: TrendMetric;
      cell?: number;
      /** Histogram key: the metric, or `cell.exec{cell=N}`. */
      key: string;
      agg: TrendAggregate;
      /** For `p(N)`: N. */
      percentile?: number;
    })
  | (ThresholdBase & { type: 'rate'; metric: RateMetric; agg: RateAggregate });

export type ThresholdEntry = string | { threshold: string; abortOnFail?: boolean };

export interface ThresholdError {
  /** Index of the entry in the `slo` list. */
  index: number;
  expr: string;
  /** 1-based column in `expr` where it went wrong. */
  column: number;
  message: string;
}

/** Parse every `slo` entry; all errors of all entries are collected, none stops the others. */
export function parseThresholds(entries: readonly ThresholdEntry[]): {
  thresholds: Threshold[];
  errors: ThresholdError[];
} {
  const thresholds: Threshold[] = [];
  const errors: ThresholdError[] = [];
  for (const [index, entry] of entries.entries()) {
    const expr = typeof entry === 'string' ? entry : entry.threshold;
    const abortOnFail = typeof entry === 'string' ? false : (entry.abortOnFail ?? false);
    const { threshold, problems } = parseOne(expr, abortOnFail);
    if (threshold !== undefined) thresholds.push(threshold);
    for (const p of problems) errors.push({ index, expr, ...p });
  }
  return { thresholds, errors };
}

const TRENDS: ReadonlySet<string> = new Set(TREND_METRICS);
const RATES: ReadonlySet<string> = new Set(RATE_METRICS);
const TREND_AGGS = 'p(N), avg, min, max or med';
const OPS: ReadonlySet<string> = new Set(['<', '<=', '>', '>=', '==', '!=']);
const AGGREGATES: ReadonlySet<string> = new Set(['avg', 'min', 'max', 'med', 'rate', 'count']);
/** ms per trend unit; a bare number is ms. */
const TIME_UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Levenshtein distance (insert, delete, substitute), for "did you mean". */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function unknownMetric(name: string): string {
  const known = [...TREND_METRICS, ...RATE_METRICS];
  const scored = known.map((m) => ({ m, d: editDistance(name.toLowerCase(), m) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  if (best !== undefined && best.d <= Math.max(2, Math.floor(name.length / 3))) {
    return `unknown metric "${name}": did you mean "${best.m}"?`;
  }
  return `unknown metric "${name}": expected one of ${known.join(', ')}`;
}

/** A non-negative decimal literal times `num / den`, rounded once (so "0.1%" is exactly 0.001). */
function scaled(literal: string, num: number, den: number): number {
  const [whole = '', frac = ''] = literal.split('.');
  return (Number(whole + frac) * num) / (den * 10 ** frac.length);
}

/** A cursor over one expression; `col` is 1-based. */
class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  get col(): number {
    return this.pos + 1;
  }
  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  skipSpaces(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }
  /** Consume `re` (a sticky regex) at the cursor; undefined when it does not match there. */
  take(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (m === null) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
  /** The next word-ish token, for messages. */
  peekToken(): string {
    return /\S+/y.exec(this.text.slice(this.pos))?.[0] ?? '';
  }
}

export type Problem = { column: number; message: string };

/**
 * One expression. The grammar (spaces and tabs allowed between tokens, not inside them):
 *
 *   threshold  ::= metric [ tag ] aggregate op value
 *   metric     ::= one of TREND_METRICS | one of RATE_METRICS       e.g. launch.ready
 *   tag        ::= "{" "cell" "=" integer "}"                         cell.exec only
 *   aggregate  ::= "p(" number ")" | "avg" | "min" | "max" | "med"   trend metrics; 0 <= N <= 100
 *                | "rate" | "count"                                  rate metrics
 *   op         ::= "<" | "<=" | ">" | ">=" | "==" | "!="
 *   value      ::= number [ unit ]                                   no space before the unit
 *   unit       ::= "ms" | "s" | "m" | "h"     trend aggregates; a bare number is ms
 *                | "%"                       rate (a bare number is a fraction 0..1)
 *                                            count: a bare whole number
 *   number     ::= digit+ [ "." digit+ ]
 *
 * Parsing goes on after an error wherever the next token can still be found, so that one
 * expression reports all its mistakes.
 */
export function parseOne(expr: string, abortOnFail: boolean): { threshold?: Threshold; problems: Problem[] } {
  const problems: Problem[] = [];
  const fail = (column: number, message: string) => {
    problems.push({ column, message });
  };
  if (expr.trim() === '') {
    fail(1, 'empty threshold: expected "<metric> <agg> <op> <value>", like "launch.ready p(95) < 60s"');
    return { problems };
  }
  const sc = new Scanner(expr);
  const metric = parseMetric(sc, fail);
  const tag = parseTag(sc, fail, metric);
  if (tag === 'unreadable') return { problems };
  const agg = parseAggregate(sc, fail, metric);
  const op = parseOp(sc, fail, agg, abortOnFail);
  if (op === 'end') return { problems };
  const limit = parseValue(sc, fail, agg?.agg);

  if (problems.length > 0 || !metric?.type || !agg || !op || limit === undefined) return { problems };
  const base = { expr, op, limit, abortOnFail };
  if (metric.type === 'rate') {
    const rate: Threshold = {
      ...base,
      type: 'rate',
      metric: metric.name as RateMetric,
      agg: agg.agg as RateAggregate,
    };
    return { threshold: rate, problems };
  }
  const trend = metric.name as TrendMetric;
  const threshold: Threshold = {
    ...base,
    type: 'trend',
    metric: trend,
    ...(tag === undefined ? {} : { cell: tag }),
    key: trendKey(trend, tag === undefined ? undefined : { cell: tag }),
    agg: agg.agg as TrendAggregate,
    ...(agg.percentile === undefined ? {} : { percentile: agg.percentile }),
  };
  return { threshold, problems };
}

type Fail = (column: number, message: string) => void;
type Metric = { name: string; type: 'trend' | 'rate' | undefined };

function parseMetric(sc: Scanner, fail: Fail): Metric | undefined {
  sc.skipSpaces();
  const col = sc.col;
  const name = sc.take(/[A-Za-z0-9_.]+/y);
  if (name === undefined) {
    fail(col, `expected a metric name like launch.ready, found "${sc.peekToken()}"`);
    return undefined;
  }
  const type = TRENDS.has(name) ? 'trend' : RATES.has(name) ? 'rate' : undefined;
  if (type === undefined) fail(col, unknownMetric(name));
  return { name, type };
}

/** `{cell=N}` right after the metric: N, undefined when absent, 'unreadable' when there is no `}`. */
function parseTag(sc: Scanner, fail: Fail, metric: Metric | undefined): number | undefined | 'unreadable' {
  const col = sc.col;
  if (sc.take(/\{/y) === undefined) return undefined;
  const n = sc.take(/\s*cell\s*=\s*\d+\s*/y)?.match(/\d+/)?.[0];
  if (n === undefined || sc.take(/\}/y) === undefined) {
    fail(col, 'expected a tag {cell=N}, N the code cell index');
    return sc.take(/[^}]*\}/y) === undefined ? 'unreadable' : undefined;
  }
  if (metric?.type !== undefined && metric.name !== 'cell.exec') {
    fail(col, `only cell.exec is recorded per cell; ${metric.name} has no {cell=N}`);
  }
  return Number(n);
}

type Aggregate = { agg: TrendAggregate | RateAggregate; percentile?: number };

function parseAggregate(sc: Scanner, fail: Fail, metric: Metric | undefined): Aggregate | undefined {
  sc.skipSpaces();
  const col = sc.col;
  let agg: Aggregate | undefined;
  if (sc.take(/p\(/y) !== undefined) {
    const nCol = sc.col;
    const n = sc.take(/[^)\s<>=!]*/y) ?? '';
    const valid = /^\d+(\.\d+)?$/.test(n) && Number(n) <= 100;
    if (!valid) fail(nCol, `expected a percentile from 0 to 100 in p(N), found "${n}"`);
    if (sc.take(/\)/y) === undefined) fail(sc.col, 'expected ")" to close p(');
    agg = valid ? { agg: 'p', percentile: Number(n) } : { agg: 'p' };
  } else {
    const word = sc.take(/[A-Za-z][A-Za-z0-9_]*/y);
    if (word !== undefined && AGGREGATES.has(word)) agg = { agg: word as Aggregate['agg'] };
    else if (word !== undefined && /^p\d/.test(word))
      fail(col, `write the percentile as p(${word.slice(1)})`);
    else {
      const found = word ?? sc.peekToken();
      fail(
        col,
        `expected an aggregation (${TREND_AGGS} for a trend; rate or count for a rate), found "${found}"`,
      );
    }
  }
  const aggType =
    agg === undefined ? undefined : agg.agg === 'rate' || agg.agg === 'count' ? 'rate' : 'trend';
  if (metric?.type === 'rate' && aggType === 'trend')
    fail(col, `${metric.name} is a rate: use rate or count`);
  if (metric?.type === 'trend' && aggType === 'rate') {
    fail(col, `${metric.name} is a trend (a latency): use ${TREND_AGGS}`);
  }
  return agg;
}

/** The operator; 'end' when the expression stops before it (nothing more to check). */
function parseOp(
  sc: Scanner,
  fail: Fail,
  agg: Aggregate | undefined,
  abortOnFail: boolean,
): ThresholdOp | undefined | 'end' {
  sc.skipSpaces();
  const col = sc.col;
  const text = sc.take(/[<>=!]+/y);
  if (text === undefined) {
    if (sc.atEnd()) {
      fail(col, 'missing operator and value, like "< 60s"');
      return 'end';
    }
    fail(col, `expected an operator (<, <=, >, >=, ==, !=), found "${sc.peekToken()}"`);
    return undefined;
  }
  if (!OPS.has(text)) {
    fail(col, `unknown operator "${text}": expected <, <=, >, >=, == or !=`);
    return undefined;
  }
  const op = text as ThresholdOp;
  if (abortOnFail && agg?.agg === 'count' && op !== '<' && op !== '<=') {
    fail(
      col,
      'abortOnFail needs an upper bound (< or <=) on a count: a count only grows, so it would fail at the start',
    );
  }
  return op;
}

/** The limit: ms for trend aggregates, a fraction for rate, a whole number for count. */
function parseValue(sc: Scanner, fail: Fail, agg: Aggregate['agg'] | undefined): number | undefined {
  sc.skipSpaces();
  const col = sc.col;
  const num = sc.take(/-?\d+(?:\.\d+)?/y);
  if (num === undefined) {
    fail(
      col,
      sc.atEnd() ? 'missing value after the operator' : `expected a number, found "${sc.peekToken()}"`,
    );
    return undefined;
  }
  const unitCol = sc.col;
  const unit = sc.take(/[A-Za-z%]+/y) ?? '';
  sc.skipSpaces();
  if (!sc.atEnd()) {
    const rest = sc.text.slice(sc.pos);
    const hint =
      unit === '' && /^[a-z%]+$/i.test(rest)
        ? `; write the unit right after the number, like ${num}${rest}`
        : '';
    fail(sc.col, `unexpected "${rest}" after the value${hint}`);
  }
  if (num.startsWith('-')) {
    fail(col, 'expected a value >= 0: latencies, rates and counts are never negative');
    return undefined;
  }
  if (agg === 'rate') {
    if (unit !== '%' && unit !== '') {
      fail(unitCol, `a rate takes % or no unit (a fraction from 0 to 1), not "${unit}"`);
      return undefined;
    }
    const limit = unit === '%' ? scaled(num, 1, 100) : scaled(num, 1, 1);
    if (limit <= 1) return limit;
    fail(
      col,
      unit === '%'
        ? 'a rate is at most 100%'
        : `a rate is a fraction from 0 to 1; write ${num}% for a percentage`,
    );
    return undefined;
  }
  if (agg === 'count') {
    if (unit !== '') fail(unitCol, `a count is a plain whole number, without a unit ("${unit}")`);
    else if (num.includes('.')) fail(col, 'a count is a whole number');
    else return Number(num);
    return undefined;
  }
  const factor = TIME_UNITS[unit];
  if (factor !== undefined) return scaled(num, factor, 1);
  // With no valid aggregation, % may be right (a rate); do not guess.
  if (unit !== '%')
    fail(unitCol, `unknown unit "${unit}": a latency takes ms, s, m or h (a bare number is ms)`);
  else if (agg !== undefined) fail(unitCol, '% is for rates; a latency takes ms, s, m or h');
  return undefined;
}
