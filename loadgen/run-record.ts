import { cpus, hostname, totalmem } from 'node:os';
import type { LoadedScenario } from '../scenarios/load.js';
import { outagesFromEvents } from './record/outages.js';
import type { IntervalRecord, RecordedTarget, RunEvent, RunStatus, RunSummary } from './record/types.js';
import { RecordWriter } from './record/writer.js';
import { buildSummary } from './runner/summary.js';
import type { UserResult } from './runner/user.js';
import type { Threshold } from './thresholds.js';

/**
 * One run record being written: meta at the start, events and closed intervals as they come, the
 * summary (thresholds judged once, on every interval of the run) at the end. A one-process run
 * feeds it from its own metric store; a distributed run's coordinator feeds it the merged streams
 * of its workers. Either way there is one record and one verdict.
 */

export const INTERVAL_MS = 10_000;

/** This machine, as a record's meta says where the run was driven from. */
export function hostInfo() {
  return {
    hostname: hostname(),
    platform: process.platform,
    arch: process.arch,
    node: process.version,
    cpus: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

export interface RecorderOptions {
  runsDir: string;
  runId?: string;
  loaded: LoadedScenario;
  seed: number;
  target: RecordedTarget;
  toolVersion: string;
  plannedUsers: number;
  /** ISO wall time of the run clock's 0. */
  startedAt: string;
}

export class RunRecorder {
  readonly intervals: IntervalRecord[] = [];
  private readonly failedCleanups: RunEvent[] = [];
  private readonly healthEvents: RunEvent[] = [];
  private readonly writer: RecordWriter;

  constructor(private readonly o: RecorderOptions) {
    const { scenario } = o.loaded;
    this.writer = RecordWriter.create(o.runsDir, {
      id: o.runId,
      tool: { name: 'rehearse', version: o.toolVersion },
      scenario: {
        name: scenario.name,
        hash: o.loaded.hash,
        source: o.loaded.sourcePath,
        normalized: scenario,
      },
      seed: o.seed,
      target: o.target,
      host: hostInfo(),
      intervalMs: INTERVAL_MS,
      plannedUsers: o.plannedUsers,
      startedAt: o.startedAt,
    });
  }

  get id(): string {
    return this.writer.id;
  }

  get dir(): string {
    return this.writer.dir;
  }

  readonly interval = (rec: IntervalRecord): void => {
    this.intervals.push(rec);
    this.writer.interval(rec);
  };

  readonly event = (ev: RunEvent): void => {
    this.writer.event(ev);
    if (ev.type === 'cleanup' && !ev.ok) this.failedCleanups.push(ev);
    if (ev.type === 'hub-outage' || ev.type === 'hub-recovery') this.healthEvents.push(ev);
  };

  /** Write summary.json and the final meta, close the record; returns the summary. */
  finish(f: {
    status: RunStatus;
    stopReason?: string;
    /** Run-clock ms of the end. */
    endedAt: number;
    /** ISO wall time of the end. */
    endedAtIso: string;
    results: readonly UserResult[];
    thresholds: readonly Threshold[];
    /** Additions of a distributed run (lost users, per-worker reports). */
    extend?: (s: RunSummary) => RunSummary;
  }): RunSummary {
    const base = buildSummary({
      id: this.writer.id,
      scenario: this.o.loaded.scenario.name,
      status: f.status,
      stopReason: f.stopReason,
      startedAt: this.o.startedAt,
      endedAt: f.endedAtIso,
      durationMs: f.endedAt,
      planned: this.o.plannedUsers,
      results: f.results,
      intervals: this.intervals,
      events: this.failedCleanups,
      thresholds: f.thresholds,
    });
    const outages = outagesFromEvents(this.healthEvents);
    const withOutages = outages.length > 0 ? { ...base, outages } : base;
    const summary = f.extend ? f.extend(withOutages) : withOutages;
    this.writer.finish(summary, f.status, f.stopReason);
    this.writer.close();
    return summary;
  }
}
