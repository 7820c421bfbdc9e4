import { type FailureReason, LATE_ARRIVAL_MS, type Sample, type TrendMetric } from '../../core/metrics.js';
import { abortable, LocalAbort } from '../abortable.js';
import type { Arrival } from '../arrivals.js';
import { thinkTimeMs } from '../arrivals.js';
import { cellError } from '../check/traceback.js';
import { type ExecuteResult, KernelConnection } from '../clients/kernel.js';
import { JupyterServerClient } from '../clients/kernel-rest.js';
import type { Clock } from '../clock.js';
import type { CodeCell } from '../notebook.js';
import type { RunEvent, StepName } from '../record/types.js';
import type { WorkshopSteps } from '../workshop/steps.js';
import { failureReason } from './attribution.js';
import { attemptCleanup } from './cleanup.js';
import type { HubHealthProbe } from './hub-health.js';
import { type CleanupLine, LaunchFailure, type LaunchResult, type TargetAdapter } from './targets.js';

/**
 * One simulated attendee as an explicit state machine (hubtraf's User, with an open workload):
 *
 *   waiting ─► launching ─► starting-kernel ─► connecting ─► thinking ⇄ in-cell ─► idle ─► leaving ─► done
 *
 * Each step is one protocol action with one timed event. Its latency is measured from the step's
 * SCHEDULED start (the click for the launch, the end of the think time for a cell), so a stalled
 * hub shows as long waits, not missing samples; how late the generator itself began the step is
 * `generator.lag`. The session lasts `session.duration` from the moment the server is ready: cells
 * run in order with lognormal think times, then the user idles with its kernel open until the
 * session ends, and leaves (stopping the server when onEnd is `stop`). Cells scheduled past the
 * session's end are not run. The first failing step ends the session; leaving always runs.
 */

export type UserState =
  | 'waiting'
  | 'launching'
  | 'starting-kernel'
  | 'connecting'
  | 'thinking'
  | 'in-cell'
  | 'idle'
  | 'leaving'
  | 'done';

export interface UserResult {
  id: string;
  /** `not-started`: the run stopped before this user's click. */
  outcome: 'completed' | 'failed' | 'not-started';
  reason?: FailureReason;
  cellsRun: number;
  server?: LaunchResult;
  /** Servers left running on purpose (onEnd keep). */
  kept: boolean;
}

/** The Jupyter server a user got, as the session uses it (real clients by default; tests inject). */
export interface ServerApi {
  /** No name: the server's default kernel. */
  startKernel(name?: string): Promise<{ id: string }>;
  connect(kernelId: string): Promise<KernelSession>;
  deleteKernel(id: string): Promise<string>;
}

export interface KernelSession {
  execute(code: string, opts: { timeoutMs: number }): Promise<ExecuteResult>;
  close(opts: { timeoutMs: number }): Promise<void>;
}

/** A session that also answers kernel_info (KernelConnection). */
export interface CheckSession extends KernelSession {
  kernelInfo(opts: { timeoutMs: number }): Promise<Record<string, unknown>>;
}

/** The real clients: a ServerApi whose sessions are KernelConnections, with its REST client. */
export interface RealServerApi extends ServerApi {
  connect(kernelId: string): Promise<CheckSession>;
  /** Interrupt, restart, contents, kernelspecs: what `rehearse check` uses beyond a session. */
  rest: Pick<JupyterServerClient, 'contents' | 'interruptKernel' | 'restartKernel' | 'kernelSpecNames'>;
}

export function realServerApi(
  server: LaunchResult,
  o: { protocol: 'v1' | 'legacy'; timeoutMs: number },
): RealServerApi {
  const rest = new JupyterServerClient({
    serverUrl: server.serverUrl,
    token: server.token,
    requestTimeoutMs: o.timeoutMs,
  });
  return {
    rest,
    startKernel: (name) => rest.startKernel(name),
    deleteKernel: (id) => rest.deleteKernel(id),
    connect: (kernelId) =>
      KernelConnection.open({
        serverUrl: server.serverUrl,
        token: server.token,
        kernelId,
        protocol: o.protocol,
        openTimeoutMs: o.timeoutMs,
      }),
  };
}

export interface UserContext {
  clock: Clock;
  target: TargetAdapter;
  cells: readonly CodeCell[];
  session: { thinkTime: { median: number; p95: number }; duration: number; onEnd: 'stop' | 'keep' };
  protocol: 'v1' | 'legacy';
  stepTimeoutMs: number;
  cellTimeoutMs: number;
  emit(s: Sample): void;
  event(ev: RunEvent): void;
  /** Stop soon: users not yet clicked do not start; others leave after their current step (launches drain). */
  stop: AbortSignal;
  /** Stop launching only (e.g. BinderHub rate limit): users not yet clicked do not start; sessions go on. */
  noMoreArrivals?: AbortSignal;
  /** Abort now: every wait and request is cancelled. */
  abort: AbortSignal;
  onState?(user: string, from: UserState, to: UserState): void;
  /** How to talk to a launched server; default: the real REST and websocket clients. */
  openServer?: (server: LaunchResult, o: { protocol: 'v1' | 'legacy'; timeoutMs: number }) => ServerApi;
  /** The run's hub health probe: a launch that failed during an outage fails as `hub-down`. */
  hubHealth?: Pick<HubHealthProbe, 'hitOutage'>;
  /** Workshop steps after the launch (nbgitpuller link, browser canary): loadgen/workshop/steps.ts. */
  workshop?: Pick<WorkshopSteps, 'afterLaunch'>;
}

export async function runUser(ctx: UserContext, arrival: Arrival): Promise<UserResult> {
  const user = new SimulatedUser(ctx, arrival);
  return user.run();
}

class SimulatedUser {
  private state: UserState = 'waiting';
  private server: LaunchResult | undefined;
  private rest: ServerApi | undefined;
  private kernelId: string | undefined;
  private conn: KernelSession | undefined;
  private cellsRun = 0;
  private firstAttempt: 'ok' | FailureReason = 'ok';

  constructor(
    private readonly ctx: UserContext,
    private readonly a: Arrival,
  ) {
    this.leaving = new LocalAbort(AbortSignal.any([ctx.stop, ctx.abort]));
    this.arrivalGate = AbortSignal.any([ctx.noMoreArrivals ?? ctx.stop, ctx.stop, ctx.abort]);
  }

  private to(next: UserState): void {
    this.ctx.onState?.(this.a.id, this.state, next);
    this.state = next;
  }

  /** `t`: when it was measured, if the caller has just read the clock (default: now). */
  private trend(metric: TrendMetric, value: number, cell?: number, t = this.ctx.clock.now()): void {
    this.ctx.emit({
      kind: 'trend',
      metric,
      value,
      t,
      // Every trend of a user carries its cohort (hence its server profile); cells keep their index.
      tags: cell === undefined ? { cohort: this.a.cohort } : { cell },
    });
  }

  /** Wait for a step's scheduled start; record how late the generator began it. */
  private async begin(scheduled: number, signal: AbortSignal): Promise<number> {
    await this.ctx.clock.sleepUntil(scheduled, signal);
    const now = this.ctx.clock.now();
    const lag = Math.max(0, now - scheduled);
    this.trend('generator.lag', lag, undefined, now);
    return lag;
  }

  /** Arrival gate and session signals, combined once per user (not per cell). */
  private readonly leaving: LocalAbort;
  private readonly arrivalGate: AbortSignal;
  /** When the last step ended (the clock read once per step, for what follows it). */
  private stepEnd = 0;

  /** One step: scheduled start → done; emits the trend (from the scheduled start) and a step event. */
  private async step<T>(
    name: StepName,
    metric: TrendMetric | null,
    scheduled: number,
    fn: () => Promise<T>,
    cell?: number,
  ): Promise<T> {
    const { clock } = this.ctx;
    // Only scheduled steps (cells, after think time) have a lag to record; the others start at once.
    const start = clock.now();
    if (scheduled > start) await this.begin(scheduled, this.ctx.abort);
    else if (cell !== undefined) this.trend('generator.lag', start - scheduled, undefined, start);
    let ok = false;
    try {
      const value = await fn();
      ok = true;
      return value;
    } finally {
      const end = clock.now();
      this.stepEnd = end;
      const duration = end - scheduled;
      if (metric && ok) this.trend(metric, duration, cell, end);
      this.ctx.event({ type: 'step', t: end, user: this.a.id, step: name, scheduled, duration, ok, cell });
    }
  }

  async run(): Promise<UserResult> {
    const { clock } = this.ctx;
    try {
      await clock.sleepUntil(this.a.t, this.arrivalGate);
    } catch {
      return this.notStarted(); // the run stopped (or stopped launching) before this user's click
    }
    if (this.arrivalGate.aborted) return this.notStarted();
    const lag = Math.max(0, clock.now() - this.a.t);
    const late = lag > LATE_ARRIVAL_MS;
    this.trend('generator.lag', lag);
    this.ctx.emit({ kind: 'rate', metric: 'arrival.late', hit: late, t: clock.now() });
    this.ctx.event({
      type: 'arrival',
      t: clock.now(),
      user: this.a.id,
      cohort: this.a.cohort,
      scheduled: this.a.t,
      lag,
      late,
    });

    let failure: { reason: FailureReason; message: string } | undefined;
    try {
      await this.launch();
      if (this.ctx.workshop && this.server && !this.ctx.stop.aborted) {
        const { clock } = this.ctx;
        await this.ctx.workshop.afterLaunch(this.a, this.server, {
          now: () => clock.now(),
          emit: (s) => this.ctx.emit(s),
          event: (ev) => this.ctx.event(ev),
          signal: this.ctx.abort,
        });
      }
      await this.session();
    } catch (err) {
      if (err instanceof LaunchFailure) failure = { reason: err.reason, message: err.message };
      else {
        // A failure in the session (kernel, websocket, a cell): counted like a launch failure's final outcome.
        const reason = this.ctx.abort.aborted ? 'aborted' : failureReason(err);
        failure = { reason, message: (err as Error).message };
        const t = clock.now();
        this.ctx.emit({ kind: 'failure', reason, attempt: 'first', t });
        this.ctx.emit({ kind: 'failure', reason, attempt: 'final', t });
      }
    }
    await this.leave();
    const outcome = failure ? 'failed' : 'completed';
    this.ctx.emit({ kind: 'rate', metric: 'session.failed', hit: failure !== undefined, t: clock.now() });
    this.ctx.event({
      type: 'user-end',
      t: clock.now(),
      user: this.a.id,
      outcome,
      reason: failure?.reason,
      firstAttempt: this.firstAttempt,
      hubUser: this.server?.hubUser,
      cellsRun: this.cellsRun,
      message: failure?.message,
    });
    this.to('done');
    return {
      id: this.a.id,
      outcome,
      reason: failure?.reason,
      cellsRun: this.cellsRun,
      server: this.server,
      kept: this.ctx.session.onEnd === 'keep' && this.server !== undefined && failure === undefined,
    };
  }

  private notStarted(): UserResult {
    this.to('done');
    return { id: this.a.id, outcome: 'not-started', cellsRun: 0, kept: false };
  }

  private async launch(): Promise<void> {
    const { clock } = this.ctx;
    this.to('launching');
    const t0 = this.a.t;
    try {
      // Launches are not cut by a soft stop: BinderHub would finish them anyway, and only a
      // finished launch tells us which server to remove.
      this.server = await this.ctx.target.launch(this.a.id, t0, {
        signal: this.ctx.abort,
        now: () => clock.now(),
        cohort: this.a.cohort,
      });
    } catch (err) {
      const f = await this.outageFailure(
        err instanceof LaunchFailure ? err : new LaunchFailure(err, failureReason(err), failureReason(err)),
        t0,
      );
      this.firstAttempt = f.firstAttempt;
      const t = clock.now();
      this.ctx.emit({ kind: 'rate', metric: 'launch.failed', hit: true, t });
      this.ctx.emit({ kind: 'rate', metric: 'launch.failed.first', hit: true, t });
      this.ctx.emit({ kind: 'failure', reason: f.firstAttempt, attempt: 'first', t });
      this.ctx.emit({ kind: 'failure', reason: f.reason, attempt: 'final', t });
      if (f.reason === 'timeout') this.trend('launch.ready', t - t0); // waited at least this long; see names.ts
      this.ctx.event({
        type: 'step',
        t,
        user: this.a.id,
        step: 'launch',
        scheduled: t0,
        duration: t - t0,
        ok: false,
        detail: f.message,
      });
      for (const l of f.leftovers)
        this.ctx.event({ type: 'cleanup', t, ...l, what: `${this.a.id}: ${l.what}` });
      throw f;
    }
    const s = this.server;
    this.firstAttempt = s.firstAttempt;
    const t = clock.now();
    this.trend('launch.ready', s.readyAt - t0);
    for (const [metric, value] of Object.entries(s.subPhases)) this.trend(metric as TrendMetric, value);
    this.ctx.emit({ kind: 'rate', metric: 'launch.failed', hit: false, t });
    this.ctx.emit({ kind: 'rate', metric: 'launch.failed.first', hit: s.firstAttempt !== 'ok', t });
    if (s.firstAttempt !== 'ok')
      this.ctx.emit({ kind: 'failure', reason: s.firstAttempt, attempt: 'first', t });
    this.ctx.event({
      type: 'step',
      t,
      user: this.a.id,
      step: 'launch',
      scheduled: t0,
      duration: s.readyAt - t0,
      ok: true,
      detail: s.hubUser,
    });
  }

  /** A launch that failed while the hub was unreachable: `hub-down`, and the message says so. */
  private async outageFailure(f: LaunchFailure, t0: number): Promise<LaunchFailure> {
    if (!this.ctx.hubHealth || f.reason === 'aborted' || this.ctx.abort.aborted) return f;
    const o = await this.ctx.hubHealth.hitOutage(t0);
    if (!o) return f;
    const name = o.service === 'hub' ? 'the hub API' : 'BinderHub';
    const why = new Error(
      `${name} was unreachable during this launch (outage from ${(o.start / 1000).toFixed(1)} s): ${f.message}`,
      { cause: f.error },
    );
    return new LaunchFailure(
      why,
      'hub-down',
      f.firstAttempt === f.reason ? 'hub-down' : f.firstAttempt,
      f.leftovers,
    );
  }

  private async session(): Promise<void> {
    const { clock } = this.ctx;
    const s = this.server as LaunchResult;
    if (this.ctx.stop.aborted) return;
    const sessionEnd = s.readyAt + this.ctx.session.duration;
    this.to('starting-kernel');
    const rest = (this.ctx.openServer ?? realServerApi)(s, {
      protocol: this.ctx.protocol,
      timeoutMs: this.ctx.stepTimeoutMs,
    });
    this.rest = rest;
    const kernel = await this.step('kernel.start', 'kernel.start', clock.now(), () => rest.startKernel());
    this.kernelId = kernel.id;
    this.to('connecting');
    this.conn = await this.step('ws.connect', 'ws.connect', clock.now(), () => rest.connect(kernel.id));
    const conn = this.conn;
    let prevEnd = this.stepEnd;
    const cells = this.ctx.cells;
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i] as CodeCell;
      const scheduled = prevEnd + thinkTimeMs(this.ctx.session, this.a.seed, cell.index);
      if (scheduled >= sessionEnd) {
        // The session ended before this cell: the rest of the notebook is not run, and says so
        // (one sample counting them all).
        const count = cells.length - i;
        this.ctx.emit({ kind: 'rate', metric: 'cell.skipped', hit: true, t: clock.now(), count });
        break;
      }
      this.to('thinking');
      if (!(await this.sleepUnlessStopped(scheduled))) return;
      this.to('in-cell');
      const leaving = this.leaving;
      let result: ExecuteResult;
      try {
        result = await this.step(
          'cell.exec',
          'cell.exec',
          scheduled,
          () => abortable(conn.execute(cell.source, { timeoutMs: this.ctx.cellTimeoutMs }), leaving),
          cell.index,
        );
      } catch (err) {
        // Told to stop mid-cell: the attendee closes the tab; leaving deletes the kernel and its cell.
        if (this.ctx.stop.aborted && !this.ctx.abort.aborted) return;
        throw err;
      }
      this.cellsRun += 1;
      const end = this.stepEnd;
      this.ctx.emit({ kind: 'rate', metric: 'cell.skipped', hit: false, t: end });
      const failed = result.status !== 'ok';
      this.ctx.emit({ kind: 'rate', metric: 'cell.failed', hit: failed, t: end });
      if (failed) {
        // `cell N, line L: Ename: evalue`, as `rehearse check` and its JUnit say it.
        const e = result.error && cellError(result.error, cell.source);
        const where = e?.line === undefined ? `cell ${cell.index}` : `cell ${cell.index}, line ${e.line}`;
        throw Object.assign(new Error(`${where}: ${e ? `${e.ename}: ${e.evalue}` : result.status}`), {
          code: 'CELL_ERROR',
        });
      }
      prevEnd = end;
    }
    this.to('idle');
    await this.sleepUnlessStopped(sessionEnd);
  }

  /** Sleep until `t`; false when the run was told to stop meanwhile. */
  private async sleepUnlessStopped(t: number): Promise<boolean> {
    try {
      await this.ctx.clock.sleepUntil(t, this.leaving);
      return true;
    } catch {
      if (this.ctx.abort.aborted) throw this.ctx.abort.reason;
      return false; // soft stop: leave now
    }
  }

  private async leave(): Promise<void> {
    this.to('leaving');
    const { clock } = this.ctx;
    const scheduled = clock.now();
    const lines: CleanupLine[] = [];
    const attempt = (what: string, fn: () => Promise<string>) => attemptCleanup(lines, what, fn);
    const { conn, rest, kernelId, server } = this;
    if (conn) {
      await attempt('kernel websocket', async () => {
        await conn.close({ timeoutMs: 5000 });
        return 'closed';
      });
    }
    const keep = this.ctx.session.onEnd === 'keep';
    // Aborting (second Ctrl-C): every removal gets a few seconds, not the usual minute.
    const timeoutMs = this.ctx.abort.aborted ? 3000 : 60_000;
    if (rest && kernelId && !keep) await attempt(`kernel ${kernelId}`, () => rest.deleteKernel(kernelId));
    if (server && !keep) lines.push(...(await this.ctx.target.stop(server, { timeoutMs })));
    const t = clock.now();
    for (const l of lines) this.ctx.event({ type: 'cleanup', t, ...l, what: `${this.a.id}: ${l.what}` });
    if (server) this.trend('leave', t - scheduled);
  }
}
