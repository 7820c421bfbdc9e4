import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Process plumbing of the local target: free loopback ports, detached daemons with their own
 * process group and a log file, bounded readiness probes, and termination by process group plus a
 * sweep for anything carrying our stack marker in its environment (single-user servers run in
 * sessions of their own, kernels and Dask workers under them).
 */

/**
 * `n` distinct free TCP ports on 127.0.0.1: all are bound at once, then released, so no two are
 * the same (the race with other programs between release and use is acceptable for a local stack).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const srv = createServer();
          srv.unref();
          srv.on('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** One free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0] as number;
}

export interface DaemonSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  logFile: string;
}

/** Start a daemon in its own process group; it outlives this process. Returns its pid (= pgid). */
export function startDaemon(spec: DaemonSpec): number {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Poll `probe` every `intervalMs` until it returns true, or fail after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (opts.alive && !opts.alive()) throw new Error(`${what}: the process exited`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs} ms`);
    await sleep(opts.intervalMs ?? 200);
  }
}

/** GET a loopback URL; true when it answers with one of `okStatus` within 2 s. */
export async function httpOk(
  url: string,
  okStatus: (s: number) => boolean = (s) => s < 500,
): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
    await res.body?.cancel();
    return okStatus(res.status);
  } catch {
    // Not listening yet (ECONNREFUSED) or not answering: the caller polls again until its deadline.
    return false;
  }
}

/**
 * SIGTERM a process group, wait up to `graceMs`, then SIGKILL. Returns true when it is gone.
 * A group that no longer exists counts as gone.
 */
export async function killGroup(pgid: number, graceMs: number): Promise<boolean> {
  if (!signalGroup(pgid, 'SIGTERM')) return true;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return true;
    await sleep(100);
  }
  signalGroup(pgid, 'SIGKILL');
  await sleep(100);
  return !groupAlive(pgid);
}

function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PIDs of live processes whose environment holds `REHEARSE_STACK_ID=<stackId>` (Linux /proc).
 * Returns null where /proc is not available (macOS): callers then rely on recorded PIDs.
 */
export function processesWithMarker(stackId: string): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const marker = `REHEARSE_STACK_ID=${stackId}`;
  const found: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${e}/environ`, 'latin1');
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (environ.split('\0').includes(marker)) found.push(pid);
  }
  return found;
}

/** SIGTERM then SIGKILL every process carrying the marker; returns those still alive after `graceMs`. */
export async function sweepMarked(stackId: string, graceMs: number): Promise<number[]> {
  const pids = processesWithMarker(stackId) ?? [];
  for (const pid of pids) killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let left = pids.filter(isAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(isAlive);
  }
  for (const pid of left) killQuietly(pid, 'SIGKILL');
  await sleep(left.length > 0 ? 200 : 0);
  return (processesWithMarker(stackId) ?? []).filter(isAlive);
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
