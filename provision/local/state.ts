import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { RehearseError } from '../../core/errors.js';
import type { StackName, StackVersions } from './stacks.js';

/**
 * Where the local target keeps its state: `$REHEARSE_HOME/local`, else
 * `$XDG_STATE_HOME/rehearse/local`, else `~/.local/state/rehearse/local`. One local stack per folder.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REHEARSE_HOME) return join(env.REHEARSE_HOME, 'local');
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'rehearse', 'local');
}

export interface ProcessRecord {
  name: 'proxy' | 'hub' | 'front';
  pid: number;
  logFile: string;
}

/** What `up` records and `down`/`status`/clients read. Holds no secret: the token is in `tokenFile`. */
export interface LocalStackState {
  /** 2 added `stack`; a version-1 state (from an older rehearse) is still torn down correctly. */
  version: 1 | 2;
  stackId: string;
  startedAt: string;
  binderUrl: string;
  hubUrl: string;
  hubApiUrl: string;
  tokenFile: string;
  python: string;
  /** The stack that runs the hub, servers and kernels, and the versions it reported at `up`. */
  stack?: RecordedStack;
  processes: ProcessRecord[];
  settings: {
    buildSeconds: number;
    concurrentSpawnLimit: number;
    activeServerLimit: number;
    launchQuota: number;
    rateLimit: number;
  };
}

export interface RecordedStack {
  name: StackName;
  /** The Debian root it runs in (debian13). */
  root?: string;
  versions: StackVersions;
}

export const stateFile = (dir: string) => join(dir, 'state.json');

export function readState(dir: string): LocalStackState | null {
  const f = stateFile(dir);
  if (!existsSync(f)) return null;
  return JSON.parse(readFileSync(f, 'utf8')) as LocalStackState;
}

export function writeState(dir: string, state: LocalStackState): void {
  mkdirSync(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, stateFile(dir));
}

export function readToken(state: LocalStackState): string {
  return readFileSync(state.tokenFile, 'utf8').trim();
}

/**
 * Run `fn` holding `<dir>.lock` (created exclusively, holding our pid), so that two `up`/`down`
 * on one state folder never interleave. A lock whose pid is dead is stale and taken over.
 */
export async function withStateLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  mkdirSync(dirname(dir), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(lock, err);
      const holder = Number(readFileSync(lock, 'utf8'));
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) throw lockError(lock, err, holder);
      rmSync(lock, { force: true }); // stale: its process is gone
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockError(lock: string, cause: unknown, holder?: number): RehearseError {
  return new RehearseError(
    'LOCAL_STACK_BUSY',
    holder
      ? `another rehearse (pid ${holder}) is starting or stopping this local target`
      : `cannot lock ${lock}`,
    { hint: `Wait for it to finish; if no rehearse is running, remove ${lock}.`, cause },
  );
}
