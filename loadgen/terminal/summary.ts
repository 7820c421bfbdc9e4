import { RATE_METRICS, TREND_METRICS } from '../metrics/names.js';
import { describeOutage } from '../record/outages.js';
import type { RunSummary, ThresholdResult, TrendSummary } from '../record/types.js';

/**
 * Human units for a duration in ms: `0.4ms`/`12ms` under 1 s, `41.2s` under 2 min, `4m12s` from
 * there (`1h03m` from an hour).
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const abs = Math.abs(ms);
  if (abs < 10) return `${trimZero(ms.toFixed(1))}ms`;
  if (abs < 999.5) return `${Math.round(ms)}ms`;
  if (abs < 119_950) return `${(ms / 1000).toFixed(1)}s`;
  const totalS = Math.round(ms / 1000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m${pad2(totalS % 60)}s`;
  const totalM = Math.round(totalS / 60);
  return `${Math.floor(totalM / 60)}h${pad2(totalM % 60)}m`;
}

/** A fraction 0..1 as a percentage with one decimal. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`;
}

/** ANSI styling, or identity when color is off. */
export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

export function paint(color: boolean): Paint {
  const sgr = (open: number, close: number) => (s: string) => (color ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
}

const TREND_COLUMNS = ['count', 'p50', 'p90', 'p95', 'p99', 'max'] as const;
const PER_CELL = /^cell\.exec\{cell=(\d+)\}$/;

/**
 * The end-of-run table: header, users, trends (with per-cell rows under cell.exec), rates,
 * failures (first attempt vs final), thresholds, verdict, leftovers. Plain text unless `color`.
 */
export function formatSummary(summary: RunSummary, opts: { color: boolean }): string {
  const c = paint(opts.color);
  const out: string[] = [];
  out.push(`${c.bold(`Run ${summary.id}`)}  scenario ${summary.scenario}  ${summary.status}`);
  out.push(
    `  started ${summary.startedAt}${summary.endedAt ? `  ended ${summary.endedAt}` : ''}  duration ${formatMs(summary.durationMs)}`,
  );
  if (summary.partial) {
    out.push(
      c.yellow(
        `  PARTIAL: the run did not end normally${summary.stopReason ? ` (${summary.stopReason})` : ''}; figures cover what was recorded.`,
      ),
    );
  } else if (summary.stopReason) out.push(`  stopped: ${summary.stopReason}`);
  const u = summary.users;
  out.push('', c.bold('Users'));
  out.push(
    `  planned ${u.planned}  arrived ${u.arrived}  late ${u.late}  completed ${u.completed}  failed ${u.failed}`,
  );
  out.push(...trendSection(summary, c), ...rateSection(summary, c), ...failureSection(summary, c));
  out.push(...thresholdSection(summary.thresholds, c));
  const outages = summary.outages ?? [];
  if (outages.length > 0) {
    out.push('', c.red(c.bold(`Hub outages (${outages.length}): not a pass, whatever the thresholds say`)));
    for (const o of outages) out.push(`  ${describeOutage(o)}`);
  }
  out.push('', verdictLine(summary, c));
  if (summary.leftovers.length > 0) {
    out.push('', c.red(c.bold(`Left behind (${summary.leftovers.length}); remove with:`)));
    for (const l of summary.leftovers) out.push(`  ${l.what}`, `    ${l.command}`);
  }
  return `${out.join('\n')}\n`;
}

function trendSection(summary: RunSummary, c: Paint): string[] {
  const rows: [string, TrendSummary][] = [];
  for (const metric of TREND_METRICS) {
    const t = summary.trends[metric];
    if (t && t.count > 0) rows.push([metric, t]);
    if (metric === 'cell.exec') rows.push(...perCellRows(summary.trends));
  }
  if (rows.length === 0) return [];
  const width = Math.max(5, ...rows.map(([label]) => label.length));
  const head = ['trend'.padEnd(width), ...TREND_COLUMNS.map((k) => k.padStart(8))].join(' ');
  const lines = ['', c.bold("Latencies (from each step's scheduled start)"), `  ${c.dim(head)}`];
  for (const [label, t] of rows) {
    const cells = [
      String(t.count),
      formatMs(t.p50),
      formatMs(t.p90),
      formatMs(t.p95),
      formatMs(t.p99),
      formatMs(t.max),
    ];
    lines.push(`  ${[label.padEnd(width), ...cells.map((v) => v.padStart(8))].join(' ')}`);
  }
  return lines;
}

function perCellRows(trends: RunSummary['trends']): [string, TrendSummary][] {
  return Object.entries(trends)
    .flatMap(([key, t]): [number, TrendSummary][] => {
      const m = PER_CELL.exec(key);
      return m && t.count > 0 ? [[Number(m[1]), t]] : [];
    })
    .sort((a, b) => a[0] - b[0])
    .map(([cell, t]) => [`  cell ${cell}`, t]);
}

function rateSection(summary: RunSummary, c: Paint): string[] {
  const lines: string[] = [];
  for (const metric of RATE_METRICS) {
    const r = summary.rates[metric];
    if (!r || r.total === 0) continue;
    const text = `  ${metric.padEnd(20)} ${formatPercent(r.rate).padStart(7)}  (${r.hits}/${r.total})`;
    lines.push(r.hits > 0 && metric !== 'arrival.late' ? c.red(text) : text);
  }
  return lines.length === 0 ? [] : ['', c.bold('Rates'), ...lines];
}

function failureSection(summary: RunSummary, c: Paint): string[] {
  const rows = Object.entries(summary.failures).filter(([, f]) => f && (f.first > 0 || f.final > 0));
  if (rows.length === 0) return [];
  const lines = [
    '',
    c.bold('Failures'),
    `  ${c.dim(`${'reason'.padEnd(16)} ${'first attempt'.padStart(13)} ${'final'.padStart(6)}`)}`,
  ];
  for (const [reason, f] of rows) {
    lines.push(
      `  ${reason.padEnd(16)} ${String(f?.first ?? 0).padStart(13)} ${String(f?.final ?? 0).padStart(6)}`,
    );
  }
  return lines;
}

function thresholdSection(thresholds: ThresholdResult[], c: Paint): string[] {
  if (thresholds.length === 0) return [];
  const width = Math.max(...thresholds.map((t) => t.expr.length));
  const lines = ['', c.bold('Thresholds')];
  for (const t of thresholds) {
    const mark = t.pass ? c.green('✓') : c.red('✗');
    const abort = t.abortOnFail ? '  (abortOnFail)' : '';
    lines.push(`  ${mark} ${t.expr.padEnd(width)}  measured ${formatMeasured(t)}${abort}`);
  }
  return lines;
}

/** The measured value in the threshold's own unit: `rate` → %, `count` → a number, trends → time. */
export function formatMeasured(t: ThresholdResult): string {
  if (t.actual === null) return 'no data';
  const fn = t.expr.trim().split(/\s+/)[1] ?? '';
  if (fn === 'rate') return formatPercent(t.actual);
  if (fn === 'count') return String(t.actual);
  return formatMs(t.actual);
}

function verdictLine(summary: RunSummary, c: Paint): string {
  const partial = summary.partial ? c.yellow('  (partial record)') : '';
  const notPass = [
    ...((summary.outages ?? []).length > 0 ? ['the hub was unreachable during the run'] : []),
    ...(summary.leftovers.length > 0
      ? [`${summary.leftovers.length} ${summary.leftovers.length === 1 ? 'thing' : 'things'} left behind`]
      : []),
  ];
  if (summary.verdict !== 'fail' && notPass.length > 0) {
    return `${c.bold('Verdict:')} ${c.red(c.bold('FAIL'))} (${notPass.join('; ')})${partial}`;
  }
  if (summary.verdict === 'pass') return `${c.bold('Verdict:')} ${c.green(c.bold('PASS'))}${partial}`;
  if (summary.verdict === 'fail') {
    const failed = summary.thresholds.filter((t) => !t.pass).length;
    return `${c.bold('Verdict:')} ${c.red(c.bold('FAIL'))} (${failed} of ${summary.thresholds.length} thresholds)${partial}`;
  }
  return `${c.bold('Verdict:')} no thresholds${partial}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function trimZero(s: string): string {
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}
