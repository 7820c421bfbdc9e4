/** Number formats of the comparison's outputs (terminal, HTML, Markdown, JUnit). Pure. */
import { formatMs, formatRate } from './format.js';

export { formatMs };

/** A signed change: "+1.20 s", "-30 ms", "±0 ms". */
export function formatDelta(ms: number): string {
  if (ms === 0) return '±0 ms';
  return ms > 0 ? `+${formatMs(ms)}` : formatMs(ms);
}

/** A signed relative change: "+12.5%", "-3%", "n/a" for null (a zero baseline). */
export function formatRelative(r: number | null): string {
  if (r === null) return 'n/a';
  if (r === 0) return '±0%';
  return r > 0 ? `+${formatRate(r)}` : formatRate(r);
}

/** A rate with its counts: "12.5% (1/8)". */
export function formatRateCounts(r: { hits: number; total: number; rate: number }): string {
  return `${formatRate(r.rate)} (${r.hits}/${r.total})`;
}
