import { describe, expect, it } from 'vitest';
import {
  COMPARE_DEFAULTS,
  judgePercentile,
  judgeRate,
  MAD_SCALE,
  mad,
  median,
  quantileLowerRank,
  quantileUpperRank,
  type SampleBound,
  spreadBand,
} from '../../reports/compare-stats.js';

const S = { ...COMPARE_DEFAULTS, tolerance: 0.1 };
const ext = (value: number): SampleBound => ({ value, kind: 'extreme' });
/** Fallback bounds: the baseline's upper and the candidate's lower bound. */
const bounds = (upper: number, lower: number) => ({ baselineUpper: ext(upper), candidateLower: ext(lower) });

describe('median and MAD', () => {
  it('median of odd and even counts, MAD unscaled', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('quantileUpperRank (one-sided 99 % order-statistic bound)', () => {
  it('is the smallest u with P(Bin(n, p) <= u-1) >= 0.99, null when n is too small', () => {
    expect(quantileUpperRank(7, 0.5, 0.99)).toBe(7);
    expect(quantileUpperRank(6, 0.5, 0.99)).toBeNull();
    expect(quantileUpperRank(20, 0.5, 0.99)).toBe(16);
    expect(quantileUpperRank(90, 0.95, 0.99)).toBe(90);
    expect(quantileUpperRank(89, 0.95, 0.99)).toBeNull();
    expect(quantileUpperRank(200, 0.95, 0.99)).toBe(197);
    expect(quantileUpperRank(1000, 0.5, 0.99)).toBe(538);
    expect(quantileUpperRank(0, 0.5, 0.99)).toBeNull();
  });

  it('the lower bound: the largest l with P(Bin(n, p) >= l) >= 0.99 (3 samples: p95 → the 2nd, p50 → none)', () => {
    expect(quantileLowerRank(3, 0.95, 0.99)).toBe(2);
    expect(quantileLowerRank(3, 0.5, 0.99)).toBeNull();
    expect(quantileLowerRank(7, 0.5, 0.99)).toBe(1);
    expect(quantileLowerRank(20, 0.5, 0.99)).toBe(5);
    expect(quantileLowerRank(1000, 0.5, 0.99)).toBe(463);
  });
});

describe('spreadBand', () => {
  it('with >= 3 counted intervals: max(b, median + 3 * 1.4826 * MAD)', () => {
    const band = spreadBand([10, 14, 18, 22, 26], 17, bounds(99, 0), S);
    expect(band).toEqual({
      basis: 'intervals',
      intervals: 5,
      median: 18,
      mad: 4,
      limit: 18 + 3 * MAD_SCALE * 4,
    });
  });

  it('never below the baseline value itself (MAD 0)', () => {
    const band = spreadBand([10, 10, 10, 50], 30, bounds(50, 0), S);
    expect(band.limit).toBe(30);
  });

  it("with fewer intervals: the baseline's upper bound, at least b + 2 s", () => {
    expect(spreadBand([3000], 3500, bounds(6000, 3800), S)).toEqual({
      basis: 'too-few-samples',
      intervals: 1,
      baselineUpper: ext(6000),
      candidateLower: ext(3800),
      limit: 6000,
    });
    const upper: SampleBound = { value: 9000, kind: 'order-statistic' };
    expect(spreadBand([], 3500, { baselineUpper: upper, candidateLower: ext(0) }, S).limit).toBe(9000);
    expect(spreadBand([], 3500, bounds(4000, 0), S).limit).toBe(5500);
  });
});

describe('judgePercentile', () => {
  const band = spreadBand([0, 0, 0], 1000, bounds(1000, 0), S); // intervals: limit = b = 1000
  const wideBand = { ...band, limit: 2000 };
  it('names the rule that fired; a regression needs both', () => {
    expect(judgePercentile(1000, 1000, band, S)).toMatchObject({ fired: 'none', delta: 0, relative: 0 });
    expect(judgePercentile(1000, 1050, wideBand, S)).toMatchObject({ fired: 'none', regression: false });
    expect(judgePercentile(1000, 1500, wideBand, S)).toMatchObject({
      fired: 'tolerance',
      regression: false,
      toleranceLimit: 1100,
      relative: 0.5,
    });
    expect(judgePercentile(1000, 2500, wideBand, S)).toMatchObject({ fired: 'both', regression: true });
    expect(judgePercentile(1000, 1050, band, S)).toMatchObject({ fired: 'spread', regression: false });
  });

  it("too few samples: the spread rule judges the candidate's lower bound, not its value", () => {
    // baseline 3 samples up to 4 s (b = p95 = 4 s): limit max(4 s, 4 s + 2 s) = 6 s
    const straggler = spreadBand([], 4000, bounds(4000, 3900), S); // candidate p95 15 s, its median 3.9 s
    expect(judgePercentile(4000, 15_000, straggler, S)).toMatchObject({
      fired: 'tolerance',
      regression: false,
    });
    const allSlow = spreadBand([], 4000, bounds(4000, 14_000), S);
    expect(judgePercentile(4000, 15_000, allSlow, S)).toMatchObject({ fired: 'both', regression: true });
  });

  it('differences under minDeltaMs are jitter, even at +100 %', () => {
    const tiny = spreadBand([0.001, 0.001, 0.001], 0.001, bounds(0.001, 0.001), S);
    expect(judgePercentile(0.001, 5, tiny, S)).toMatchObject({ fired: 'spread', regression: false });
    expect(judgePercentile(0, 0, tiny, S).relative).toBeNull();
  });
});

describe('judgeRate (pooled two-proportion z, one-sided, z = 2.326)', () => {
  it('identical rates are never a regression, zero failures included', () => {
    expect(judgeRate({ hits: 0, total: 5 }, { hits: 0, total: 5 }, 2.326)).toMatchObject({
      delta: 0,
      margin: 0,
      regression: false,
    });
    expect(judgeRate({ hits: 2, total: 40 }, { hits: 2, total: 40 }, 2.326).regression).toBe(false);
  });

  it('a rise beyond the binomial margin is a regression; within it is not', () => {
    const all = judgeRate({ hits: 0, total: 3 }, { hits: 3, total: 3 }, 2.326);
    expect(all.margin).toBeCloseTo(0.9495855, 6);
    expect(all.regression).toBe(true);
    const big = judgeRate({ hits: 0, total: 40 }, { hits: 10, total: 40 }, 2.326);
    expect(big.margin).toBeCloseTo(0.17201, 5);
    expect(big).toMatchObject({ delta: 0.25, regression: true });
    const small = judgeRate({ hits: 0, total: 40 }, { hits: 1, total: 40 }, 2.326);
    expect(small.margin).toBeCloseTo(0.057785, 5);
    expect(small.regression).toBe(false);
  });
});
