import type { ContentsModel } from '../clients/kernel-rest.js';
import type { CellHealth, NotebookHealth, RepoCheck } from '../record/health.js';
import type { RunEvent } from '../record/types.js';
import { attemptCleanup } from '../runner/cleanup.js';
import { type CleanupLine, LaunchFailure, type LaunchResult, type TargetAdapter } from '../runner/targets.js';
import { type RealServerApi, realServerApi } from '../runner/user.js';
import { type NotebookRunState, runNotebook } from './notebook-run.js';

/**
 * One repo on one environment: one attendee per notebook launches the repo (through the target,
 * as `run` does), runs that notebook (notebook-run.ts) and leaves (kernel deleted, server
 * stopped). The first attendee also lists the notebooks the launched image carries: every
 * `*.ipynb` under the home folder (hidden folders and checkpoints skipped), or those matching the
 * scenario's `session.notebooks` globs. It also asks the kernel what its environment is.
 */

export interface RepoCheckOptions {
  environment: string;
  repo: string;
  target: TargetAdapter;
  /** Globs of notebook paths inside the repo; default every *.ipynb. */
  notebooks?: readonly string[];
  keepGoing: boolean;
  cellTimeoutMs: number;
  notebookTimeoutMs: number;
  protocol: 'v1' | 'legacy';
  stepTimeoutMs: number;
  now(): number;
  signal: AbortSignal;
  event(ev: RunEvent): void;
  /** One line of progress (stderr). */
  say(line: string): void;
  /** Numbers attendees across repos: `check-<n>`. */
  nextUser(): string;
  openServer?: (server: LaunchResult, o: { protocol: 'v1' | 'legacy'; timeoutMs: number }) => RealServerApi;
}

/** Printed as one JSON line by the kernel: the packages a workshop notebook depends on. */
export const VERSIONS_SNIPPET = `import json as _j, importlib as _i, importlib.metadata as _m, platform as _p
_v = {"python": _p.python_version()}
for _n in ("ipykernel", "jupyter_server", "jupyterhub", "numpy", "pandas", "xarray", "dask"):
    try:
        _v[_n] = str(getattr(_i.import_module(_n), "__version__", "")) or _m.version(_n)
    except Exception:
        pass
print(_j.dumps(_v))`;

export async function checkRepo(o: RepoCheckOptions): Promise<RepoCheck> {
  const base = { environment: o.environment, target: describe(o.target), repo: o.repo };
  const check: RepoCheck = { ...base, info: {}, notebooks: [] };
  let paths: string[] | undefined;
  let i = 0;
  do {
    const path = paths?.[i];
    const res = await attendee(o, async (api, state, user) => {
      if (paths === undefined) {
        paths = await listNotebooks(api, o.notebooks, o.stepTimeoutMs);
        if (paths.length === 0) return undefined;
      }
      const onCell = (cell: CellHealth) => cellStep(o, user, cell);
      const nb = await runNotebook(api, path ?? (paths[0] as string), { ...o, onCell }, state);
      if (check.info.versions === undefined && state.conn) {
        check.info = await environmentInfo(state, o.cellTimeoutMs);
      }
      return nb;
    });
    if (res.kind === 'launch-failed' && paths === undefined) {
      return { ...check, reason: `the launch failed: ${res.message}` };
    }
    if (paths === undefined || paths.length === 0) {
      return { ...check, reason: res.kind === 'error' ? res.message : 'no notebook (*.ipynb) in the repo' };
    }
    const nbPath = path ?? (paths[0] as string);
    check.notebooks.push(res.kind === 'done' && res.value ? res.value : couldNotRun(nbPath, res));
    o.say(`${o.environment} ${o.repo} ${nbPath}: ${check.notebooks.at(-1)?.status}`);
    i += 1;
  } while (i < paths.length && !o.signal.aborted);
  return check;
}

function couldNotRun(path: string, res: AttendeeOutcome<unknown>): NotebookHealth {
  const reason =
    res.kind === 'done'
      ? 'nothing ran'
      : res.kind === 'launch-failed'
        ? `the launch failed: ${res.message}`
        : res.message;
  return { path, status: 'could-not-run', reason, durationMs: 0, cells: [] };
}

type AttendeeOutcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'launch-failed'; message: string }
  | { kind: 'error'; message: string };

/** Launch, do `work`, leave (always; every removal bounded), with step events for the record. */
async function attendee<T>(
  o: RepoCheckOptions,
  work: (api: RealServerApi, state: NotebookRunState, user: string) => Promise<T>,
): Promise<AttendeeOutcome<T>> {
  const user = o.nextUser();
  const t0 = o.now();
  let server: LaunchResult;
  try {
    server = await o.target.launch(user, t0, { signal: o.signal, now: o.now });
  } catch (err) {
    const message = err instanceof LaunchFailure ? `${err.reason}: ${err.message}` : (err as Error).message;
    launchStep(o, user, t0, { duration: o.now() - t0, ok: false, detail: message });
    if (err instanceof LaunchFailure)
      for (const l of err.leftovers)
        o.event({ type: 'cleanup', t: o.now(), ...l, what: `${user}: ${l.what}` });
    userEnd(o, user, { outcome: 'failed', firstAttempt: 'ok', message });
    return { kind: 'launch-failed', message };
  }
  launchStep(o, user, t0, { duration: server.readyAt - t0, ok: true, detail: server.hubUser });
  const api = (o.openServer ?? realServerApi)(server, { protocol: o.protocol, timeoutMs: o.stepTimeoutMs });
  const state: NotebookRunState = {};
  let outcome: AttendeeOutcome<T>;
  try {
    outcome = { kind: 'done', value: await work(api, state, user) };
  } catch (err) {
    outcome = { kind: 'error', message: (err as Error).message };
  }
  await leave(o, user, api, server, state);
  userEnd(o, user, {
    outcome: outcome.kind === 'done' ? 'completed' : 'failed',
    firstAttempt: server.firstAttempt,
    hubUser: server.hubUser,
    ...(outcome.kind === 'error' ? { message: outcome.message } : {}),
  });
  return outcome;
}

type UserEnd = Extract<RunEvent, { type: 'user-end' }>;

/** A cell as a `cell.exec` step event, as `run` records them (its error in `detail`). */
function cellStep(o: RepoCheckOptions, user: string, cell: CellHealth): void {
  const duration = cell.durationMs ?? 0;
  const t = o.now();
  const detail = cell.error ? `${cell.error.ename}: ${cell.error.evalue}` : cell.note;
  const ev: RunEvent = {
    type: 'step',
    t,
    user,
    step: 'cell.exec',
    scheduled: t - duration,
    duration,
    ok: cell.outcome === 'ok',
    cell: cell.index,
  };
  o.event(detail === undefined ? ev : { ...ev, detail });
}
type Step = Extract<RunEvent, { type: 'step' }>;

function launchStep(
  o: RepoCheckOptions,
  user: string,
  t0: number,
  e: Pick<Step, 'duration' | 'ok' | 'detail'>,
): void {
  o.event({ type: 'step', t: o.now(), user, step: 'launch', scheduled: t0, ...e });
}

function userEnd(
  o: RepoCheckOptions,
  user: string,
  e: Pick<UserEnd, 'outcome' | 'firstAttempt' | 'hubUser' | 'message'>,
): void {
  o.event({ type: 'user-end', t: o.now(), user, cellsRun: 0, ...e });
}

async function leave(
  o: RepoCheckOptions,
  user: string,
  api: RealServerApi,
  server: LaunchResult,
  state: NotebookRunState,
): Promise<void> {
  const lines: CleanupLine[] = [];
  const attempt = (what: string, fn: () => Promise<string>) => attemptCleanup(lines, what, fn);
  const { conn, kernelId } = state;
  if (conn) {
    await attempt('kernel websocket', async () => {
      await conn.close({ timeoutMs: 5000 });
      return 'closed';
    });
  }
  if (kernelId) await attempt(`kernel ${kernelId}`, () => api.deleteKernel(kernelId));
  lines.push(...(await o.target.stop(server, { timeoutMs: 60_000 })));
  for (const l of lines) o.event({ type: 'cleanup', t: o.now(), ...l, what: `${user}: ${l.what}` });
}

/** Every *.ipynb under the server's root (or matching `globs`), sorted; hidden folders skipped. */
async function listNotebooks(
  api: RealServerApi,
  globs: readonly string[] | undefined,
  timeoutMs: number,
): Promise<string[]> {
  const found: string[] = [];
  const deadline = Date.now() + timeoutMs;
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 8 || Date.now() > deadline) return;
    const model = await api.rest.contents(dir);
    const entries = Array.isArray(model.content) ? (model.content as ContentsModel[]) : [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      if (e.type === 'directory') await walk(e.path, depth + 1);
      else if (e.name.endsWith('.ipynb')) found.push(e.path);
    }
  };
  await walk('', 0);
  const wanted =
    globs === undefined || globs.length === 0
      ? found
      : found.filter((p) => globs.some((g) => globMatch(g, p)));
  return wanted.sort();
}

/** `*` within a path segment, `**` across segments, `?` one character; anchored. */
export function globMatch(glob: string, path: string): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(path.replace(/^\.\//, ''));
}

async function environmentInfo(state: NotebookRunState, timeoutMs: number): Promise<RepoCheck['info']> {
  const info: RepoCheck['info'] = state.languageInfo ? { languageInfo: state.languageInfo } : {};
  try {
    const r = await state.conn?.execute(VERSIONS_SNIPPET, { timeoutMs });
    const line = r?.stdout.trim().split('\n').at(-1) ?? '';
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed === 'object' && parsed !== null) {
      info.versions = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    info.versions = {}; // the kernel could not say (not Python, or it died): recorded as unknown
  }
  return info;
}

function describe(target: TargetAdapter): string {
  const t = target.describe();
  return t.binderUrl
    ? `${t.kind} ${new URL(t.binderUrl).origin}`
    : t.hubUrl
      ? `${t.kind} ${new URL(t.hubUrl).origin}`
      : t.kind;
}
