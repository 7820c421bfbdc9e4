import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openTarget } from '../../api/target.js';
import { tryParseDuration } from '../../core/duration.js';
import { InputError } from '../../core/errors.js';
import type { CheckEnvironment } from '../../loadgen/check/check.js';
import { defaultStackName, parseStackName, type StackName } from '../../provision/local/stacks.js';
import { readState } from '../../provision/local/state.js';
import type { Target } from '../../scenarios/schema.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse check <scenario | repo spec | folder | repo-list.yaml>`: every code cell of every
 * notebook, one attendee per notebook, on each environment (`--stack` local stacks, `--target`
 * BinderHub URLs); one record (health.json inside) and its report. Exit 99 when a notebook
 * failed or could not run, 2 when nothing could run for a reason of the input, 3 when no launch
 * got through.
 */

export interface CheckFlags {
  json?: boolean;
  out: string;
  id?: string;
  stateDir?: string;
  stack?: string[];
  target?: string[];
  /** For --target URLs: the NAME of the env var with a hub API token (stop servers, delete users). */
  hubTokenEnv?: string;
  keepGoing?: boolean;
  cellTimeout: string;
  notebookTimeout: string;
  protocol: string;
}

export async function check(io: CliIO, input: string, flags: CheckFlags): Promise<number> {
  const [{ resolveCheckInput }, { runCheck, checkExitCode }, { healthText }, { writeRunReport }] =
    await Promise.all([
      import('../../loadgen/check/inputs.js'),
      import('../../loadgen/check/check.js'),
      import('../../reports/health.js'),
      import('../../reports/run-report.js'),
    ]);
  const o = checkFlags(flags);
  const what = await resolveCheckInput(input);
  const { defaultStateDir } = await import('../../provision/local/state.js');
  const targets = environmentTargets(what.target, flags, io.env, defaultStateDir);
  const ctl = new AbortController();
  const onSignal = () => ctl.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  try {
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
      runsDir: resolve(flags.out),
      runId: flags.id,
      environments,
      repos: what.repos,
      ...o,
      toolVersion: await toolVersion(),
      signal: ctl.signal,
      say: (l) => io.stderr.write(`${l}\n`),
    });
    const files = await writeRunReport(result.dir);
    io.stdout.write(flags.json ? `${JSON.stringify(result.health, null, 2)}\n` : healthText(result.health));
    io.stderr.write(`run record: ${result.dir}\nreport: ${files.html}\n  also ${files.md}, ${files.junit}\n`);
    return checkExitCode(result.health);
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function checkFlags(flags: CheckFlags) {
  if (flags.protocol !== 'v1' && flags.protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${flags.protocol}"`);
  }
  return {
    keepGoing: flags.keepGoing === true,
    cellTimeoutMs: durationFlag('--cell-timeout', flags.cellTimeout),
    notebookTimeoutMs: durationFlag('--notebook-timeout', flags.notebookTimeout),
    protocol: flags.protocol as 'v1' | 'legacy',
  };
}

function durationFlag(name: string, text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new InputError('FLAG_INVALID', `${name} must be a duration like 30s or 2m, got "${text}"`);
  }
  return ms;
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
  flags: CheckFlags,
  env: NodeJS.ProcessEnv,
  defaultStateDir: (env: NodeJS.ProcessEnv) => string,
): EnvTarget[] {
  const given = flags.target ?? [];
  const wantLocal = given.length === 0 ? inputTarget.kind === 'local' : given.includes('local');
  const local = inputTarget.kind === 'local' ? inputTarget : { kind: 'local' as const };
  const stacks: StackName[] =
    flags.stack && flags.stack.length > 0
      ? flags.stack.map(parseStackName)
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
  io: CliIO,
  stateDir: string | undefined,
  reposDir: string | undefined,
): Promise<void> {
  if (reposDir === undefined) return;
  const { status } = await import('../../provision/local/stack.js');
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

async function toolVersion(): Promise<string> {
  const { packageRoot } = await import('../../provision/local/paths.js');
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version;
}
