import { InputError } from '../../core/errors.js';
import type { Threshold } from '../../core/slo.js';
import type { LoadedScenario } from '../../scenarios/load.js';

/**
 * A scenario's thresholds, fully parsed (metric names, aggregations, units), or one InputError
 * listing every bad expression with its column. Shared by `validate` and `run`.
 */
export async function scenarioThresholds(loaded: LoadedScenario): Promise<Threshold[]> {
  const { parseThresholds } = await import('../../core/slo.js');
  const parsed = parseThresholds(loaded.scenario.slo);
  if (parsed.errors.length === 0) return parsed.thresholds;
  const lines = parsed.errors.map(
    (e) => `${loaded.sourcePath}: slo[${e.index}] "${e.expr}" column ${e.column}: ${e.message}`,
  );
  throw new InputError('SLO_INVALID', `invalid thresholds:\n${lines.join('\n')}`, {
    hint: 'Thresholds read "<metric> <agg> <op> <value>", e.g. "launch.ready p(95) < 60s" or "launch.failed rate < 1%".',
  });
}
