/**
 * The charts of a run report: which sections a record gets, their specs, how to read them, and a
 * one-line note when a chart would be empty (no failures, no observer data) or needs a caveat.
 * Pure: a record in, section definitions out (render.ts turns specs into SVG).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ClusterSummary } from '../loadgen/record/cluster.js';
import type { HealthRecord } from '../loadgen/record/health.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import { formatMs } from './format.js';
import type { SectionDetail, SectionTable } from './page.js';
import { cellLatency, cellLatencySpec } from './specs/cell-latency.js';
import { type ClusterTimeline, clusterTimelineSpec } from './specs/cluster-timeline.js';
import { cohortTimelineSpec } from './specs/cohort-timeline.js';
import { failures, failuresSpec } from './specs/failures.js';
import {
  type GeneratorHealth,
  generatorHealth,
  generatorHealthSpec,
  SATURATION_MS,
} from './specs/generator-health.js';
import { launchPhases, launchPhasesSpec } from './specs/launch-phases.js';
import { readyCurve, readyCurveSpec } from './specs/ready-curve.js';
import { type PlanInput, planFrontierSpec, planNodesSpec } from './specs/sizing.js';

export interface SectionDef {
  id: string;
  title: string;
  description: string;
  spec?: TopLevelSpec;
  note?: string;
  noteTone?: 'info' | 'good' | 'warn';
  details?: SectionDetail[];
  table?: SectionTable;
}

export interface RunReportExtras {
  /** Cluster observer samples (a run with --kubeconfig); without them the section says so. */
  cluster?: ClusterTimeline & { summary?: ClusterSummary; warnings?: string[] };
  /** A capacity plan for this scenario (analysis/); adds the frontier and node-count charts. */
  plan?: PlanInput;
  /** A check record's baseline: cells slower than `slowerFactor` (default 2) × its time are marked. */
  healthBaseline?: HealthRecord;
  slowerFactor?: number;
}

/** The note under the generator chart: kept up, or saturated (and where). */
export function generatorVerdict(g: GeneratorHealth): string {
  if (g.points.length === 0) return 'The record has no generator samples.';
  const lag = formatMs(g.worstP99['schedule lag']);
  const loop = formatMs(g.worstP99['event-loop delay']);
  if (g.saturated.length === 0) {
    return (
      `The generator kept up: schedule lag p99 stayed at or under ${lag} in every interval (saturated above ${SATURATION_MS} ms). ` +
      `Event-loop delay p99 peaked at ${loop}: a reply may have been timestamped up to that late in that interval.`
    );
  }
  return (
    `SATURATED GENERATOR in ${g.saturated.length} of ${g.intervals} intervals (shaded): steps started up to ${lag} late ` +
    `(p99). Read those intervals' latencies with care; spread the load (--workers) or use a bigger machine.`
  );
}

/** The parts of a record the sections read (the live page builds them from the run as it goes). */
export type SectionsInput = Pick<RunRecord, 'events' | 'intervals' | 'summary'>;

export function runSections(record: SectionsInput, extras: RunReportExtras = {}): SectionDef[] {
  const { events, intervals, summary } = record;
  const end = summary.durationMs;
  const out: SectionDef[] = [];

  const arrivals = events.filter((e) => e.type === 'arrival').length;
  out.push({
    id: 'cohort',
    title: 'Attendees over time',
    description:
      'Every attendee who has arrived is in one state: launching (clicked the link, no server yet), in session, left, or failed. ' +
      'The black line is everyone who has arrived; the dashed green line counts servers that became ready.',
    ...(arrivals > 0
      ? { spec: cohortTimelineSpec(events, end) }
      : { note: 'No attendee arrived: the run stopped before the first arrival.' }),
  });

  const curve = readyCurve(intervals, summary.thresholds);
  out.push({
    id: 'ready',
    title: 'Time to ready',
    description:
      'How long attendees waited from clicking the Binder link to a usable server, at every percentile of the launches that ' +
      'succeeded: p95 is the wait 95% of them did not exceed. Flat is good; a steep right end is a slow tail.',
    ...(curve.count > 0
      ? { spec: readyCurveSpec(intervals, summary.thresholds) }
      : { note: 'No launch reached a ready server, so there is no time to ready.' }),
  });

  const phases = launchPhases(intervals);
  out.push({
    id: 'phases',
    title: 'Where the launch time goes',
    description:
      'Each launch phase from p50 (circle) to p99 (diamond), measured from BinderHub’s progress messages: build (image build or ' +
      'cache wait), queue (hub spawn queue), schedule, scale-up (a node had to come up), image pull, start. Phases are ranked on ' +
      'their own, so their p95s do not add up to the whole launch’s p95.',
    ...(phases.bars.length > 0
      ? { spec: launchPhasesSpec(intervals) }
      : { note: 'No launch phase was measured (no launch succeeded).' }),
  });

  const cells = cellLatency(intervals);
  out.push({
    id: 'cells',
    title: 'Notebook cells',
    description:
      'Execution time of each code cell of the workshop notebook (send → reply and idle), p50 and p95 over all attendees. ' +
      'A cell whose p95 is far above its p50 slows down under load.',
    ...(cells.cells.length > 0 ? { spec: cellLatencySpec(intervals) } : { note: 'No notebook cell ran.' }),
  });

  out.push(failureSection(record));

  const gen = generatorHealth(intervals);
  out.push({
    id: 'generator',
    title: 'Load generator health',
    description:
      'Is the generator keeping up with the schedule? Schedule lag is how late steps started; event-loop delay is how late the ' +
      'generator’s own timer fired. p99 solid, max dotted, log scale.',
    ...(gen.points.length > 0 ? { spec: generatorHealthSpec(intervals, end) } : {}),
    note: generatorVerdict(gen),
    noteTone: gen.saturated.length > 0 ? 'warn' : 'good',
  });

  const samples = extras.cluster?.samples ?? [];
  out.push({
    id: 'cluster',
    title: 'Cluster',
    description:
      'Ready nodes per node group and user pods waiting for a node (pending), from the Kubernetes API.',
    ...(samples.length > 0 && extras.cluster
      ? { spec: clusterTimelineSpec(extras.cluster, end) }
      : { note: 'No cluster observer data (run with --kubeconfig).' }),
    ...(extras.cluster?.summary
      ? { note: clusterNote(extras.cluster.summary, extras.cluster.warnings ?? []) }
      : {}),
  });

  if (extras.plan) out.push(...planSections(extras.plan));
  return out;
}

/** The observer's summary in one paragraph: the figures `rehearse plan --from` calibrates with. */
export function clusterNote(c: ClusterSummary, warnings: readonly string[]): string {
  const stat = (s: { n: number; median: number; p95: number } | null, what: string) =>
    s ? `${what} median ${formatMs(s.median)}, p95 ${formatMs(s.p95)} (n=${s.n})` : `${what}: none observed`;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const parts = [
    stat(c.nodeReady, 'node ready'),
    `${stat(c.imagePull, 'image pull')}, ${c.cachedPulls} cached`,
    `most users on one node ${c.usersPerNode.max}`,
    c.peakMemoryPerUser
      ? `peak memory per user median ${gib(c.peakMemoryPerUser.median)}, max ${gib(c.peakMemoryPerUser.max)}`
      : `no memory figures (metrics API ${c.metrics})`,
    `${c.scaleUps} scale-ups, ${c.failedScheduling} FailedScheduling, ${c.preemptions} placeholder preemptions`,
  ];
  const warn = warnings.length > 0 ? ` Observer warnings: ${warnings.join('; ')}.` : '';
  return `${parts.join('; ')}.${warn}`;
}

function failureSection(record: SectionsInput): SectionDef {
  const f = failures(record.intervals);
  const rates = record.summary.rates;
  const base: SectionDef = {
    id: 'failures',
    title: 'Failures',
    description:
      'Failures by reason per interval. First attempt: a launch attempt failed, even if BinderHub’s retry then succeeded. ' +
      'Final: what the attendee was left with. Many first-attempt failures with few final ones is a hub surviving on retries.',
  };
  const errors = cellErrorDetails(record);
  if (f.bars.length === 0) {
    const n = (k: 'launch.failed' | 'cell.failed' | 'session.failed') => rates[k]?.total ?? 0;
    return {
      ...base,
      note: `No failures: ${n('launch.failed')} launches, ${n('cell.failed')} cells and ${n('session.failed')} sessions, none failed.`,
      noteTone: 'good',
    };
  }
  return {
    ...base,
    spec: failuresSpec(record.intervals, record.summary.durationMs),
    noteTone: 'warn',
    note: `${f.totals.first} first-attempt and ${f.totals.final} final failures; reasons, most frequent first: ${f.reasons.join(', ')}.`,
    ...(errors.length > 0 ? { details: errors } : {}),
  };
}

/**
 * The notebook errors behind `cell-error` failures, one detail per distinct error (the session's
 * end message: `cell N, line L: Ename: evalue`), with how many attendees met it.
 */
export function cellErrorDetails(record: Pick<RunRecord, 'events'>): SectionDetail[] {
  const counts = new Map<string, number>();
  for (const ev of record.events) {
    if (ev.type !== 'user-end' || ev.reason !== 'cell-error' || ev.message === undefined) continue;
    counts.set(ev.message, (counts.get(ev.message) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([message, n]) => ({
      heading: message,
      text: `${n} attendee${n === 1 ? '' : 's'} stopped here (\`rehearse check --keep-going\` runs the cells after it).`,
    }));
}

export function planSections(plan: PlanInput): SectionDef[] {
  const chosen = plan.candidates.find((c) => c.label === plan.chosen);
  const alternatives = plan.alternatives ?? [];
  const note = [
    chosen
      ? `Chosen: ${chosen.label}, ${Math.round(chosen.su).toLocaleString('en-US')} SUs, p95 time to ready ${formatMs(chosen.p95ReadyMs)}.`
      : '',
    plan.versusRuleOfThumb ?? '',
  ]
    .filter((t) => t !== '')
    .join('\n');
  return [
    {
      id: 'plan-frontier',
      title: 'Capacity plan: cost against wait',
      description:
        'Each candidate node-group plan by its cost in Jetstream2 SUs and its simulated p95 time to ready. The blue line is ' +
        'the frontier (no plan is both cheaper and faster than one on it); the diamond is the chosen plan.' +
        (alternatives.length > 0
          ? ' The plans an operator would otherwise pick (on the chosen flavor and max node count, simulated with the same ' +
            'seeds) are named: a green square meets the SLOs, a red cross misses one; the table lists them.'
          : ''),
      spec: planFrontierSpec(plan),
      ...(note !== '' ? { note } : {}),
      ...(alternatives.length > 0 ? { table: alternativesTable(plan) } : {}),
    },
    {
      id: 'plan-nodes',
      title: 'Capacity plan: nodes over time',
      description: `Ready nodes per node group over the event for the chosen plan (${plan.chosen}).`,
      ...(plan.nodes.length > 0 ? { spec: planNodesSpec(plan) } : { note: 'The plan has no node timeline.' }),
    },
  ];
}

/** The chosen plan and the named alternatives, one row each. */
export function alternativesTable(plan: PlanInput): SectionTable {
  const chosen = plan.candidates.find((c) => c.label === plan.chosen);
  const su = (n: number) => Math.round(n).toLocaleString('en-US');
  const rows = (plan.alternatives ?? []).map((a) => [
    a.name,
    a.label,
    formatMs(a.p50ReadyMs),
    formatMs(a.p95ReadyMs),
    formatMs(a.maxReadyMs),
    su(a.su),
    `${a.feasible ? 'all met' : `misses ${a.misses.join('; ')}`}${a.sameAsChosen ? ' (the chosen plan itself)' : ''}`,
  ]);
  return {
    head: ['plan', 'settings', 'p50 wait', 'p95 wait', 'max wait', 'SUs per event', 'SLOs'],
    rows: chosen
      ? [
          [
            'chosen',
            chosen.label,
            chosen.p50ReadyMs === undefined ? '' : formatMs(chosen.p50ReadyMs),
            formatMs(chosen.p95ReadyMs),
            chosen.maxReadyMs === undefined ? '' : formatMs(chosen.maxReadyMs),
            su(chosen.su),
            'all met',
          ],
          ...rows,
        ]
      : rows,
    numeric: [2, 3, 4, 5],
    ...(chosen ? { strong: [0] } : {}),
  };
}
