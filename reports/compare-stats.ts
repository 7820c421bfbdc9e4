/**
 * The statistics behind `rehearse compare` (pure; exact numbers in test/unit/compare-stats.test.ts).
 *
 * A trend percentile (p50 or p95, ms) of the candidate, c, against the baseline's, b, is a
 * REGRESSION when it is worse beyond BOTH of:
 *
 * 1. the tolerance:  c > b + max(tolerance·b, minDeltaMs)
 *    The tolerance is the change the hub's operators care about (10 %: "launches got 10 % slower").
 *    minDeltaMs (10 ms) keeps timer jitter on tiny values (a cache hit's 0.001 ms build) from
 *    counting as +100 %.
 *
 * 2. the baseline's own spread, from its per-interval histograms. For each baseline interval with
 *    at least minIntervalSamples (5) samples of the metric, take that interval's percentile q_i.
 *    With m >= minIntervals (3) such intervals:
 *
 *        limit = max(b, median(q) + k · 1.4826 · MAD(q)),   MAD(q) = median_i |q_i − median(q)|,  k = 3
 *
 *    1.4826·MAD estimates the standard deviation of q robustly (it is exact for a normal
 *    distribution and, unlike the standard deviation or the max, one build-wait interval cannot
 *    inflate it: its breakdown point is 50 %); median + 3σ̂ is the usual outlier fence (≈ 0.13 %
 *    one-sided under normality). A q_i comes from n_i samples while the run-level c comes from all
 *    of them, so the band also covers the sampling noise of c, with room to spare. It also covers
 *    what the workload itself does over time (an early build wait, a late queue): the candidate
 *    replays the same arrival plan, so a run-level percentile that stays inside the range the
 *    baseline's own 10 s windows wandered over is not evidence that the hub changed. Taking max(b,…)
 *    means the band never sits below the baseline's own run-level value.
 *
 *    With fewer than 3 such intervals (a short CI run: everything in one or two windows) the
 *    interval spread cannot be estimated ("too few samples"). Then only the samples themselves
 *    speak, and a few samples say little: the candidate must be worse even when both runs are
 *    read at the favourable end of their distribution-free 99 % confidence bounds, and by more
 *    than a floor:
 *
 *        regression by spread ⇔ y_(l) > max(x_(u), b + fallbackDeltaMs)
 *
 *    x_(u), the baseline's upper bound: the smallest order statistic u of its n samples with
 *    P(Binomial(n, p) <= u − 1) >= 0.99 (the count of samples below the true p-quantile is
 *    Binomial(n, p)); when even u = n is not enough (p50: n < 7; p95: n < 90) the maximum.
 *    y_(l), the candidate's lower bound: the largest l with P(Binomial(m, p) >= l) >= 0.99, or the
 *    minimum when even l = 1 is not enough. With 3 users each, the p50 check asks whether the
 *    candidate's fastest launch was slower than the baseline's slowest, and the p95 check (a p95
 *    of 3 samples is one sample, the maximum) uses the candidate's median: one slow straggler is
 *    not a regression, most users being slower is. fallbackDeltaMs (2 s) absorbs what changes
 *    between two runs of an unchanged hub and stops n = 1 from turning any change into a
 *    regression: two 3-user runs of one configuration on the (busy, 2-core) local target differed
 *    systematically by up to 0.8 s in launch.queue, ws.connect and leave, every user alike, which
 *    no bound computed from one run's samples can see. A short run can resolve shifts larger than
 *    that, not smaller ones.
 *
 * Outcome rates (launch.failed, …): a regression when the candidate's rate is higher beyond the
 * binomial noise of two samples, the one-sided pooled two-proportion z-test:
 *
 *     p̄ = (h_b + h_c) / (n_b + n_c),   margin = z · √(p̄ (1 − p̄) (1/n_b + 1/n_c)),   z = 2.326 (1 %)
 *     regression ⇔ rate_c − rate_b > margin
 *
 * Identical runs are never a regression: every rule above needs a strictly positive worsening
 * (c > b + minDeltaMs, rate_c − rate_b > margin >= 0).
 */

export interface CompareSettings {
  /** Relative worsening that matters, e.g. 0.10 for 10 %. */
  tolerance: number;
  /** Differences below this are jitter, whatever the tolerance (ms). */
  minDeltaMs: number;
  /** A baseline interval counts for the spread when it holds at least this many samples. */
  minIntervalSamples: number;
  /** Fewer counted intervals than this: "too few samples", the fallback band applies. */
  minIntervals: number;
  /** The fence: median + k · 1.4826 · MAD. */
  madK: number;
  /** The fallback band is at least this far above the baseline (ms). */
  fallbackDeltaMs: number;
  /** Confidence level of the fallback's order-statistic bounds. */
  quantileConfidence: number;
  /** z of the one-sided rate test. */
  rateZ: number;
}

export const COMPARE_DEFAULTS: Omit<CompareSettings, 'tolerance'> = {
  minDeltaMs: 10,
  minIntervalSamples: 5,
  minIntervals: 3,
  madK: 3,
  fallbackDeltaMs: 2000,
  quantileConfidence: 0.99,
  rateZ: 2.326,
};

/** 1 / Φ⁻¹(3/4): scales the MAD to a standard deviation for normally distributed values. */
export const MAD_SCALE = 1.4826;

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median absolute deviation from the median (unscaled). */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/**
 * The rank u (1..n) of the order statistic that is a one-sided upper confidence bound, at level
 * `confidence`, for the p-quantile of n samples: the smallest u with P(Binomial(n, p) <= u − 1) >=
 * confidence. null when even u = n is not enough. The binomial terms are summed in log space so
 * that large n does not underflow.
 */
export function quantileUpperRank(n: number, p: number, confidence: number): number | null {
  if (n < 1) return null;
  if (p <= 0) return 1;
  if (p >= 1) return null;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logPmf = n * logQ; // P(X = 0)
  let cdf = 0;
  for (let k = 0; k < n; k++) {
    cdf += Math.exp(logPmf); // now P(X <= k)
    if (cdf >= confidence) return k + 1;
    logPmf += Math.log((n - k) / (k + 1)) + logP - logQ;
  }
  return null;
}

/**
 * The rank l (1..n) of the order statistic that is a one-sided LOWER confidence bound for the
 * p-quantile: the largest l with P(Binomial(n, p) >= l) >= confidence; null when even l = 1 is not
 * enough. By symmetry (n − X ~ Binomial(n, 1 − p)) it is n + 1 − quantileUpperRank(n, 1 − p).
 */
export function quantileLowerRank(n: number, p: number, confidence: number): number | null {
  const u = quantileUpperRank(n, 1 - p, confidence);
  return u === null ? null : n + 1 - u;
}

/** An order statistic read as a confidence bound, or the sample extreme when n is too small. */
export interface SampleBound {
  value: number;
  kind: 'order-statistic' | 'extreme';
}

export type SpreadBand =
  | {
      basis: 'intervals';
      /** Baseline intervals with enough samples. */
      intervals: number;
      median: number;
      mad: number;
      /** Above this the baseline's spread does not explain the candidate's value (ms). */
      limit: number;
    }
  | {
      basis: 'too-few-samples';
      intervals: number;
      /** The baseline's upper bound x_(u) (or its maximum). */
      baselineUpper: SampleBound;
      /** The candidate's lower bound y_(l) (or its minimum): what is compared with the limit. */
      candidateLower: SampleBound;
      limit: number;
    };

/** The spread band of one baseline percentile (see the module comment). */
export function spreadBand(
  intervalValues: readonly number[],
  baseline: number,
  bounds: { baselineUpper: SampleBound; candidateLower: SampleBound },
  s: Omit<CompareSettings, 'tolerance'>,
): SpreadBand {
  const m = intervalValues.length;
  if (m >= s.minIntervals) {
    const med = median(intervalValues);
    const dev = mad(intervalValues);
    const limit = Math.max(baseline, med + s.madK * MAD_SCALE * dev);
    return { basis: 'intervals', intervals: m, median: med, mad: dev, limit };
  }
  const limit = Math.max(bounds.baselineUpper.value, baseline + s.fallbackDeltaMs);
  return { basis: 'too-few-samples', intervals: m, ...bounds, limit };
}

/** Which rule(s) a worse candidate went beyond. A regression is 'both'. */
export type Fired = 'none' | 'tolerance' | 'spread' | 'both';

export interface PercentileComparison {
  baseline: number;
  candidate: number;
  /** candidate − baseline (ms); positive is worse. */
  delta: number;
  /** delta / baseline; null when the baseline is 0. */
  relative: number | null;
  /** Above this the tolerance rule fires (ms). */
  toleranceLimit: number;
  spread: SpreadBand;
  fired: Fired;
  regression: boolean;
}

export function judgePercentile(
  baseline: number,
  candidate: number,
  spread: SpreadBand,
  s: CompareSettings,
): PercentileComparison {
  const delta = candidate - baseline;
  const toleranceLimit = baseline + Math.max(s.tolerance * baseline, s.minDeltaMs);
  const beyondTolerance = candidate > toleranceLimit;
  const judged = spread.basis === 'intervals' ? candidate : spread.candidateLower.value;
  const beyondSpread = judged > spread.limit;
  const fired: Fired =
    beyondTolerance && beyondSpread
      ? 'both'
      : beyondTolerance
        ? 'tolerance'
        : beyondSpread
          ? 'spread'
          : 'none';
  return {
    baseline,
    candidate,
    delta,
    relative: baseline === 0 ? null : delta / baseline,
    toleranceLimit,
    spread,
    fired,
    regression: fired === 'both',
  };
}

export interface RateCounts {
  hits: number;
  total: number;
}

export interface RateJudgement {
  baseline: RateCounts & { rate: number };
  candidate: RateCounts & { rate: number };
  /** rate_c − rate_b; positive is worse. */
  delta: number;
  /** The binomial noise margin of the z-test (0..1). */
  margin: number;
  regression: boolean;
}

/** The one-sided pooled two-proportion test of the module comment. Both totals must be > 0. */
export function judgeRate(b: RateCounts, c: RateCounts, z: number): RateJudgement {
  const rb = b.hits / b.total;
  const rc = c.hits / c.total;
  const pooled = (b.hits + c.hits) / (b.total + c.total);
  const margin = z * Math.sqrt(pooled * (1 - pooled) * (1 / b.total + 1 / c.total));
  const delta = rc - rb;
  return {
    baseline: { ...b, rate: rb },
    candidate: { ...c, rate: rc },
    delta,
    margin,
    regression: delta > margin,
  };
}
