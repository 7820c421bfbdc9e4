import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import type { CheckEnvironment } from '../loadgen/check/check.js';
import type { HealthRecord } from '../loadgen/record/health.js';
import { defaultStackName, parseStackName, type StackName } from '../provision/local/stacks.js';
import { readState } from '../provision/local/state.js';
import type { RunReportFiles } from '../reports/run-report.js';
import type { Target } from '../scenarios/schema.js';
import { type LibraryIO, processIO } from './io.js';
import { packageVersion } from './rehearse.js';
import { openTarget } from './target.js';

/** Options of `check(input, options)`: what `rehearse check`'s flags say, typed. */
export interface NotebookCheckOptions {
  /** Folder for run records (default `runs`). */
  out?: string;
  id?: string;
  stateDir?: string;
  /** Local stacks to check on (default: the input's, the running one's, or the default stack). */
  stacks?: string[];
  /** `local` or BinderHub URLs (default: the input's target). */
  targets?: string[];
  /** For `targets` URLs: the NAME of the env var with a hub API token (stop servers, delete users). */
  hubTokenEnv?: string;
  /** Run the cells after a failing one. */
  keepGoing?: boolean;
  /** Bound on one cell (default 2 min) and on one notebook (default 15 min). */
  cellTimeoutMs?: number;
  notebookTimeoutMs?: number;
  protocol?: 'v1' | 'legacy';
  io?: LibraryIO;
  /** Fired: stop, clean up, keep the record. */
  signal?: AbortSignal;
}

export interface NotebookCheckResult {
  health: HealthRecord;
  /** The record's folder, and its report. */
  dir: string;
  report: RunReportFiles;
  /** 99 when a notebook failed or could not run, 2 when nothing could run for a reason of the input, 3 when no launch got through. */
  exitCode: number;
}

/**
 * `check(input, options)`: every code cell of every notebook of `input` (a scenario, a repo spec, a
 * folder or a repo-list.yaml), one attendee per notebook, on each environment (local stacks,
 * BinderHub URLs); one record (health.json inside) and its report.
 */
export async function check(input: string, options: NotebookCheckOptions = {}): Promise<NotebookCheckResult> {
  const io = options.io ?? processIO();
  const [{ resolveCheckInput }, { runCheck, checkExitCode }, { writeRunReport }] = await Promise.all([
    import('../loadgen/check/inputs.js'),
    import('../loadgen/check/check.js'),
    import('../reports/run-report.js'),
  ]);
  const what = await resolveCheckInput(input);
  const { defaultStateDir } = await import('../provision/local/state.js');
  const targets = environmentTargets(what.target, options, io.env, defaultStateDir);
  const environments: CheckEnvironment[] = [];
  for (const t of targets) {
    if (t.target.kind === 'local') await sameReposDir(io, t.stateDir, what.reposDir);
    environments.push({
      name: t.name,
      kind: t.target.kind,
      open: async () => {
        const target = await openTarget(
          io,
          { target: t.target, repo: what.repos[0]?.spec ?? '' },
          { stateDir: t.stateDir, ...(what.reposDir ? { reposDir: what.reposDir } : {}) },
        );
        return { targetFor: (spec) => target.forRepo(spec), close: () => target.close() };
      },
    });
  }
  const result = await runCheck({
    name: what.name,
    runsDir: resolve(options.out ?? 'runs'),
    runId: options.id,
    environments,
    repos: what.repos,
    keepGoing: options.keepGoing === true,
    cellTimeoutMs: options.cellTimeoutMs ?? 2 * 60_000,
    notebookTimeoutMs: options.notebookTimeoutMs ?? 15 * 60_000,
    protocol: options.protocol ?? 'v1',
    toolVersion: await packageVersion(),
    signal: options.signal ?? new AbortController().signal,
    say: (l) => io.stderr.write(`${l}\n`),
  });
  const report = await writeRunReport(result.dir);
  return { health: result.health, dir: result.dir, report, exitCode: checkExitCode(result.health) };
}

/** One environment per local stack (`--stack`) and per `--target` URL; default the input's target. */
interface EnvTarget {
  name: string;
  target: Target;
  /** Local stacks: one state folder each when there are several (`<state dir>-<stack>`). */
  stateDir?: string;
}

function environmentTargets(
  inputTarget: Target,
  flags: NotebookCheckOptions,
  env: NodeJS.ProcessEnv,
  defaultStateDir: (env: NodeJS.ProcessEnv) => string,
): EnvTarget[] {
  const given = flags.targets ?? [];
  const wantLocal = given.length === 0 ? inputTarget.kind === 'local' : given.includes('local');
  const local = inputTarget.kind === 'local' ? inputTarget : { kind: 'local' as const };
  const stacks: StackName[] =
    flags.stacks && flags.stacks.length > 0
      ? flags.stacks.map(parseStackName)
      : [
          local.stack ??
            readState(flags.stateDir ?? defaultStateDir(env))?.stack?.name ??
            defaultStackName(env),
        ];
  if (new Set(stacks).size !== stacks.length)
    throw new InputError('FLAG_INVALID', '--stack names a stack twice');
  const out: EnvTarget[] = [];
  const base = flags.stateDir ?? defaultStateDir(env);
  const stateDir = (s: string) => (stacks.length === 1 ? flags.stateDir : `${base}-${s}`);
  if (wantLocal)
    for (const s of stacks) out.push({ name: s, target: { ...local, stack: s }, stateDir: stateDir(s) });
  if (given.length === 0 && inputTarget.kind !== 'local')
    out.push({ name: hostOf(inputTarget), target: inputTarget });
  for (const url of given.filter((t) => t !== 'local')) {
    if (!/^https?:\/\//.test(url))
      throw new InputError('FLAG_INVALID', `--target ${url}: expected local or a BinderHub URL`);
    const tokenEnv = flags.hubTokenEnv;
    out.push({
      name: new URL(url).host,
      target: { kind: 'binderhub', url, ...(tokenEnv ? { tokenEnv } : {}) },
    });
  }
  return out;
}

function hostOf(t: Target): string {
  return t.kind === 'local' ? 'local' : new URL(t.url).host;
}

/** A folder is served from its own reposDir: a stack already running elsewhere cannot serve it. */
async function sameReposDir(
  io: LibraryIO,
  stateDir: string | undefined,
  reposDir: string | undefined,
): Promise<void> {
  if (reposDir === undefined) return;
  const { status } = await import('../provision/local/stack.js');
  const st = await status({ stateDir, env: io.env });
  if (!st.running) return;
  const settings = join(st.stateDir, 'hub-settings.json');
  const served = existsSync(settings)
    ? (JSON.parse(readFileSync(settings, 'utf8')) as { reposDir?: string }).reposDir
    : undefined;
  if (served !== undefined && resolve(served) !== resolve(reposDir)) {
    throw new InputError(
      'CHECK_INPUT',
      `the running local target serves repos from ${served}, not ${reposDir}`,
      {
        hint: 'Stop it (`rehearse down local`) so that check starts one serving this folder, or move the folder under that reposDir.',
      },
    );
  }
}
