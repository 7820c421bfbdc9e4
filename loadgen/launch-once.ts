import { performance } from 'node:perf_hooks';
import { abortable } from './abortable.js';
import {
  type BinderLaunch,
  BinderLaunchError,
  launchBinder,
  type PhaseMark,
  type TimedSpawnerMark,
} from './clients/binder.js';
import { HubClient } from './clients/hub.js';
import { type ExecuteResult, KernelConnection } from './clients/kernel.js';
import { JupyterServerClient } from './clients/kernel-rest.js';
import type { CodeCell } from './notebook.js';

/**
 * One attendee end to end (`rehearse launch`): click (BinderHub `/build` stream) → server ready →
 * start a kernel → open its websocket → run code cells in order → leave. Every step is timed from the click;
 * whatever was created is removed at the end, also after a failure or an abort, each removal
 * bounded. The multi-user runner with its state machine comes with `rehearse run`.
 */

export type StepName = 'launch' | 'kernel.start' | 'ws.connect' | 'cell.exec' | 'leave';

export interface CellRun {
  index: number;
  result: ExecuteResult;
}

export interface StepTiming {
  /** For cell.exec: the code cell's index. */
  cell?: number;
  step: StepName;
  /** Offset of the step's start from the click, ms. */
  startMs: number;
  durationMs: number;
}

export interface LaunchOnceOptions {
  binderUrl: string;
  spec: string;
  /** Code cells to run in order; stops at the first that fails. */
  cells: CodeCell[];
  protocol: 'v1' | 'legacy';
  /** With a hub API token the server is stopped and the temporary user deleted; else POST api/shutdown. */
  hubToken?: string;
  launchTimeoutMs: number;
  stepTimeoutMs: number;
  cellTimeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (line: string) => void;
  now?: () => number;
}

export interface Cleanup {
  what: string;
  ok: boolean;
  detail: string;
}

export interface LaunchOnceReport {
  spec: string;
  binderUrl: string;
  serverUrl?: string;
  /** The image BinderHub launched (from `ready`). */
  image?: string;
  user?: string;
  outcome: 'completed' | 'failed';
  failedStep?: StepName;
  error?: Error;
  steps: StepTiming[];
  /** First time each BinderHub phase was seen, ms from the click. */
  phases: PhaseMark[];
  /** KubeSpawner/JupyterHub progress marks, ms from the click. */
  marks: TimedSpawnerMark[];
  retries: number;
  /** One result per cell run, in order (the last one is the failure, if any). */
  cells: CellRun[];
  cleanup: Cleanup[];
}

export async function launchOnce(o: LaunchOnceOptions): Promise<LaunchOnceReport> {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const report: LaunchOnceReport = {
    spec: o.spec,
    binderUrl: o.binderUrl,
    outcome: 'failed',
    steps: [],
    phases: [],
    marks: [],
    retries: 0,
    cells: [],
    cleanup: [],
  };
  const say = o.onProgress ?? (() => undefined);
  let step: StepName = 'launch';
  const timed = async <T>(name: StepName, fn: () => Promise<T>, cell?: number): Promise<T> => {
    step = name;
    o.signal?.throwIfAborted();
    const start = now();
    const value = await abortable(fn(), o.signal);
    report.steps.push({ step: name, cell, startMs: start - t0, durationMs: now() - start });
    return value;
  };
  let launch: BinderLaunch | undefined;
  let rest: JupyterServerClient | undefined;
  let kernelId: string | undefined;
  let conn: KernelConnection | undefined;
  try {
    launch = await timed('launch', () =>
      launchBinder({
        binderUrl: o.binderUrl,
        spec: o.spec,
        timeoutMs: o.launchTimeoutMs,
        signal: o.signal,
        now: () => now() - t0,
        onEvent: (ev) => {
          if (ev.phase && ev.message)
            say(`${(ev.t / 1000).toFixed(1).padStart(6)}s  ${ev.phase.padEnd(9)} ${ev.message.trim()}`);
        },
      }),
    );
    Object.assign(report, {
      phases: launch.phases,
      marks: launch.marks,
      retries: launch.retries,
      serverUrl: launch.url,
      image: launch.image,
    });
    report.user = userFromServerUrl(launch.url);
    const server = new JupyterServerClient({
      serverUrl: launch.url,
      token: launch.token,
      requestTimeoutMs: o.stepTimeoutMs,
    });
    rest = server;
    kernelId = (await timed('kernel.start', () => server.startKernel())).id;
    const id = kernelId;
    const token = launch.token;
    const serverUrl = launch.url;
    conn = await timed('ws.connect', () =>
      KernelConnection.open({
        serverUrl,
        token,
        kernelId: id,
        protocol: o.protocol,
        openTimeoutMs: o.stepTimeoutMs,
      }),
    );
    const c = conn;
    say(`running ${o.cells.length} code cell(s) over the ${o.protocol} kernel protocol`);
    report.outcome = 'completed';
    for (const cell of o.cells) {
      const result = await timed(
        'cell.exec',
        () => c.execute(cell.source, { timeoutMs: o.cellTimeoutMs }),
        cell.index,
      );
      report.cells.push({ index: cell.index, result });
      if (result.status !== 'ok') {
        report.outcome = 'failed';
        report.failedStep = 'cell.exec';
        break;
      }
    }
    step = 'leave';
  } catch (err) {
    report.outcome = 'failed';
    report.failedStep = step;
    report.error = err instanceof Error ? err : new Error(String(err));
    if (err instanceof BinderLaunchError)
      Object.assign(report, { phases: err.phases, marks: err.marks, retries: err.retries });
  } finally {
    const leaveStart = now();
    await leave(report, o, { launch, rest, kernelId, conn });
    report.steps.push({ step: 'leave', startMs: leaveStart - t0, durationMs: now() - leaveStart });
  }
  return report;
}

/** Close the socket, delete the kernel, then stop the server (hub API, or api/shutdown without a token). */
async function leave(
  report: LaunchOnceReport,
  o: LaunchOnceOptions,
  s: { launch?: BinderLaunch; rest?: JupyterServerClient; kernelId?: string; conn?: KernelConnection },
): Promise<void> {
  const attempt = async (what: string, fn: () => Promise<string>) => {
    try {
      report.cleanup.push({ what, ok: true, detail: await fn() });
    } catch (err) {
      report.cleanup.push({ what, ok: false, detail: (err as Error).message });
    }
  };
  const { launch, conn, rest, kernelId } = s;
  if (conn) {
    await attempt('kernel websocket', async () => {
      await conn.close({ timeoutMs: 5000 });
      return 'closed';
    });
  }
  if (rest && kernelId) await attempt(`kernel ${kernelId}`, () => rest.deleteKernel(kernelId));
  if (!launch) {
    // BinderHub goes on launching after its client leaves; without the URL we cannot stop it.
    if (report.phases.some((p) => p.phase === 'launching')) {
      report.cleanup.push({
        what: 'server',
        ok: false,
        detail:
          'the launch ended after BinderHub began launching but before the server URL was known: a server may still start (the hub culler removes it)',
      });
    }
    return;
  }
  const user = report.user;
  const hubUrl = hubUrlFromServerUrl(launch.url);
  if (o.hubToken && user && hubUrl) {
    const hub = new HubClient({ hubUrl, token: o.hubToken, requestTimeoutMs: 15_000 });
    await attempt(`server of ${user}`, async () => {
      const stop = await hub.stopServer(user);
      return `stop answered ${stop.status}; ${await hub.waitForStopped(user, 60_000)}`;
    });
    await attempt(`hub user ${user}`, () => hub.deleteUser(user, { timeoutMs: 60_000 }));
  } else if (rest) {
    await attempt(`server ${launch.url}`, async () => {
      await rest.shutdownServer();
      return 'POST api/shutdown answered';
    });
  }
}

/** `https://hub/user/<name>/` → `<name>` (decoded). */
export function userFromServerUrl(url: string): string | undefined {
  const m = /\/user\/([^/]+)\/?/.exec(new URL(url).pathname);
  return m?.[1] === undefined ? undefined : decodeURIComponent(m[1]);
}

/** `https://hub/prefix/user/<name>/` → `https://hub/prefix/`. */
export function hubUrlFromServerUrl(url: string): string | undefined {
  const u = new URL(url);
  const i = u.pathname.lastIndexOf('/user/');
  if (i < 0) return undefined;
  return `${u.origin}${u.pathname.slice(0, i + 1)}`;
}
