import { RehearseError } from '../../scenarios/errors.js';
import { describeOutage } from '../record/outages.js';
import type { RunSummary } from '../record/types.js';

/**
 * After a run whose thresholds did not fail: a hub that was unreachable during it, or anything it
 * created and could not remove, makes it a runtime failure (exit 1) whose message names the cause.
 * Thresholds still decide first (99): the CLI asks this only when the verdict is not `fail`.
 */
export function runHealthError(summary: RunSummary, recordDir: string): RehearseError | undefined {
  const outages = summary.outages ?? [];
  if (outages.length > 0) {
    return new RehearseError(
      'HUB_OUTAGE',
      `the hub was unreachable during the run, so this is not a pass:\n${outages.map((o) => `  ${describeOutage(o)}`).join('\n')}`,
      {
        hint: `The report's timeline shows the outage and whose launches it failed (reason hub-down): rehearse report ${recordDir}`,
      },
    );
  }
  if (summary.leftovers.length > 0) {
    return new RehearseError(
      'LEFTOVERS',
      `${summary.leftovers.length} things this run created could not be removed (listed above)`,
      { hint: `Remove them with \`rehearse cleanup ${recordDir}\`, or with the commands above.` },
    );
  }
  return undefined;
}
