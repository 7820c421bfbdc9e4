import { describe, expect, it } from 'vitest';
import type { TrendSummary } from '../../core/hdr.js';
import { RATE_METRICS, TREND_METRICS } from '../../core/metrics.js';
import { parseThresholds, type Threshold, type ThresholdEntry } from '../../core/slo.js';
import type { RunSummary } from '../../loadgen/record/types.js';
import { checkAbort, evaluateThresholds, thresholdPercentiles } from '../../loadgen/thresholds.js';

function parsed(...entries: ThresholdEntry[]): Threshold[] {
  const { thresholds, errors } = parseThresholds(entries);
  expect(errors).toEqual([]);
  return thresholds;
}

/** [column, message] of each error of one expression. */
function errorsOf(expr: string, abortOnFail = false): [number, string][] {
  const { thresholds, errors } = parseThresholds([{ threshold: expr, abortOnFail }]);
  expect(thresholds).toEqual([]);
  return errors.map((e) => [e.column, e.message]);
}

const AGGS = 'expected an aggregation (p(N), avg, min, max or med for a trend; rate or count for a rate)';
const LATENCY_UNITS = 'a latency takes ms, s, m or h (a bare number is ms)';

describe('parseThresholds: valid expressions', () => {
  it('reads trends with units into ms, and per-cell keys', () => {
    const base = { type: 'trend', op: '<', abortOnFail: false } as const;
    expect(
      parsed(
        'launch.ready p(95) < 60s',
        'cell.exec{cell=3} p(99.9) < 1.5m',
        'launch.ready med < 1.5h',
        'kernel.start avg < 250',
        'ws.connect min < 0.1s',
        'leave max < 1.1ms',
      ),
    ).toEqual([
      {
        ...base,
        expr: 'launch.ready p(95) < 60s',
        metric: 'launch.ready',
        key: 'launch.ready',
        agg: 'p',
        percentile: 95,
        limit: 60_000,
      },
      {
        ...base,
        expr: 'cell.exec{cell=3} p(99.9) < 1.5m',
        metric: 'cell.exec',
        cell: 3,
        key: 'cell.exec{cell=3}',
        agg: 'p',
        percentile: 99.9,
        limit: 90_000,
      },
      {
        ...base,
        expr: 'launch.ready med < 1.5h',
        metric: 'launch.ready',
        key: 'launch.ready',
        agg: 'med',
        limit: 5_400_000,
      },
      {
        ...base,
        expr: 'kernel.start avg < 250',
        metric: 'kernel.start',
        key: 'kernel.start',
        agg: 'avg',
        limit: 250,
      },
      {
        ...base,
        expr: 'ws.connect min < 0.1s',
        metric: 'ws.connect',
        key: 'ws.connect',
        agg: 'min',
        limit: 100,
      },
      { ...base, expr: 'leave max < 1.1ms', metric: 'leave', key: 'leave', agg: 'max', limit: 1.1 },
    ]);
  });

  it('reads rates as fractions (percent exactly), counts as whole numbers, every operator', () => {
    const t = parsed(
      'launch.failed rate < 1%',
      'launch.failed rate <= 0.1%',
      'arrival.late rate>0.05',
      'session.failed count >= 3',
      'cell.failed count == 0',
      'launch.failed.first rate != 100%',
    );
    expect(t.map((x) => [x.type, x.metric, x.agg, x.op, x.limit])).toEqual([
      ['rate', 'launch.failed', 'rate', '<', 0.01],
      ['rate', 'launch.failed', 'rate', '<=', 0.001],
      ['rate', 'arrival.late', 'rate', '>', 0.05],
      ['rate', 'session.failed', 'count', '>=', 3],
      ['rate', 'cell.failed', 'count', '==', 0],
      ['rate', 'launch.failed.first', 'rate', '!=', 1],
    ]);
  });

  it('allows spaces around tokens and the object form with abortOnFail', () => {
    const [a, b, c] = parsed(
      '  launch.ready   p(100)<=  0 ',
      { threshold: 'launch.failed rate < 1%', abortOnFail: true },
      { threshold: 'launch.failed count < 3' },
    );
    expect([a?.agg, a?.op, a?.limit, a?.abortOnFail]).toEqual(['p', '<=', 0, false]);
    expect(b?.abortOnFail).toBe(true);
    expect(c?.abortOnFail).toBe(false);
  });
});

describe('parseThresholds: errors, with their columns', () => {
  const cases: [string, [number, string][]][] = [
    ['launch.redy p(95) < 60s', [[1, 'unknown metric "launch.redy": did you mean "launch.ready"?']]],
    ['Launch.Ready p(95) < 60s', [[1, 'unknown metric "Launch.Ready": did you mean "launch.ready"?']]],
    [
      'users.active count >= 75',
      [
        [
          1,
          `unknown metric "users.active": expected one of ${[...TREND_METRICS, ...RATE_METRICS].join(', ')}`,
        ],
      ],
    ],
    ['launch.ready p95 < 60s', [[14, 'write the percentile as p(95)']]],
    ['launch.ready p(101) < 60s', [[16, 'expected a percentile from 0 to 100 in p(N), found "101"']]],
    ['launch.ready p(x) < 60s', [[16, 'expected a percentile from 0 to 100 in p(N), found "x"']]],
    ['launch.ready p(95 < 60s', [[18, 'expected ")" to close p(']]],
    ['launch.ready perc < 60s', [[14, `${AGGS}, found "perc"`]]],
    ['launch.ready < 60s', [[14, `${AGGS}, found "<"`]]],
    [
      'launch.failed p(95) < 1%',
      [
        [15, 'launch.failed is a rate: use rate or count'],
        [24, '% is for rates; a latency takes ms, s, m or h'],
      ],
    ],
    ['launch.ready rate < 1%', [[14, 'launch.ready is a trend (a latency): use p(N), avg, min, max or med']]],
    ['launch.ready p(95) =< 60s', [[20, 'unknown operator "=<": expected <, <=, >, >=, == or !=']]],
    ['launch.ready p(95) = 60s', [[20, 'unknown operator "=": expected <, <=, >, >=, == or !=']]],
    ['launch.ready p(95) 60s', [[20, 'expected an operator (<, <=, >, >=, ==, !=), found "60s"']]],
    ['launch.ready p(95)', [[19, 'missing operator and value, like "< 60s"']]],
    ['launch.ready p(95) < ', [[22, 'missing value after the operator']]],
    ['launch.ready p(95) < soon', [[22, 'expected a number, found "soon"']]],
    ['launch.ready p(95) < 60d', [[24, `unknown unit "d": ${LATENCY_UNITS}`]]],
    [
      'launch.ready p(95) < 60 s',
      [[25, 'unexpected "s" after the value; write the unit right after the number, like 60s']],
    ],
    ['launch.ready avg < 1s and more', [[23, 'unexpected "and more" after the value']]],
    [
      'launch.ready p(95) < -1s',
      [[22, 'expected a value >= 0: latencies, rates and counts are never negative']],
    ],
    ['launch.failed rate < 5', [[22, 'a rate is a fraction from 0 to 1; write 5% for a percentage']]],
    ['launch.failed rate < 101%', [[22, 'a rate is at most 100%']]],
    ['launch.failed rate < 5s', [[23, 'a rate takes % or no unit (a fraction from 0 to 1), not "s"']]],
    ['launch.failed count < 2.5', [[23, 'a count is a whole number']]],
    ['launch.failed count < 3%', [[24, 'a count is a plain whole number, without a unit ("%")']]],
    [
      'launch.ready{cell=1} p(95) < 1s',
      [[13, 'only cell.exec is recorded per cell; launch.ready has no {cell=N}']],
    ],
    ['cell.exec{cel=1} p(95) < 1s', [[10, 'expected a tag {cell=N}, N the code cell index']]],
    ['cell.exec{cell=1 p(95) < 1s', [[10, 'expected a tag {cell=N}, N the code cell index']]],
    ['', [[1, 'empty threshold: expected "<metric> <agg> <op> <value>", like "launch.ready p(95) < 60s"']]],
    [
      'launch.redy p95 =< 60d',
      [
        [1, 'unknown metric "launch.redy": did you mean "launch.ready"?'],
        [13, 'write the percentile as p(95)'],
        [17, 'unknown operator "=<": expected <, <=, >, >=, == or !='],
        [22, `unknown unit "d": ${LATENCY_UNITS}`],
      ],
    ],
  ];
  it.each(cases)('%j', (expr, expected) => {
    expect(errorsOf(expr)).toEqual(expected);
  });

  it('rejects abortOnFail on a lower bound of a count, at the operator', () => {
    const upperBound =
      'abortOnFail needs an upper bound (< or <=) on a count: a count only grows, so it would fail at the start';
    expect(errorsOf('launch.failed count > 2', true)).toEqual([[21, upperBound]]);
    expect(parsed({ threshold: 'launch.failed count > 2' })).toHaveLength(1);
  });

  it('collects the errors of every entry, with its index, and keeps the valid ones', () => {
    const { thresholds, errors } = parseThresholds([
      'launch.ready p(95) < 60s',
      'launch.ready p(95) < 60d',
      { threshold: 'launch.failed rate < 5', abortOnFail: true },
      'kernel.start avg < 1s',
    ]);
    expect(thresholds.map((t) => t.expr)).toEqual(['launch.ready p(95) < 60s', 'kernel.start avg < 1s']);
    expect(errors).toEqual([
      {
        index: 1,
        expr: 'launch.ready p(95) < 60d',
        column: 24,
        message: `unknown unit "d": ${LATENCY_UNITS}`,
      },
      {
        index: 2,
        expr: 'launch.failed rate < 5',
        column: 22,
        message: 'a rate is a fraction from 0 to 1; write 5% for a percentage',
      },
    ]);
  });
});

function trend(p: Partial<TrendSummary>): TrendSummary {
  return { count: 10, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, ...p };
}

const SUMMARY: Pick<RunSummary, 'trends' | 'rates'> = {
  trends: {
    'launch.ready': trend({
      ...{
        count: 100,
        min: 1000,
        max: 90_000,
        mean: 30_000,
        p50: 25_000,
        p90: 70_000,
        p95: 80_000,
        p99: 89_000,
      },
      percentiles: { '99.9': 89_900 },
    }),
    'cell.exec{cell=2}': trend({ max: 59_999 }),
    'kernel.start': trend({ count: 0 }),
  },
  rates: {
    'launch.failed': { hits: 1, total: 100, rate: 0.01 },
    'cell.failed': { hits: 1, total: 1000, rate: 0.001 },
    'arrival.late': { hits: 0, total: 0, rate: 0 },
  },
};

describe('evaluateThresholds', () => {
  it('judges trends, rates and counts exactly, with the limit and actual value', () => {
    const exprs = [
      'launch.ready p(95) < 80s',
      'launch.ready p(95) <= 80s',
      'launch.ready p(99.9) < 90s',
      'launch.ready p(99.9) > 89.9s',
      'launch.ready avg == 30s',
      'launch.ready med != 25s',
      'launch.ready min >= 1s',
      'launch.ready max < 1.5m',
      'cell.exec{cell=2} max < 1m',
      'launch.failed rate < 1%',
      'launch.failed rate <= 0.01',
      'cell.failed rate <= 0.1%',
      'cell.failed rate < 0.1%',
      'launch.failed count <= 1',
      'launch.failed count < 1',
      'arrival.late rate < 5%',
      'session.failed rate == 0',
      'session.failed count == 0',
    ];
    const results = evaluateThresholds(parsed(...exprs), SUMMARY);
    expect(results.map((r) => [r.expr, r.pass, r.actual, r.limit])).toEqual([
      ['launch.ready p(95) < 80s', false, 80_000, 80_000],
      ['launch.ready p(95) <= 80s', true, 80_000, 80_000],
      ['launch.ready p(99.9) < 90s', true, 89_900, 90_000],
      ['launch.ready p(99.9) > 89.9s', false, 89_900, 89_900],
      ['launch.ready avg == 30s', true, 30_000, 30_000],
      ['launch.ready med != 25s', false, 25_000, 25_000],
      ['launch.ready min >= 1s', true, 1000, 1000],
      ['launch.ready max < 1.5m', false, 90_000, 90_000],
      ['cell.exec{cell=2} max < 1m', true, 59_999, 60_000],
      ['launch.failed rate < 1%', false, 0.01, 0.01],
      ['launch.failed rate <= 0.01', true, 0.01, 0.01],
      ['cell.failed rate <= 0.1%', true, 0.001, 0.001],
      ['cell.failed rate < 0.1%', false, 0.001, 0.001],
      ['launch.failed count <= 1', true, 1, 1],
      ['launch.failed count < 1', false, 1, 1],
      ['arrival.late rate < 5%', true, 0, 0.05],
      ['session.failed rate == 0', true, 0, 0],
      ['session.failed count == 0', true, 0, 0],
    ]);
    expect(results[0]).toEqual({
      expr: 'launch.ready p(95) < 80s',
      pass: false,
      actual: 80_000,
      limit: 80_000,
      op: '<',
      abortOnFail: false,
    });
  });

  it('fails a trend threshold without data, with actual null', () => {
    const results = evaluateThresholds(parsed('kernel.start p(95) < 1h', 'ws.connect max >= 0'), SUMMARY);
    expect(results.map((r) => [r.pass, r.actual])).toEqual([
      [false, null],
      [false, null],
    ]);
  });

  it('names the percentiles a summary must carry, and refuses to guess a missing one', () => {
    const t = parsed(
      'launch.ready p(99.9) < 1s',
      'launch.ready p(95) < 1s',
      'cell.exec p(97) < 1s',
      'leave med < 1s',
    );
    expect(thresholdPercentiles(t)).toEqual([97, 99.9]);
    expect(() => evaluateThresholds(parsed('launch.ready p(97) < 1s'), SUMMARY)).toThrow(
      'the summary of launch.ready has no p(97): summarize with thresholdPercentiles(thresholds)',
    );
  });
});

describe('checkAbort', () => {
  it('returns the failing abortOnFail thresholds that have data', () => {
    const t = parsed(
      { threshold: 'launch.ready p(95) < 60s', abortOnFail: true }, // fails: 80 s
      { threshold: 'launch.failed rate < 5%', abortOnFail: true }, // passes: 1 %
      { threshold: 'launch.failed count < 1', abortOnFail: true }, // fails: 1
      { threshold: 'kernel.start avg < 1s', abortOnFail: true }, // no samples yet: wait
      { threshold: 'arrival.late rate > 50%', abortOnFail: true }, // no samples yet: wait
      'launch.ready max < 1s', // fails, but only judged at the end
    );
    expect(checkAbort(t, SUMMARY).map((r) => [r.expr, r.actual, r.abortOnFail])).toEqual([
      ['launch.ready p(95) < 60s', 80_000, true],
      ['launch.failed count < 1', 1, true],
    ]);
  });
});
