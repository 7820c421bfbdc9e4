import { writeFileSync } from 'node:fs';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse plan <scenario> [--from runs/<id>] [--event-hours H] [--events-per-year N] [--json]
 * [--out plan.yaml]`: size the Jetstream2 cluster for the scenario (node groups, pre-scale,
 * placeholders) and its SU budget, beside the rule of thumb, pre-scaling to the peak and autoscaling
 * alone. Progress on stderr, the report on stdout, the NodeGroupPlan to --out (only then; without
 * it, a hint on stderr). Exit 0, or 2 for bad input (unknown flavor, impossible SLO, a user larger
 * than any node).
 */
export async function plan(
  io: CliIO,
  scenarioFile: string,
  flags: { from?: string; eventHours?: string; eventsPerYear?: string; json?: boolean; out?: string },
): Promise<number> {
  const [{ loadScenario }, { planCluster }, { formatPlan }, { planToYaml }] = await Promise.all([
    import('../../scenarios/load.js'),
    import('../../api/sizing.js'),
    import('../../analysis/format.js'),
    import('../../analysis/sizing-plan.js'),
  ]);
  const loaded = await loadScenario(scenarioFile);
  const eventHours = number('--event-hours', flags.eventHours);
  const eventsPerYear = number('--events-per-year', flags.eventsPerYear);
  const record = flags.from === undefined ? undefined : await readRun(io, flags.from);
  const progress = progressBar(io);
  const report = await planCluster(loaded, {
    ...(record ? { from: record } : {}),
    ...(eventHours !== undefined ? { eventHours } : {}),
    ...(eventsPerYear !== undefined ? { eventsPerYear } : {}),
    onProgress: progress.update,
  });
  progress.done();
  // The NodeGroupPlan (what provision/jetstream2 reads) is written only when asked for.
  if (flags.out !== undefined) {
    writeFileSync(flags.out, planToYaml(report.plan));
    io.stderr.write(`NodeGroupPlan written to ${flags.out}\n`);
  } else {
    io.stderr.write(
      `NodeGroupPlan not saved: add --out ${report.plan.scenario.name}.plan.yaml to save it for rehearse provision\n`,
    );
  }
  if (flags.json) {
    const { recommendation: rec, ...rest } = report;
    const json = {
      ...rest,
      recommendation: {
        ...rec,
        // One replication's timeline (node counts over time); eventSu and the percentiles above are
        // over every replication, so this run's own SU may differ from them.
        sim: {
          note: 'the first replication of the chosen candidate, for its timeline; eventSu, p50 and p95 are over all replications',
          end: rec.sim.end,
          groups: rec.sim.groups,
          stats: rec.sim.stats,
          timeline: rec.sim.timeline,
        },
      },
    };
    io.stdout.write(
      `${JSON.stringify(json, (_k, v) => (v === Number.POSITIVE_INFINITY ? 'Infinity' : v), 2)}\n`,
    );
  } else {
    io.stdout.write(formatPlan(report));
  }
  return ExitCode.ok;
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) {
    throw new InputError('FLAG_INVALID', `${name} must be a number, got "${text}"`);
  }
  return n;
}

async function readRun(io: CliIO, dir: string) {
  const { readRecord, resolveRecordDir } = await import('../../loadgen/record/reader.js');
  const recordDir = resolveRecordDir(dir, '--from');
  const record = readRecord(recordDir);
  for (const w of record.warnings) io.stderr.write(`warning: ${w}\n`);
  io.stderr.write(`calibrating from ${record.dir}\n`);
  return record;
}

/** A bar redrawn in place on a terminal; on a pipe, a line every 25 %. */
function progressBar(io: CliIO): { update: (done: number, total: number) => void; done: () => void } {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastQuarter = -1;
  let lastDraw = 0;
  return {
    update(done, total) {
      if (tty) {
        if (done !== total && done - lastDraw < Math.max(1, total / 100)) return;
        lastDraw = done;
        const width = 30;
        const filled = Math.round((done / total) * width);
        io.stderr.write(
          `\rsearching [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} candidates`,
        );
        return;
      }
      const quarter = Math.floor((done / total) * 4);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        io.stderr.write(`searching: ${done}/${total} candidates\n`);
      }
    },
    done() {
      if (tty) io.stderr.write('\n');
    },
  };
}
