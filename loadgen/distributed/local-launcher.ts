import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RehearseError } from '../../core/errors.js';
import type { CleanupLine } from '../runner/targets.js';
import type { WorkerConfig } from './config.js';
import type { Launcher, WorkerExit, WorkerHandle } from './launcher.js';
import { PARENT_PIPE_ENV } from './parent-watch.js';

/**
 * `--workers local:N`: the worker protocol over N child processes of this machine. Each child runs
 * `<command> --config <file> --index i` (command: `node bin/rehearse.js worker`); its stdout is
 * the protocol, its stderr is passed on line by line, prefixed `[worker i]`. Children get their own
 * process group, so a Ctrl-C in the terminal reaches the coordinator only, which forwards exactly
 * one SIGINT (a second Ctrl-C: SIGKILL, and the coordinator cleans up after them).
 * `env` adds variables for the children (the hub token's variable; never argv).
 *
 * Each child's stdin is a pipe from this process that is never written: when the coordinator dies
 * (even by SIGKILL) the OS closes it, and the worker (parent-watch.ts) stops as on SIGINT: no new
 * arrivals, users leave and stop their servers. Being in their own process group, the children
 * would otherwise outlive us and go on loading the hub.
 */
export class LocalLauncher implements Launcher {
  private readonly children: ChildProcess[] = [];
  private dir: string | undefined;

  constructor(
    private readonly o: {
      count: number;
      command: string[];
      env: NodeJS.ProcessEnv;
      log: (line: string) => void;
    },
  ) {}

  async start(config: WorkerConfig, _signal?: AbortSignal): Promise<WorkerHandle[]> {
    this.dir = mkdtempSync(join(tmpdir(), 'rehearse-workers-'));
    const file = join(this.dir, 'worker.json');
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    const [exe, ...pre] = this.o.command;
    if (!exe) {
      throw new RehearseError('WORKER_COMMAND', 'the local worker command is empty', {
        hint: 'This is a bug in the caller of LocalLauncher: it must name node and bin/rehearse.js worker.',
      });
    }
    return Array.from({ length: this.o.count }, (_, index) => {
      const child = spawn(exe, [...pre, '--config', file, '--index', String(index)], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...this.o.env, [PARENT_PIPE_ENV]: '1' },
        detached: true,
      });
      this.children.push(child);
      // The pipe breaks when the child exits: nothing is ever written to it, nothing to report.
      child.stdin?.on('error', (err) => this.o.log(`[worker ${index}] stdin: ${err.message}`));
      const exited = new Promise<WorkerExit>((resolve) => {
        child.on('error', (err) => resolve({ code: null, signal: null, detail: err.message }));
        child.on('close', (code, signal) => resolve({ code, signal }));
      });
      const errLines = createInterface({ input: child.stderr as NodeJS.ReadableStream, crlfDelay: Infinity });
      errLines.on('line', (l) => this.o.log(`[worker ${index}] ${l}`));
      return {
        index,
        where: `pid ${child.pid}`,
        lines: createInterface({ input: child.stdout as NodeJS.ReadableStream, crlfDelay: Infinity }),
        exited,
        kill: () => signal(child, 'SIGKILL'),
      };
    });
  }

  async stopAll(): Promise<void> {
    for (const c of this.children) signal(c, 'SIGINT');
  }

  async close(_signal?: AbortSignal): Promise<CleanupLine[]> {
    const lines: CleanupLine[] = [];
    for (const c of this.children) {
      if (c.exitCode === null && c.signalCode === null) {
        signal(c, 'SIGKILL');
        lines.push({ what: `worker pid ${c.pid}`, ok: true, detail: 'still running at the end: killed' });
      }
    }
    for (const c of this.children) c.stdin?.end();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
    return lines;
  }
}

function signal(c: ChildProcess, sig: NodeJS.Signals): void {
  if (c.exitCode !== null || c.signalCode !== null) return;
  try {
    c.kill(sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
