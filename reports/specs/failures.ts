/**
 * Failures by reason over time, per interval: the first launch attempt's failures (a retry may
 * have rescued the attendee) above, the final outcome (what the attendee was left with) below.
 * A hub that only survives by retrying shows many first-attempt failures and few final ones.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { CHART_WIDTH, PALETTE, type TimeAxis, timeAxis, toAxis } from './theme.js';

/** Warm colours first: the most frequent reason gets vermillion. */
const FAILURE_COLOURS = [
  PALETTE.vermillion,
  PALETTE.orange,
  PALETTE.purple,
  PALETTE.blue,
  PALETTE.sky,
  PALETTE.green,
  PALETTE.black,
  PALETTE.grey,
];

/** A failure reason, as the record names it (reports/ reads loadgen only through loadgen/record/). */
export type FailureReason = keyof IntervalRecord['failures'];

export type Attempt = 'first attempt' | 'final';
export const ATTEMPTS: readonly Attempt[] = ['first attempt', 'final'];

export interface FailureBar {
  /** Interval bounds, ms since the start. */
  start: number;
  end: number;
  reason: FailureReason;
  attempt: Attempt;
  count: number;
}

export interface Failures {
  bars: FailureBar[];
  /** Reasons seen, most frequent (first + final) first. */
  reasons: FailureReason[];
  totals: { first: number; final: number };
}

export function failures(intervals: readonly IntervalRecord[]): Failures {
  const bars: FailureBar[] = [];
  const byReason = new Map<FailureReason, number>();
  const totals = { first: 0, final: 0 };
  for (const iv of intervals) {
    for (const [reason, f] of Object.entries(iv.failures) as [
      FailureReason,
      { first: number; final: number },
    ][]) {
      if (f.first > 0)
        bars.push({ start: iv.start, end: iv.end, reason, attempt: 'first attempt', count: f.first });
      if (f.final > 0) bars.push({ start: iv.start, end: iv.end, reason, attempt: 'final', count: f.final });
      totals.first += f.first;
      totals.final += f.final;
      byReason.set(reason, (byReason.get(reason) ?? 0) + f.first + f.final);
    }
  }
  const reasons = [...byReason.entries()]
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([r]) => r);
  return { bars, reasons, totals };
}

export function failuresSpec(intervals: readonly IntervalRecord[], durationMs?: number): TopLevelSpec {
  const d = failures(intervals);
  const end = durationMs ?? intervals.reduce((m, iv) => Math.max(m, iv.end), 0);
  const axis: TimeAxis = timeAxis(end);
  return {
    description: 'Failures by reason per interval, first launch attempt and final outcome',
    data: {
      values: d.bars.map((b) => ({ ...b, start: toAxis(b.start, axis), end: toAxis(b.end, axis) })),
    },
    width: CHART_WIDTH,
    height: 110,
    mark: { type: 'bar', stroke: '#ffffff', strokeWidth: 0.5 },
    encoding: {
      row: {
        field: 'attempt',
        type: 'nominal',
        title: null,
        sort: [...ATTEMPTS],
        header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' },
      },
      x: {
        field: 'start',
        type: 'quantitative',
        bin: { binned: true },
        title: axis.title,
        scale: { domain: [0, toAxis(end, axis)], nice: false },
      },
      x2: { field: 'end' },
      y: { field: 'count', type: 'quantitative', stack: 'zero', title: 'failures', axis: { tickMinStep: 1 } },
      color: {
        field: 'reason',
        type: 'nominal',
        title: null,
        scale: { domain: d.reasons, range: FAILURE_COLOURS },
      },
    },
  };
}
