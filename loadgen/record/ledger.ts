import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { assertNoSecrets } from './writer.js';

/**
 * `ledger.jsonl` in a run record: every resource the run creates, written BEFORE it is created
 * (`intent`), when its name is known (`created`) and when it is confirmed gone (`gone`). One JSON
 * object per line. `rehearse cleanup` and the next `rehearse run` read it back (`readLedger`); a
 * resource whose last line is not `gone` is live.
 *
 * Durability, in two steps. Every line is handed to the kernel with one `writeSync` before the
 * method returns: a generator killed with SIGKILL loses nothing. Against the MACHINE going down
 * (power, a VM killed), a creator awaits `durable()` between its `intent` and the request that
 * creates: one fdatasync on libuv's thread pool covers every line written before it started
 * (group commit), so a thousand launches at once cost a handful of disk flushes and never block
 * the event loop. `created` and `gone` lines need no flush of their own: losing one to a power
 * cut leaves an `intent` (taken as live: cleanup looks and finds it or not) or a stale
 * `created` (cleanup deletes what is already gone: a 404). close() flushes what is left.
 *
 * The first line (`open`) names the process that writes the ledger, so that a reader on the same
 * host can tell a live run (whose resources are still in use) from a dead one.
 *
 * Holds no secret: hub URLs, user and server names, kernel ids, the NAME of a token variable.
 */

export const LEDGER_FILE = 'ledger.jsonl';

export type LedgerResource =
  /** A hub user; deleting it also removes its servers and tokens. */
  | { kind: 'hub-user'; hubUrl: string; name: string }
  /** A server of a hub user ('' = the default server). */
  | { kind: 'server'; hubUrl: string; user: string; serverName: string }
  /** A kernel on a user's server; gone with its server. */
  | { kind: 'kernel'; user?: string; serverUrl: string; id?: string }
  /** An API token issued for a hub user; gone with its user. */
  | { kind: 'hub-token'; hubUrl: string; user: string; id?: string }
  /**
   * A launch through BinderHub's /build stream: BinderHub picks the hub user's name, which we learn
   * only when the server is ready (then a `hub-user` entry follows). Until then the ledger knows
   * the repo spec and the time of the click.
   */
  | { kind: 'binder-launch'; binderUrl: string; hubUrl?: string; spec: string; user: string; at: string }
  /** A Kubernetes object of a distributed run (the worker Job, its ConfigMap and token Secret). */
  | {
      kind: 'k8s';
      object: 'Job' | 'ConfigMap' | 'Secret';
      namespace: string;
      name: string;
      kubeconfig?: string;
    }
  /** The local target, when this run started it (`rehearse down local` removes it). */
  | { kind: 'local-stack'; stateDir: string; stackId: string; hubUrl: string; binderUrl: string };

export type LedgerLine =
  | { op: 'open'; t: string; pid: number; host: string }
  | { op: 'intent'; t: string; key: string; res: LedgerResource }
  | { op: 'created'; t: string; key: string; res?: LedgerResource; detail?: string }
  | { op: 'gone'; t: string; key: string; detail?: string };

/** A stable key per resource (what `created`/`gone` lines refer to). */
export function ledgerKey(r: LedgerResource): string {
  switch (r.kind) {
    case 'hub-user':
      return `hub-user:${r.hubUrl}:${r.name}`;
    case 'server':
      return `server:${r.hubUrl}:${r.user}/${r.serverName}`;
    case 'kernel':
      return `kernel:${r.serverUrl}:${r.id ?? '?'}`;
    case 'hub-token':
      return `hub-token:${r.hubUrl}:${r.user}:${r.id ?? '?'}`;
    case 'binder-launch':
      return `binder-launch:${r.binderUrl}:${r.user}`;
    case 'k8s':
      return `k8s:${r.namespace}/${r.object}/${r.name}`;
    case 'local-stack':
      return `local-stack:${r.stackId}`;
  }
}

/** fs.fdatasync's shape. */
export type FlushFd = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/** The append side; every method writes its line before returning (see above for flushes). */
export class LedgerWriter {
  private fd: number | null;
  /** Lines written / lines known to be on disk (fdatasync'ed). */
  private written = 0;
  private synced = 0;
  /** The fdatasync under way, and how many lines it covers. */
  private flushing: Promise<void> | null = null;

  private constructor(
    readonly file: string,
    private readonly flush: FlushFd,
  ) {
    this.fd = openSync(file, 'a');
  }

  /**
   * Open (or reopen: `rehearse cleanup` appends its `gone` lines) the ledger of a record.
   * `fdatasync`: node:fs's by default; tests pass a slow or counting one (a slow disk cannot be
   * made on demand).
   */
  static open(
    recordDir: string,
    o: { pid?: number; host?: string; header?: boolean; fdatasync?: FlushFd } = {},
  ): LedgerWriter {
    const w = new LedgerWriter(join(recordDir, LEDGER_FILE), o.fdatasync ?? fdatasync);
    if (o.header !== false) {
      w.append({ op: 'open', t: now(), pid: o.pid ?? process.pid, host: o.host ?? hostName() });
    }
    return w;
  }

  /** Before creating `res`; returns its key. Await `durable()` before the request that creates it. */
  intent(res: LedgerResource): string {
    const key = ledgerKey(res);
    this.append({ op: 'intent', t: now(), key, res });
    return key;
  }

  /** `res` exists (with the name or id it got, when the intent did not know it yet). */
  created(key: string, res?: LedgerResource, detail?: string): void {
    this.append({ op: 'created', t: now(), key, ...(res ? { res } : {}), ...(detail ? { detail } : {}) });
  }

  gone(key: string, detail?: string): void {
    this.append({ op: 'gone', t: now(), key, ...(detail ? { detail } : {}) });
  }

  /**
   * Resolves once every line written so far is on disk. The flush starts at the end of the current
   * event-loop turn, so that every creator of the same moment shares it; callers arriving while a
   * flush is under way wait for it and, if they wrote after it began, share the next one.
   */
  async durable(): Promise<void> {
    const want = this.written;
    while (this.synced < want && this.fd !== null) {
      this.flushing ??= this.flushSoon();
      await this.flushing;
    }
  }

  private async flushSoon(): Promise<void> {
    try {
      await new Promise((r) => setImmediate(r));
      const fd = this.fd;
      if (fd === null) return; // close() flushed everything
      const upTo = this.written;
      await new Promise<void>((resolve, reject) => {
        this.flush(fd, (err) => (err && this.fd !== null ? reject(err) : resolve()));
      });
      this.synced = Math.max(this.synced, upTo);
    } finally {
      this.flushing = null;
    }
  }

  close(): void {
    if (this.fd === null) return;
    if (this.synced < this.written) fdatasyncSync(this.fd);
    this.synced = this.written;
    closeSync(this.fd);
    this.fd = null;
  }

  private append(line: LedgerLine): void {
    assertNoSecrets(line, 'ledger');
    const buf = Buffer.from(`${JSON.stringify(line)}\n`);
    // Ledger lines are written after the record may have been closed (a late cleanup line): a
    // closed ledger drops nothing silently, it reopens for that one line, flushed at once.
    const fd = this.fd ?? openSync(this.file, 'a');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (this.fd === null) {
      fdatasyncSync(fd);
      closeSync(fd);
      return;
    }
    this.written += 1;
  }
}

/** One resource as the ledger last saw it. */
export interface LedgerEntry {
  key: string;
  res: LedgerResource;
  state: 'intent' | 'created' | 'gone';
  /** ISO time of the intent. */
  since: string;
  detail?: string;
}

export interface LedgerState {
  /** The writers of this ledger (the run, then any `rehearse cleanup`). */
  opens: { pid: number; host: string; t: string }[];
  entries: LedgerEntry[];
  /** Entries not gone. */
  live: LedgerEntry[];
}

/**
 * Fold a ledger: per key, the last state. A torn last line (the writer killed mid-write) is
 * skipped, as are lines that are not JSON objects. Missing file → empty.
 */
export function readLedger(recordDir: string): LedgerState {
  const file = join(recordDir, LEDGER_FILE);
  if (!existsSync(file)) return { opens: [], entries: [], live: [] };
  return foldLedger(readFileSync(file, 'utf8'));
}

export function foldLedger(text: string): LedgerState {
  const opens: LedgerState['opens'] = [];
  const byKey = new Map<string, LedgerEntry>();
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: LedgerLine;
    try {
      line = JSON.parse(raw) as LedgerLine;
    } catch {
      continue; // torn by a crash mid-write
    }
    if (line === null || typeof line !== 'object') continue;
    if (line.op === 'open') {
      opens.push({ pid: line.pid, host: line.host, t: line.t });
      continue;
    }
    const prev = byKey.get(line.key);
    if (line.op === 'intent') {
      byKey.set(line.key, { key: line.key, res: line.res, state: 'intent', since: prev?.since ?? line.t });
    } else if (prev && line.op === 'created') {
      byKey.set(line.key, { ...prev, res: line.res ?? prev.res, state: 'created', detail: line.detail });
    } else if (prev && line.op === 'gone') {
      byKey.set(line.key, { ...prev, state: 'gone', detail: line.detail });
    }
  }
  const entries = [...byKey.values()];
  return { opens, entries, live: entries.filter((e) => e.state !== 'gone') };
}

/**
 * True when the process that wrote the ledger's first `open` line is still running on this host
 * (its resources are in use: a live run, not a dead one). A run of another host is taken as not
 * alive (we cannot tell). A reused pid is told apart by its command line (a node process).
 */
export function writerAlive(
  state: LedgerState,
  o: { host?: string; isAlive?: (pid: number) => boolean } = {},
): boolean {
  const first = state.opens[0];
  if (!first) return false;
  if (first.host !== (o.host ?? hostName())) return false;
  return (o.isAlive ?? pidAlive)(first.pid);
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return true; // no /proc (macOS): the pid answers, take it as the run
  }
}

function hostName(): string {
  return osHostname();
}

const now = () => new Date().toISOString();
