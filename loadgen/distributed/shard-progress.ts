import type { MetricTotals } from '../metrics/totals.js';
import type { ProgressSnapshot } from '../runner/reporter.js';
import type { WireResult } from './protocol.js';

export interface ShardProgress {
  progress?: ProgressSnapshot;
  results: readonly WireResult[];
  ended: boolean;
  lost: boolean;
}

/** The workers' last progress summed (launchReadyP95 from the merged, closed intervals). */
export function sumProgress(
  shards: readonly ShardProgress[],
  t: number,
  planned: number,
  totals: MetricTotals,
): ProgressSnapshot {
  const sum: ProgressSnapshot = {
    t,
    planned,
    arrived: 0,
    launching: 0,
    ready: 0,
    inCells: 0,
    completed: 0,
    failed: 0,
    late: 0,
    launchReadyP95: null,
  };
  for (const s of shards) {
    const p = s.progress;
    if (!p) continue;
    if (s.ended) {
      // Ended: its own outcomes, not its last heartbeat (which may predate the last users' ends).
      const started = s.results.filter((r) => r.outcome !== 'not-started');
      sum.arrived += s.lost ? p.arrived : started.length;
      sum.completed += started.filter((r) => r.outcome === 'completed').length;
      sum.failed += started.filter((r) => r.outcome === 'failed').length;
      sum.late += p.late;
      continue;
    }
    sum.arrived += p.arrived;
    sum.launching += p.launching;
    sum.ready += p.ready;
    sum.inCells += p.inCells;
    sum.completed += p.completed;
    sum.failed += p.failed;
    sum.late += p.late;
  }
  const h = totals.trends.get('launch.ready');
  if (h && h.totalCount > 0) sum.launchReadyP95 = h.getValueAtPercentile(95) / 1000;
  return sum;
}
