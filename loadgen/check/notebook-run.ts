import { setTimeout as sleep } from 'node:timers/promises';
import { KernelError } from '../clients/kernel-rest.js';
import { codeCellsOf, kernelNameOf } from '../notebook.js';
import type { CellHealth, NotebookHealth } from '../record/health.js';
import type { RealServerApi } from '../runner/user.js';
import { cellError, isConsequence } from './traceback.js';

/**
 * One notebook in one attendee's kernel (`rehearse check`): read it from the launched server (the
 * image's copy, through the contents API), start the kernel it names, run every code cell in
 * order. By default the notebook stops at its first error or timeout, as a reader would;
 * `keepGoing` runs the rest and marks errors that only follow from an earlier failure
 * (traceback.ts isConsequence). A cell past its timeout is interrupted (the kernel is deleted when
 * the attendee leaves); the whole notebook is bounded by `notebookTimeoutMs`: cells it leaves no
 * time for are `not-run`.
 */

export interface NotebookRunOptions {
  keepGoing: boolean;
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  now(): number;
  /** Ctrl-C: the cells not yet started are not run. */
  signal?: AbortSignal;
  /** One timed cell (for the record's events). */
  onCell?(cell: CellHealth): void;
}

/** What the runner leaves for the attendee to clean up, and the kernel's own description. */
export interface NotebookRunState {
  kernelId?: string;
  conn?: Awaited<ReturnType<RealServerApi['connect']>>;
  languageInfo?: Record<string, unknown>;
}

export async function runNotebook(
  api: RealServerApi,
  path: string,
  o: NotebookRunOptions,
  state: NotebookRunState,
): Promise<NotebookHealth> {
  const t0 = o.now();
  const couldNot = (reason: string, kernelName?: string): NotebookHealth => ({
    path,
    status: 'could-not-run',
    reason,
    ...(kernelName ? { kernelName } : {}),
    durationMs: o.now() - t0,
    cells: [],
  });
  let json: unknown;
  try {
    const model = await api.rest.contents(path);
    if (model.type !== 'notebook') return couldNot(`${path} is a ${model.type}, not a notebook`);
    json = model.content;
  } catch (err) {
    return couldNot(`not a readable notebook: ${(err as Error).message}`);
  }
  let cells: ReturnType<typeof codeCellsOf>;
  try {
    cells = codeCellsOf(json, path);
  } catch (err) {
    return couldNot((err as Error).message);
  }
  const kernelName = kernelNameOf(json);
  const missing = kernelName === undefined ? undefined : await missingKernel(api, kernelName);
  if (missing !== undefined) return couldNot(missing, kernelName);
  try {
    state.kernelId = (await api.startKernel(kernelName)).id;
  } catch (err) {
    const which = kernelName ? `kernel "${kernelName}"` : 'the default kernel';
    return couldNot(`${which} could not be started: ${(err as Error).message}`, kernelName);
  }
  const conn = await api.connect(state.kernelId);
  state.conn = conn;
  const info = await conn.kernelInfo({ timeoutMs: o.cellTimeoutMs });
  const li = info.language_info;
  if (typeof li === 'object' && li !== null) state.languageInfo = { ...li };
  const results = await runCells(api, conn, state.kernelId, cells, {
    ...o,
    deadline: t0 + o.notebookTimeoutMs,
  });
  const failed = results.some((c) => c.outcome === 'error' || c.outcome === 'timeout');
  return {
    path,
    status: failed ? 'failed' : 'passed',
    ...(kernelName ? { kernelName } : {}),
    durationMs: o.now() - t0,
    cells: results,
  };
}

async function runCells(
  api: RealServerApi,
  conn: NonNullable<NotebookRunState['conn']>,
  kernelId: string,
  cells: readonly { index: number; source: string }[],
  o: NotebookRunOptions & { deadline: number },
): Promise<CellHealth[]> {
  const out: CellHealth[] = [];
  let stopWhy: string | undefined;
  for (const cell of cells) {
    const left = o.deadline - o.now();
    if (stopWhy === undefined && left <= 0) stopWhy = 'the notebook time limit was reached';
    if (stopWhy === undefined && o.signal?.aborted) stopWhy = 'the check was interrupted';
    if (stopWhy !== undefined) {
      out.push({ index: cell.index, outcome: 'not-run', note: stopWhy });
      continue;
    }
    const { cell: done, lost } = await runCell(
      api,
      conn,
      kernelId,
      cell,
      Math.min(o.cellTimeoutMs, left),
      o.now,
    );
    if (done.error && !lost) {
      const earlier = out.map((c, i) => ({ cell: c, source: cells[i]?.source ?? '' }));
      if (isConsequence(done.error, earlier)) done.consequence = true;
    }
    out.push(done);
    o.onCell?.(done);
    if (done.outcome !== 'ok' && !o.keepGoing) stopWhy = `cell ${cell.index} failed first`;
    if (lost) stopWhy = done.note;
  }
  return out;
}

async function runCell(
  api: RealServerApi,
  conn: NonNullable<NotebookRunState['conn']>,
  kernelId: string,
  cell: { index: number; source: string },
  timeoutMs: number,
  now: () => number,
): Promise<{ cell: CellHealth; lost: boolean }> {
  const start = now();
  try {
    const r = await conn.execute(cell.source, { timeoutMs });
    const durationMs = now() - start;
    if (r.status === 'ok') return { cell: { index: cell.index, outcome: 'ok', durationMs }, lost: false };
    const e = r.error ?? { ename: r.status, evalue: '', traceback: [] };
    return {
      cell: { index: cell.index, outcome: 'error', durationMs, error: cellError(e, cell.source) },
      lost: false,
    };
  } catch (err) {
    const durationMs = now() - start;
    if (err instanceof KernelError && err.reason === 'timeout') {
      const note = await interrupt(api, conn, kernelId, timeoutMs);
      return { cell: { index: cell.index, outcome: 'timeout', durationMs, note }, lost: false };
    }
    // The kernel died or its websocket closed: this cell and the rest cannot run in it.
    const message = (err as Error).message;
    const ename = err instanceof KernelError ? `kernel ${err.reason}` : 'Error';
    const note = `the kernel connection was lost: ${message}`;
    const failed: CellHealth = { index: cell.index, outcome: 'error', durationMs, note };
    return { cell: { ...failed, error: { ename, evalue: message, traceback: [] } }, lost: true };
  }
}

/**
 * Interrupt the kernel after a cell's timeout and wait (bounded) until it runs code again: after
 * the KeyboardInterrupt, ipykernel aborts requests already queued (stop_on_error), so a probe
 * `pass` is retried until it is answered ok. When it never is, the kernel is restarted.
 */
async function interrupt(
  api: RealServerApi,
  conn: NonNullable<NotebookRunState['conn']>,
  kernelId: string,
  timeoutMs: number,
): Promise<string> {
  const limit = `no reply within ${Math.round(timeoutMs)} ms`;
  try {
    await api.rest.interruptKernel(kernelId);
  } catch (err) {
    return `${limit}; interrupting the kernel failed (${(err as Error).message})`;
  }
  for (let attempt = 0; attempt < PROBES; attempt++) {
    await sleep(PROBE_GAP_MS);
    const probe = await conn.execute('pass', { timeoutMs: PROBE_TIMEOUT_MS }).catch(() => undefined);
    if (probe?.status === 'ok') return `${limit}: the kernel was interrupted`;
  }
  try {
    await api.rest.restartKernel(kernelId);
    return `${limit}: the kernel did not answer after an interrupt and was restarted (its state is lost)`;
  } catch (err) {
    return `${limit}: the kernel did not answer after an interrupt; restarting it failed (${(err as Error).message})`;
  }
}

const PROBES = 5;
const PROBE_GAP_MS = 300;
const PROBE_TIMEOUT_MS = 5_000;

/** A reason when the server has no kernel `name` (GET api/kernelspecs); undefined when it has. */
async function missingKernel(api: RealServerApi, name: string): Promise<string | undefined> {
  const names = await api.rest.kernelSpecNames().catch(() => undefined);
  if (names === undefined || names.includes(name)) return undefined; // unknown: starting it will say
  return `the notebook asks for kernel "${name}", which the target does not have (it has: ${names.join(', ') || 'none'})`;
}
