/**
 * The comparison of a threshold or SLO (`launch.ready p(95) < 60s`): one definition for the
 * run's thresholds (loadgen/thresholds.ts) and the planner's SLOs (analysis/slo.ts), which both
 * read the same expressions from a scenario.
 */
export type CompareOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** Whether `actual op limit` holds. */
export function holds(actual: number, op: CompareOp, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}
