/**
 * What a comparison report says, as data (pure): the verdict rows, the rule that fired for each
 * metric in words, the JUnit cases, the run identities for the footer. compare-output.ts renders
 * it to HTML, Markdown, JUnit and the terminal.
 */
import type { Comparison, RateComparison, RunIdentity, TrendComparison } from './compare.js';
import { formatDelta, formatMs, formatRateCounts, formatRelative } from './compare-format.js';
import { healthChangeRows, healthJunitCases, healthSummary, healthTextLines } from './compare-health-page.js';
import type { PercentileComparison } from './compare-stats.js';
import { formatRate } from './format.js';
import type { JunitInput } from './junit.js';
import type { PageInput, VerdictRow } from './page.js';

/** "3.10 s → 15.2 s (+12.1 s, +390%)". */
export function percentileChange(p: PercentileComparison): string {
  return `${formatMs(p.baseline)} → ${formatMs(p.candidate)} (${formatDelta(p.delta)}, ${formatRelative(p.relative)})`;
}

/** The limits a percentile was judged against: a regression exceeds both. */
export function percentileLimits(p: PercentileComparison): string {
  return `tolerance ${formatMs(p.toleranceLimit)} · spread ${formatMs(p.spread.limit)}`;
}

/** Which rule fired, and what the spread rests on, in a few words (a verdict row's note). */
export function ruleText(p: PercentileComparison): string {
  const fired = {
    none: 'within tolerance',
    tolerance: 'within the baseline spread (noise)',
    spread: 'within tolerance',
    both: 'REGRESSION: beyond tolerance and spread',
  }[p.fired];
  const b = p.spread;
  return `${fired} · ${b.basis === 'intervals' ? `spread of ${b.intervals} intervals` : 'too few samples'}`;
}

/** The numbers behind ruleText (JUnit, terminal --verbose readers, the JSON has them all). */
export function ruleDetail(p: PercentileComparison): string {
  const b = p.spread;
  if (b.basis === 'intervals') {
    return `spread limit ${formatMs(b.limit)} = max(baseline, median ${formatMs(b.median)} + 3·1.4826·MAD ${formatMs(b.mad)}) over ${b.intervals} intervals`;
  }
  const low = b.candidateLower.kind === 'extreme' ? 'minimum' : '99% lower bound';
  const high = b.baselineUpper.kind === 'extreme' ? 'maximum' : '99% upper bound';
  return (
    `too few samples: candidate ${low} ${formatMs(b.candidateLower.value)} vs limit ${formatMs(b.limit)} ` +
    `(baseline ${high} ${formatMs(b.baselineUpper.value)}, at least baseline + the fallback floor)`
  );
}

export function trendRows(c: Comparison): VerdictRow[] {
  return c.trends.flatMap((t) =>
    (['p50', 'p95'] as const).map((stat) => ({
      name: `${t.key} ${stat}`,
      pass: !t[stat].regression,
      measured: percentileChange(t[stat]),
      limit: percentileLimits(t[stat]),
      note: ruleText(t[stat]),
    })),
  );
}

/** "+12.5 points". */
function points(delta: number): string {
  const pts = Number.parseFloat((delta * 100).toPrecision(3));
  return `${pts > 0 ? '+' : pts < 0 ? '−' : '±'}${Math.abs(pts)} points`;
}

export function rateRow(r: RateComparison): VerdictRow {
  return {
    name: `${r.metric} rate`,
    pass: !r.regression,
    measured: `${formatRateCounts(r.baseline)} → ${formatRateCounts(r.candidate)} (${points(r.delta)})`,
    limit: `rise ${points(r.margin)} (binomial noise)`,
    note: r.regression ? 'REGRESSION: rise beyond binomial noise' : 'within binomial noise',
  };
}

/** Regressed metrics, e.g. ["launch.ready p50", "launch.failed rate"]. */
export function regressions(c: Comparison): string[] {
  return [
    ...c.trends.flatMap((t) =>
      (['p50', 'p95'] as const).filter((s) => t[s].regression).map((s) => `${t.key} ${s}`),
    ),
    ...c.rates.filter((r) => r.regression).map((r) => `${r.metric} rate`),
  ];
}

/** One line under the verdict badge (and the terminal's last line). */
export function verdictSummary(c: Comparison): string {
  const found = regressions(c);
  const compared = `${c.trends.length} metrics and ${c.rates.length} rates compared, tolerance ${formatRate(c.settings.tolerance)}`;
  const health = c.health ? `; ${healthSummary(c.health)}` : '';
  return found.length > 0 ? `in ${found.join(', ')} (${compared})${health}` : `${compared}${health}`;
}

/** The verdict of the page: badge, summary line, one row per compared percentile and rate. */
export function verdict(c: Comparison): PageInput['verdict'] {
  return {
    label: c.regression ? 'REGRESSION' : 'NO REGRESSION',
    summary: verdictSummary(c),
    rows: [...(c.health ? healthChangeRows(c.health) : []), ...trendRows(c), ...c.rates.map(rateRow)],
  };
}

/** Time to ready at a glance, and how much was compared. */
export function highlights(c: Comparison): NonNullable<PageInput['highlights']> {
  const out: NonNullable<PageInput['highlights']> = [];
  const ready = c.trends.find((t) => t.key === 'launch.ready');
  if (ready) {
    for (const stat of ['p50', 'p95'] as const) {
      const p = ready[stat];
      out.push({
        label: `time to ready ${stat}`,
        value: `${formatMs(p.baseline)} → ${formatMs(p.candidate)}`,
        note: `${formatRelative(p.relative)}${p.regression ? ', regression' : ''}`,
      });
    }
  }
  out.push({
    label: 'compared',
    value: `${c.trends.length} metrics, ${c.rates.length} rates`,
    note: `${regressions(c).length} regressed`,
  });
  return out;
}

/** Warnings, how a short run was judged, and the metrics only one run has (listed, not judged). */
export function notices(c: Comparison): string[] {
  const out = [...c.warnings];
  const s = c.settings;
  const fallback = c.trends.filter((t) => t.p50.spread.basis === 'too-few-samples').length;
  if (fallback > 0) {
    out.push(
      `${fallback} of ${c.trends.length} metrics had too few samples for the interval spread ` +
        `(fewer than ${s.minIntervals} baseline intervals with ≥ ${s.minIntervalSamples} samples): ` +
        `for them the candidate's ${s.quantileConfidence * 100}% lower bound of each percentile (its minimum for small runs) must exceed ` +
        `the baseline's upper bound (its maximum) and the baseline + ${formatMs(s.fallbackDeltaMs)}.`,
    );
  }
  if (c.onlyIn.baseline.length > 0)
    out.push(`only in the baseline, not compared: ${c.onlyIn.baseline.join(', ')}`);
  if (c.onlyIn.candidate.length > 0)
    out.push(`only in the candidate, not compared: ${c.onlyIn.candidate.join(', ')}`);
  return out;
}

export function runLine(role: 'baseline' | 'candidate', r: RunIdentity): string {
  const users = `${r.users.arrived}/${r.users.planned} users arrived, ${r.users.completed} completed, ${r.users.failed} failed`;
  return (
    `${role}: ${r.id} · scenario ${r.scenario} ${r.scenarioHash} · seed ${r.seed} · ${r.tool} · target ${r.target} · ` +
    `started ${r.startedAt} · ${r.status}${r.partial ? ' (partial)' : ''} · ${r.intervals} intervals · ${users}`
  );
}

export function footerLines(c: Comparison): string[] {
  const s = c.settings;
  return [
    runLine('baseline', c.baseline),
    runLine('candidate', c.candidate),
    `rules: tolerance ${formatRate(s.tolerance)} (and ≥ ${s.minDeltaMs} ms); spread from intervals with ≥ ${s.minIntervalSamples} samples, ` +
      `median + ${s.madK}·1.4826·MAD with ≥ ${s.minIntervals} intervals, else the candidate's ${s.quantileConfidence * 100}% ` +
      `lower bound above the baseline's upper bound and ≥ +${formatMs(s.fallbackDeltaMs)}; rates: z = ${s.rateZ}`,
  ];
}

type JunitCase = JunitInput['cases'][number];

/** One JUnit testcase per compared metric (both percentiles in it) and per rate. */
export function junitCases(c: Comparison): JunitCase[] {
  const trendCase = (t: TrendComparison): JunitCase => {
    const lines = (['p50', 'p95'] as const).map(
      (s) =>
        `${s}: ${percentileChange(t[s])}; ${percentileLimits(t[s])}; ${ruleText(t[s])}; ${ruleDetail(t[s])}`,
    );
    const failed = (['p50', 'p95'] as const).filter((s) => t[s].regression);
    const head = t.regression ? `${t.key} ${failed.join(' and ')} regressed\n` : '';
    return { name: t.key, pass: !t.regression, message: `${head}${lines.join('\n')}` };
  };
  const rateCase = (r: RateComparison): JunitCase => {
    const row = rateRow(r);
    const head = r.regression ? `${r.metric} rate rose beyond binomial noise\n` : '';
    return { name: row.name, pass: row.pass, message: `${head}${row.measured}; ${row.limit}` };
  };
  const health = c.health ? healthJunitCases(c.health) : [];
  return [...health, ...c.trends.map(trendCase), ...c.rates.map(rateCase)];
}

/** Plain-text verdict for the terminal. */
export function comparisonText(c: Comparison): string {
  const rows = [...trendRows(c), ...c.rates.map(rateRow)];
  const width = Math.max(...rows.map((r) => r.name.length), 10);
  const measuredWidth = Math.max(...rows.map((r) => r.measured.length), 10);
  // A check record has no latency metrics: its rows are the health lines below.
  const lines = [
    `baseline  ${c.baseline.id}`,
    `candidate ${c.candidate.id}`,
    '',
    ...rows.map(
      (r) =>
        `${r.pass ? '  ' : '✗ '}${r.name.padEnd(width)}  ${r.measured.padEnd(measuredWidth)}  ${r.note ?? (r.pass ? 'ok' : 'REGRESSION')}`,
    ),
  ];
  if (c.health) lines.push(...healthTextLines(c.health));
  const n = notices(c).filter((x) => !c.warnings.includes(x)); // warnings already went to stderr
  if (n.length > 0) lines.push('', ...n);
  lines.push('', `${c.regression ? '✗ REGRESSION' : '✓ NO REGRESSION'}: ${verdictSummary(c)}`, '');
  return lines.join('\n');
}
