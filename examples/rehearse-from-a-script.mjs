#!/usr/bin/env node
/**
 * A local rehearsal from a script, through rehearse's library API (package.json `exports`): run a
 * scenario, write its report, print one JSON line, exit with the CLI's exit code.
 *
 *   npm run build
 *   node examples/rehearse-from-a-script.mjs [scenario.yaml] [runs-dir] [local-state-dir]
 *
 * Outside this repository, after `npm install <path or tarball of rehearse>`, the import below is
 * the same. Without a state dir the local target lives in ~/.rehearse (or $REHEARSE_HOME): it is
 * brought up for the run and taken down after, unless one already runs.
 */
import { fileURLToPath } from 'node:url';
import { ExitCode, RehearseError, rehearse, writeReport } from 'rehearse';

const [
  scenario = fileURLToPath(new URL('../scenarios/quickstart.yaml', import.meta.url)),
  out = 'runs',
  stateDir,
] = process.argv.slice(2);

try {
  const outcome = await rehearse(scenario, { out, ...(stateDir ? { stateDir } : {}) });
  if (outcome.dryRun) throw new Error('not a dry run');
  const report = await writeReport(outcome.dir);
  const { users, verdict } = outcome.summary;
  console.log(
    JSON.stringify({ dir: outcome.dir, verdict, users, report: report.html, exitCode: outcome.exitCode }),
  );
  if (outcome.problem) console.error(`error: ${outcome.problem.message}`);
  process.exitCode = outcome.exitCode;
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = err instanceof RehearseError ? err.exitCode : ExitCode.runtime;
}
