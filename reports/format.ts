/**
 * Text helpers shared by the report writers: escaping for HTML, XML and Markdown, and the human
 * formats of durations, rates and threshold values. Pure; no I/O.
 */

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * Escape text for XML 1.0 content and attributes. Characters XML 1.0 cannot carry at all (C0
 * controls other than tab, LF and CR; lone surrogates; U+FFFE/U+FFFF) become U+FFFD, so that a
 * stray control byte in an error message cannot make a JUnit file unreadable.
 */
export function escapeXml(s: string): string {
  return escapeHtml(s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD'))
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
    .replaceAll('\t', '&#9;');
}

/** Escape text for one cell of a GitHub-flavoured Markdown table (no line breaks, no pipes, no HTML). */
export function escapeMarkdownCell(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');
}

/** Escape inline Markdown text (emphasis, code, links, HTML). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>#|]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`));
}

/**
 * A latency in milliseconds for people: "0.30 ms", "468 ms", "2.34 s", "13.1 s", "30 s", "1 min",
 * "2 min 03 s", "1 h 05 min". About three significant figures below a minute (HDR percentiles are
 * exact to 0.1 %, more would lie); a trailing ".0" is dropped.
 */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a < 1) return `${ms.toFixed(2)} ms`;
  if (a < 10) return `${ms.toFixed(1)} ms`;
  if (a < 1000) return `${Math.round(ms)} ms`;
  if (a < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (a < 59_950) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const totalS = Math.round(a / 1000);
  const sign = ms < 0 ? '-' : '';
  if (totalS < 3600) {
    const rest = totalS % 60;
    return `${sign}${Math.floor(totalS / 60)} min${rest === 0 ? '' : ` ${pad2(rest)} s`}`;
  }
  const totalMin = Math.round(totalS / 60);
  const rest = totalMin % 60;
  return `${sign}${Math.floor(totalMin / 60)} h${rest === 0 ? '' : ` ${pad2(rest)} min`}`;
}

/** A fraction 0..1 as a percentage: "0%", "0.5%", "12.5%", "100%". */
export function formatRate(r: number): string {
  const pct = r * 100;
  if (pct === 0 || pct === 100) return `${pct}%`;
  return `${Number.parseFloat(pct.toPrecision(3))}%`;
}

/** The aggregation of a threshold expression "<metric> <agg> <op> <value>" (e.g. "p(95)", "rate"). */
export function thresholdAgg(expr: string): string {
  return expr.trim().split(/\s+/)[1] ?? '';
}

/** The metric of a threshold expression ("launch.ready" of "launch.ready p(95) < 60s"). */
export function thresholdMetric(expr: string): string {
  return expr.trim().split(/\s+/)[0] ?? '';
}

/**
 * A threshold's measured value or limit in the unit its aggregation implies: rates as
 * percentages, counts as integers, everything else (percentiles, avg, med, min, max of a trend)
 * as a duration; null (no samples) as "no data".
 */
export function formatThresholdValue(expr: string, v: number | null): string {
  if (v === null) return 'no data';
  const agg = thresholdAgg(expr);
  if (agg === 'rate') return formatRate(v);
  if (agg === 'count') return String(v);
  return formatMs(v);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
