import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
  version: 1;
  stackId: string;
  startedAt: string;
  binderUrl: string;
  hubUrl: string;
  hubApiUrl: string;
  tokenFile: string;
  python: string;
  processes: ProcessRecord[];
  settings: {
    buildSeconds: number;
    concurrentSpawnLimit: number;
    activeServerLimit: number;
    launchQuota: number;
    rateLimit: number;
  };
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
