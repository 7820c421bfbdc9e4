import { loadScenario } from '../../scenarios/load.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse validate <scenario> [--json]`: one summary line, or the normalised scenario as JSON
 * (durations in ms, memory in bytes, defaults filled in). An invalid scenario throws
 * ScenarioInvalidError, which main() prints with every issue, SLO expressions included (exit 2).
 */
export async function validate(io: CliIO, file: string, opts: { json?: boolean }): Promise<number> {
  const loaded = await loadScenario(file);
  const { scenario } = loaded;
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(scenario, null, 2)}\n`);
    return 0;
  }
  const users = scenario.cohorts.reduce((sum, cohort) => sum + cohort.users, 0);
  io.stdout.write(
    `${file}: ok (${scenario.cohorts.length} cohorts, ${users} users, seed ${scenario.seed})\n`,
  );
  return 0;
}
