import type { RunEvent, WorkerReport } from '../record/types.js';
import type { ProgressSnapshot } from '../runner/reporter.js';
import { RATE_LIMIT_STOP } from '../runner/runner.js';
import type { WorkerExit, WorkerHandle } from './launcher.js';
import type { IntervalMerger } from './merge.js';
import { parseLine, type WireResult, type WorkerLine } from './protocol.js';

/**
 * Per-shard state of a distributed run, and the rules for when a worker is lost. The coordinator
 * feeds it each worker's lines (`line`), its exit (`exited`) and a clock tick; it merges
 * intervals, writes events, and kills what it gives up on.
 *
 * A worker is lost, and killed at once (a lost worker must not go on loading the hub), when:
 * - it exits (or its pod ends) before `done`;
 * - it breaks the protocol: a line that does not parse, a line for another shard or a hello with
 *   another planned count (a version or config mix-up), or a gap in `seq` (lines lost);
 * - nothing comes for `heartbeatTimeoutMs` (counted from the common start).
 * After `done`, a worker gets `doneGraceMs` to exit; then it is killed (its shard stays done).
 * On abort (a second Ctrl-C) every running worker is killed and reported `aborted`, not failed.
 */

type DoneLine = Extract<WorkerLine, { type: 'done' }>;

class ProtocolError extends Error {}

export class Shard {
  handle?: WorkerHandle;
  readonly results: WireResult[] = [];
  /** Users with an arrival and no outcome yet, with the hub user once launched. */
  readonly inFlight = new Map<string, { hubUser?: string }>();
  progress?: ProgressSnapshot;
  done?: DoneLine;
  doneAt = 0;
  lost?: string;
  /** Killed by us on abort: reported 'aborted'. */
  aborted = false;
  exited = false;
  killed = false;
  killedAfterDone = false;
  lastSeen: number;
  lastSeq = -1;
  lastT = 0;
  /** An interval, a user's outcome or done arrived: the run has data from this worker. */
  delivered = false;
  /** Aborted when what the worker still says no longer counts. */
  readonly following = new AbortController();

  constructor(
    readonly index: number,
    readonly planned: number,
    now: number,
  ) {
    this.lastSeen = now;
  }

  get ended(): boolean {
    return this.done !== undefined || this.lost !== undefined;
  }
}

export interface TrackerDeps {
  sizes: readonly number[];
  /** Wall-clock ms. */
  now: () => number;
  startAt: number;
  heartbeatTimeoutMs: number;
  doneGraceMs: number;
  merger: IntervalMerger;
  event(ev: RunEvent): void;
  /** Merged intervals may be final now: write them, judge abortOnFail thresholds. */
  drain(): void;
  stopAll(reason: string): void;
  say(m: string): void;
}

export class ShardTracker {
  readonly shards: Shard[];
  /** The workers' own stop reasons (from `done`). */
  readonly stopReasons: string[] = [];
  rateLimited = false;
  /** The run was stopped (Ctrl-C, abortOnFail, rate limit): set by the coordinator. */
  stopped = false;
  private aborting = false;

  constructor(private readonly d: TrackerDeps) {
    this.shards = d.sizes.map((size, i) => new Shard(i, size, d.now()));
  }

  attach(h: WorkerHandle): Shard {
    const s = this.shard(h.index);
    s.handle = h;
    // Silence counts from the common start: a pod may take a while to be scheduled and pulled.
    s.lastSeen = Math.max(this.d.now(), this.d.startAt);
    if (this.aborting) this.abortShard(s);
    return s;
  }

  /** One line of a worker's output (protocol, or a log line in a pod's combined log). */
  line(index: number, text: string): void {
    const s = this.shard(index);
    s.lastSeen = this.d.now();
    if (s.lost || text.trim() === '') return;
    if (!text.startsWith('{')) {
      this.d.say(`[worker ${index}] ${text}`); // a pod's log holds its stderr too
      return;
    }
    const parsed = parseLine(text);
    if (!parsed.ok) {
      this.lose(s, `protocol error: ${parsed.error}`);
      return;
    }
    const { line } = parsed;
    if (line.seq <= s.lastSeq) return; // read again after a broken log stream: already counted
    if (line.seq !== s.lastSeq + 1) {
      this.lose(
        s,
        `protocol error: lines ${s.lastSeq + 1}..${line.seq - 1} never arrived (a rotated pod log?)`,
      );
      return;
    }
    s.lastSeq = line.seq;
    try {
      this.apply(s, line);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.lose(s, `protocol error: ${err.message}`);
    }
  }

  private apply(s: Shard, line: WorkerLine): void {
    if (line.shard !== s.index) throw new ProtocolError(`a line for shard ${line.shard}`);
    switch (line.type) {
      case 'hello':
        if (line.planned !== s.planned) {
          throw new ProtocolError(`it plans ${line.planned} users, the coordinator ${s.planned}`);
        }
        if (line.clock > 0) {
          this.d.say(`worker ${s.index} (${line.host}) started ${Math.round(line.clock)} ms after the start`);
        }
        return;
      case 'interval':
        s.delivered = true;
        this.d.merger.add(line.rec);
        return;
      case 'event': {
        const ev = line.ev;
        if (ev.type === 'run-start' || ev.type === 'run-end') return; // per shard; the record has one of each
        if (ev.type === 'arrival') s.inFlight.set(ev.user, {});
        if (ev.type === 'step' && ev.step === 'launch' && ev.ok && ev.detail) {
          s.inFlight.set(ev.user, { hubUser: ev.detail });
        }
        this.d.event(ev);
        if (ev.type === 'stop' && ev.reason === RATE_LIMIT_STOP) {
          // The hub limits us per IP: every worker must stop launching, not only this one.
          this.rateLimited = true;
          this.d.stopAll(RATE_LIMIT_STOP);
        }
        return;
      }
      case 'user-end':
        s.delivered = true;
        s.results.push(line.result);
        s.inFlight.delete(line.result.id);
        return;
      case 'heartbeat':
        s.lastT = Math.max(s.lastT, line.t);
        if (line.progress) s.progress = line.progress;
        this.d.merger.advance(s.index, line.flushedUntil);
        this.d.drain();
        return;
      case 'done':
        s.done = line;
        s.doneAt = this.d.now();
        s.delivered = true;
        s.lastT = Math.max(s.lastT, line.endedAt);
        if (line.stopReason) this.stopReasons.push(line.stopReason);
        if (line.stopReason === RATE_LIMIT_STOP) this.rateLimited = true;
        if (line.error) this.d.say(`worker ${s.index} failed: ${line.error}`);
        this.d.merger.end(s.index);
        this.d.drain();
        return;
    }
  }

  /** Give up on a worker: what it still says is not counted; it is killed. */
  lose(s: Shard, why: string): void {
    if (s.ended) return;
    s.lost = why;
    const missing = s.planned - s.results.length;
    this.d.say(
      `worker ${s.index} (${s.handle?.where ?? 'not started'}) ${s.aborted ? 'aborted' : 'lost'}: ${why}; ${missing} of its ${s.planned} users never reported`,
    );
    s.following.abort();
    this.kill(s);
    this.d.merger.end(s.index);
    this.d.drain();
  }

  private kill(s: Shard): void {
    if (s.killed || !s.handle) return;
    s.killed = true;
    s.handle.kill();
  }

  /** The worker's output has ended and it has exited (or its exit could not be known). */
  exited(index: number, exit: WorkerExit): void {
    const s = this.shard(index);
    s.exited = true;
    const how = describeExit(exit);
    if (!s.done && !s.aborted && this.stopped && s.lastSeq < 0) {
      s.aborted = true; // stopped before it said anything (a pod still Pending): not a failure
      this.lose(s, `stopped before it started (${how})`);
    } else if (!s.done) {
      this.lose(s, s.aborted ? 'killed by the coordinator on abort' : `${how} before it finished`);
    } else if (exit.code !== 0 && !s.killedAfterDone) {
      this.d.say(`worker ${index} ${how} after it finished`);
    }
    this.d.merger.end(index);
    this.d.drain();
  }

  /** A second Ctrl-C: kill every worker still running (and any attached later). */
  abortAll(): void {
    this.aborting = true;
    for (const s of this.shards) if (!s.ended) this.abortShard(s);
  }

  private abortShard(s: Shard): void {
    s.aborted = true;
    this.kill(s);
  }

  /** Every second: heartbeat timeouts, and workers that said done but do not exit. */
  tick(): void {
    const t = this.d.now();
    for (const s of this.shards) {
      if (!s.handle || s.exited) continue;
      if (!s.ended && t - s.lastSeen > this.d.heartbeatTimeoutMs) {
        this.lose(s, `no line for ${Math.round((t - s.lastSeen) / 1000)} s (heartbeat timeout)`);
      } else if (s.done && !s.killedAfterDone && t - s.doneAt > this.d.doneGraceMs) {
        s.killedAfterDone = true;
        this.d.say(
          `worker ${s.index} sent done but is still running after ${Math.round(this.d.doneGraceMs / 1000)} s: killing it`,
        );
        s.following.abort();
        this.kill(s);
      }
    }
  }

  /** Shards that never got a worker (`stopped`: because the run was stopped first). */
  neverStarted(why: string, stopped: boolean): void {
    for (const s of this.shards) {
      if (s.handle) continue;
      s.aborted = stopped;
      this.lose(s, why);
    }
  }

  /** Users of lost shards that had arrived and never reported, with the hub user if launched. */
  strandedUsers(): { user: string; hubUser?: string }[] {
    return this.shards
      .filter((s) => s.lost)
      .flatMap((s) => [...s.inFlight].map(([user, v]) => ({ user, hubUser: v.hubUser })));
  }

  get lostUsers(): number {
    return this.shards.reduce((n, s) => n + (s.lost ? s.planned - s.results.length : 0), 0);
  }

  /** Lost for a reason other than our own abort. */
  get failedShards(): Shard[] {
    return this.shards.filter((s) => (s.lost && !s.aborted) || s.done?.status === 'failed');
  }

  get delivered(): boolean {
    return this.shards.some((s) => s.delivered);
  }

  /** The latest run-clock time any worker reported; undefined when none reported any. */
  get lastHeard(): number | undefined {
    const ts = this.shards.map((s) => s.lastT).filter((t) => t > 0);
    return ts.length > 0 ? Math.max(...ts) : undefined;
  }

  lostReasons(): string[] {
    return this.shards.flatMap((s) =>
      s.lost ? [`worker ${s.index} ${s.aborted ? 'aborted' : 'lost'} (${s.lost})`] : [],
    );
  }

  report(s: Shard): WorkerReport {
    const reported = s.results.length;
    return {
      index: s.index,
      where: s.handle?.where ?? 'not started',
      planned: s.planned,
      reported,
      lost: s.lost ? s.planned - reported : 0,
      state: s.lost ? 'lost' : 'done',
      status: s.lost ? (s.aborted ? 'aborted' : 'failed') : (s.done?.status ?? 'failed'),
      ...(s.lost ? { detail: s.lost } : s.done?.stopReason ? { detail: s.done.stopReason } : {}),
    };
  }

  private shard(index: number): Shard {
    const s = this.shards[index];
    if (!s) throw new RangeError(`no shard ${index} (of ${this.shards.length})`);
    return s;
  }
}

/** "killed by SIGKILL", "exited with code 137 (OOMKilled)", "its pod never ran (…)". */
export function describeExit(exit: WorkerExit): string {
  const extra = exit.detail ? ` (${exit.detail})` : '';
  if (exit.signal) return `killed by ${exit.signal}${extra}`;
  if (exit.code !== null) return `exited with code ${exit.code}${extra}`;
  return exit.detail ?? 'ended';
}
