/**
 * Run comparison: a candidate run against a baseline run, metric by metric (issue [reports] 3).
 * The rules and their maths are in compare-stats.ts; this module reads the records' histograms.
 */
import { decode, type Histogram, merge, newHistogram } from '../core/hdr.js';
import { TREND_METRICS, type TrendMetric } from '../core/metrics.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import type { IntervalRecord } from '../loadgen/record/types.js';
import { compareHealth, type HealthComparison } from './compare-health.js';
import {
  COMPARE_DEFAULTS,
  type CompareSettings,
  judgePercentile,
  judgeRate,
  type PercentileComparison,
  quantileLowerRank,
  quantileUpperRank,
  type RateJudgement,
  type SampleBound,
  spreadBand,
} from './compare-stats.js';
import { safeUrl } from './run-page.js';

export type { CompareSettings, Fired, PercentileComparison, SpreadBand } from './compare-stats.js';

/**
 * The trend metrics compared, in report order (the record's); `cell.exec{cell=N}` follow
 * cell.exec. The generator's own health is not the hub's: not compared.
 */
export const COMPARED_TRENDS: readonly TrendMetric[] = TREND_METRICS.filter(
  (m) => !m.startsWith('generator.'),
);

/** Outcome rates compared (1 = failed). */
export const COMPARED_RATES = ['launch.failed', 'cell.failed', 'session.failed'] as const;
export type ComparedRate = (typeof COMPARED_RATES)[number];

/** Percentiles of the time-to-ready overlay curve. */
export const CURVE_PERCENTILES = [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100] as const;

export interface RunIdentity {
  id: string;
  dir: string;
  scenario: string;
  scenarioHash: string;
  seed: number;
  tool: string;
  target: string;
  startedAt: string;
  status: string;
  partial: boolean;
  intervals: number;
  users: { planned: number; arrived: number; completed: number; failed: number };
}

export interface TrendComparison {
  /** Histogram key: a metric, or `cell.exec{cell=N}`. */
  key: string;
  counts: { baseline: number; candidate: number };
  p50: PercentileComparison;
  p95: PercentileComparison;
  regression: boolean;
}

export interface RateComparison extends RateJudgement {
  metric: ComparedRate;
}

export interface CurvePoint {
  percentile: number;
  ms: number;
}

export interface Comparison {
  baseline: RunIdentity;
  candidate: RunIdentity;
  /** Same scenario hash: the same plan was replayed. */
  sameScenario: boolean;
  settings: CompareSettings;
  trends: TrendComparison[];
  rates: RateComparison[];
  /** Compared metrics present in only one run (not judged). */
  onlyIn: { baseline: string[]; candidate: string[] };
  /** launch.ready percentile curves, when both runs have launches. */
  readyCurve: { baseline: CurvePoint[]; candidate: CurvePoint[] } | null;
  /** Notebook health changes, when both records are `rehearse check` records. */
  health?: HealthComparison;
  regression: boolean;
  warnings: string[];
}

export type CompareOptions = { tolerance: number; slowerFactor?: number } & Partial<
  Omit<CompareSettings, 'tolerance'>
>;

/** Compare `candidate` with `baseline`; see compare-stats.ts for when a change is a regression. */
export function compareRuns(baseline: RunRecord, candidate: RunRecord, opts: CompareOptions): Comparison {
  if (!(Number.isFinite(opts.tolerance) && opts.tolerance >= 0)) {
    throw new RangeError(`tolerance must be a number >= 0, got ${opts.tolerance}`);
  }
  const { slowerFactor, ...rest } = opts;
  const settings: CompareSettings = { ...COMPARE_DEFAULTS, ...definedOnly(rest), tolerance: opts.tolerance };
  const health =
    baseline.health && candidate.health
      ? compareHealth(baseline.health, candidate.health, { factor: slowerFactor ?? 2, settings })
      : undefined;
  const b = histogramsByKey(baseline.intervals);
  const c = histogramsByKey(candidate.intervals);
  const keys = comparedKeys([...b.merged.keys(), ...c.merged.keys()]);
  const trends: TrendComparison[] = [];
  const onlyIn = { baseline: [] as string[], candidate: [] as string[] };
  for (const key of keys) {
    const bh = b.merged.get(key);
    const ch = c.merged.get(key);
    if (bh === undefined || ch === undefined) {
      (bh === undefined ? onlyIn.candidate : onlyIn.baseline).push(key);
      continue;
    }
    trends.push(compareTrend(key, bh, ch, b.perInterval.get(key) ?? [], settings));
  }
  const rates: RateComparison[] = [];
  for (const metric of COMPARED_RATES) {
    const br = rateTotals(baseline.intervals, metric);
    const cr = rateTotals(candidate.intervals, metric);
    if (br.total > 0 && cr.total > 0) rates.push({ metric, ...judgeRate(br, cr, settings.rateZ) });
    else if (br.total > 0) onlyIn.baseline.push(metric);
    else if (cr.total > 0) onlyIn.candidate.push(metric);
  }
  const bReady = b.merged.get('launch.ready');
  const cReady = c.merged.get('launch.ready');
  const sameScenario = baseline.meta.scenario.hash === candidate.meta.scenario.hash;
  return {
    baseline: identity(baseline),
    candidate: identity(candidate),
    sameScenario,
    settings,
    trends,
    rates,
    onlyIn,
    readyCurve: bReady && cReady ? { baseline: curve(bReady), candidate: curve(cReady) } : null,
    ...(health ? { health } : {}),
    regression:
      trends.some((t) => t.regression) || rates.some((r) => r.regression) || health?.regression === true,
    warnings: comparisonWarnings(baseline, candidate, sameScenario),
  };
}

function compareTrend(
  key: string,
  bh: Histogram,
  ch: Histogram,
  perInterval: readonly Histogram[],
  s: CompareSettings,
): TrendComparison {
  const counted = perInterval.filter((h) => h.totalCount >= s.minIntervalSamples);
  const judge = (p: number): PercentileComparison => {
    const b = atPercentile(bh, p);
    const qs = counted.map((h) => atPercentile(h, p));
    const band = spreadBand(qs, b, sampleBounds(bh, ch, p / 100, s.quantileConfidence), s);
    return judgePercentile(b, atPercentile(ch, p), band, s);
  };
  const p50 = judge(50);
  const p95 = judge(95);
  return {
    key,
    counts: { baseline: bh.totalCount, candidate: ch.totalCount },
    p50,
    p95,
    regression: p50.regression || p95.regression,
  };
}

/** Value (ms) at a percentile: the highest value of the bucket holding that rank (hdr.ts). */
function atPercentile(h: Histogram, p: number): number {
  return h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / 1000;
}

/** The order statistics of compare-stats' fallback, read off the histograms (rank r of n). */
function sampleBounds(
  baseline: Histogram,
  candidate: Histogram,
  p: number,
  confidence: number,
): { baselineUpper: SampleBound; candidateLower: SampleBound } {
  const at = (h: Histogram, rank: number | null, extreme: number): SampleBound =>
    rank === null
      ? { value: atPercentile(h, extreme), kind: 'extreme' }
      : { value: atPercentile(h, (100 * rank) / h.totalCount), kind: 'order-statistic' };
  return {
    baselineUpper: at(baseline, quantileUpperRank(baseline.totalCount, p, confidence), 100),
    candidateLower: at(candidate, quantileLowerRank(candidate.totalCount, p, confidence), 0),
  };
}

function curve(h: Histogram): CurvePoint[] {
  return CURVE_PERCENTILES.map((percentile) => ({ percentile, ms: atPercentile(h, percentile) }));
}

/** Every interval's histogram per key, and their exact merge. */
function histogramsByKey(intervals: readonly IntervalRecord[]): {
  merged: Map<string, Histogram>;
  perInterval: Map<string, Histogram[]>;
} {
  const merged = new Map<string, Histogram>();
  const perInterval = new Map<string, Histogram[]>();
  for (const iv of intervals) {
    for (const [key, encoded] of Object.entries(iv.trends)) {
      const h = decode(encoded);
      if (h.totalCount === 0) continue;
      const list = perInterval.get(key) ?? [];
      list.push(h);
      perInterval.set(key, list);
      let sum = merged.get(key);
      if (sum === undefined) {
        sum = newHistogram();
        merged.set(key, sum);
      }
      merge(sum, h);
    }
  }
  return { merged, perInterval };
}

/** A rate's hits and samples summed over the intervals (the run summary's numbers, also for a partial record). */
function rateTotals(
  intervals: readonly IntervalRecord[],
  metric: ComparedRate,
): { hits: number; total: number } {
  let hits = 0;
  let total = 0;
  for (const iv of intervals) {
    hits += iv.rates[metric]?.hits ?? 0;
    total += iv.rates[metric]?.total ?? 0;
  }
  return { hits, total };
}

const CELL_KEY = /^cell\.exec\{cell=(\d+)\}$/;

/** The compared keys among `keys`, deduplicated, in COMPARED_TRENDS order (cells by index). */
export function comparedKeys(keys: readonly string[]): string[] {
  const unique = [...new Set(keys)];
  const out: string[] = [];
  for (const metric of COMPARED_TRENDS) {
    if (unique.includes(metric)) out.push(metric);
    if (metric === 'cell.exec') {
      const cells = unique
        .map((k) => CELL_KEY.exec(k))
        .filter((m): m is RegExpExecArray => m !== null)
        .sort((x, y) => Number(x[1]) - Number(y[1]));
      for (const m of cells) out.push(m[0]);
    }
  }
  return out;
}

function identity(r: RunRecord): RunIdentity {
  const t = r.meta.target;
  const local = t.local
    ? ` (${Object.entries(t.local)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`
    : '';
  const { planned, arrived, completed, failed } = r.summary.users;
  return {
    id: r.meta.id,
    dir: r.dir,
    scenario: r.meta.scenario.name,
    scenarioHash: r.meta.scenario.hash,
    seed: r.meta.seed,
    tool: `${r.meta.tool.name} ${r.meta.tool.version}`,
    target: `${t.kind}${t.binderUrl ? ` ${safeUrl(t.binderUrl)}` : t.hubUrl ? ` ${safeUrl(t.hubUrl)}` : ''}${local}`,
    startedAt: r.meta.startedAt,
    status: r.summary.status,
    partial: r.partial,
    intervals: r.intervals.length,
    users: { planned, arrived, completed, failed },
  };
}

function comparisonWarnings(baseline: RunRecord, candidate: RunRecord, sameScenario: boolean): string[] {
  const w: string[] = [];
  if (!sameScenario) {
    w.push(
      `the runs replayed different scenarios (baseline ${baseline.meta.scenario.name} ${baseline.meta.scenario.hash}, ` +
        `candidate ${candidate.meta.scenario.name} ${candidate.meta.scenario.hash}); compared anyway`,
    );
  }
  if (baseline.meta.intervalMs !== candidate.meta.intervalMs) {
    w.push(
      `the runs used different interval lengths (${baseline.meta.intervalMs} ms vs ${candidate.meta.intervalMs} ms)`,
    );
  }
  for (const [role, r] of [
    ['baseline', baseline],
    ['candidate', candidate],
  ] as const) {
    if (r.partial) w.push(`the ${role} ${r.meta.id} is a partial record (${r.summary.status})`);
  }
  return w;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
