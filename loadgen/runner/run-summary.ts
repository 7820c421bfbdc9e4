import type { Threshold } from '../../core/slo.js';
import { summarizeIntervals } from '../metrics/totals.js';
import type { IntervalRecord, RunEvent, RunStatus, RunSummary } from '../record/types.js';
import { evaluateThresholds, thresholdPercentiles } from '../thresholds.js';
import type { UserResult } from './user.js';

/** The end-of-run summary: merged interval histograms, user outcomes, thresholds and leftovers. */
export function buildSummary(o: {
  id: string;
  scenario: string;
  status: RunStatus;
  stopReason?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  planned: number;
  results: readonly UserResult[];
  intervals: readonly IntervalRecord[];
  events: readonly RunEvent[];
  thresholds: readonly Threshold[];
}): RunSummary {
  const metrics = summarizeIntervals([...o.intervals], thresholdPercentiles(o.thresholds));
  const thresholds = evaluateThresholds([...o.thresholds], metrics);
  const started = o.results.filter((r) => r.outcome !== 'not-started');
  const leftovers = o.events.flatMap((ev) =>
    ev.type === 'cleanup' && !ev.ok
      ? [{ what: ev.what, command: ev.command ?? `check ${ev.what} by hand: ${ev.detail}` }]
      : [],
  );
  for (const r of o.results) {
    if (r.kept && r.server)
      leftovers.push({
        what: `${r.id}: server ${r.server.serverUrl} (kept: onEnd keep)`,
        command: 'stop it from the hub admin page, or let the culler remove it',
      });
  }
  return {
    id: o.id,
    scenario: o.scenario,
    partial: o.status !== 'completed',
    status: o.status,
    stopReason: o.stopReason,
    startedAt: o.startedAt,
    endedAt: o.endedAt,
    durationMs: o.durationMs,
    users: {
      planned: o.planned,
      arrived: started.length,
      late: metrics.rates['arrival.late']?.hits ?? 0,
      completed: started.filter((r) => r.outcome === 'completed').length,
      failed: started.filter((r) => r.outcome === 'failed').length,
    },
    ...metrics,
    thresholds,
    verdict: thresholds.length === 0 ? 'none' : thresholds.every((t) => t.pass) ? 'pass' : 'fail',
    leftovers,
  };
}
