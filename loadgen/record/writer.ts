import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RehearseError } from '../../core/errors.js';
import {
  type IntervalRecord,
  RECORD_VERSION,
  type RunEvent,
  type RunMeta,
  type RunStatus,
  type RunSummary,
} from './types.js';

/** What the caller provides; the writer fills in version, status and (by default) the id. */
export type NewRunMeta = Omit<RunMeta, 'id' | 'version' | 'status'> & { id?: string };

export const RECORD_FILES = {
  meta: 'meta.json',
  events: 'events.jsonl',
  intervals: 'intervals.jsonl',
  summary: 'summary.json',
} as const;

/**
 * Writes one run record `runs/<id>/` (layout in types.ts).
 *
 * Durability: events and intervals are appended to files opened once with O_APPEND; each write is
 * one syscall that hands whole lines to the kernel, placed at the end of file atomically, so what
 * was written survives our process dying (crash, SIGKILL): it is in the page cache; at most a line
 * being written is torn, and the reader skips it. Events come by the thousand per second (a step
 * per cell), so they are gathered for one event-loop turn and written together (one write per
 * turn, or per 64 KiB), then at finish/close and on process exit: a SIGKILL loses at most the
 * events of the current turn (well under a millisecond of them) — the resources a crash must not
 * lose are in the ledger (ledger.ts), written line by line. Intervals (one per 10 s) are written
 * at once. We do not fsync events or intervals: that protects only against the machine losing
 * power, and costs a disk flush per line. meta.json and summary.json are written once or twice
 * per run, so those get tmp + fsync + rename (never half a file).
 */
export class RecordWriter {
  readonly dir: string;
  readonly id: string;
  private meta: RunMeta;
  private eventsFd: number | null;
  private intervalsFd: number | null;
  /** Event lines not yet written (one event-loop turn's worth), and their length. */
  private pending: string[] = [];
  private pendingChars = 0;
  private flushScheduled = false;
  private readonly onExit = () => this.flushEvents();

  private constructor(dir: string, meta: RunMeta) {
    this.dir = dir;
    this.id = meta.id;
    this.meta = meta;
    this.eventsFd = openSync(join(dir, RECORD_FILES.events), 'a');
    this.intervalsFd = openSync(join(dir, RECORD_FILES.intervals), 'a');
    // An uncaught error ends the process through 'exit': the turn's events are written then.
    process.on('exit', this.onExit);
  }

  /**
   * Create `<runsDir>/<id>/` (exclusively: an existing record is never overwritten) and write
   * meta.json with status 'running'. The default id is `YYYYMMDD-HHMMSS-<scenario>-<4 hex>` (UTC,
   * from meta.startedAt); on the rare clash of a default id a new random suffix is drawn.
   */
  static create(runsDir: string, meta: NewRunMeta): RecordWriter {
    assertNoSecrets(meta, 'meta');
    mkdirSync(runsDir, { recursive: true });
    const { id: wanted, ...rest } = meta;
    for (let attempt = 0; ; attempt++) {
      const id = wanted ?? defaultRunId(meta.scenario.name, new Date(meta.startedAt));
      const dir = join(runsDir, id);
      try {
        mkdirSync(dir);
      } catch (err) {
        const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
        if (exists && wanted === undefined && attempt < 20) continue;
        if (exists) {
          throw new RehearseError('RECORD_EXISTS', `run record ${dir} already exists`, {
            hint: 'Choose another run id, or move the old record away; records are never overwritten.',
            cause: err,
          });
        }
        throw err;
      }
      const full: RunMeta = { version: RECORD_VERSION, id, ...rest, status: 'running' };
      writeJsonAtomic(join(dir, RECORD_FILES.meta), full);
      return new RecordWriter(dir, full);
    }
  }

  /**
   * Append one event to events.jsonl (written at the end of this event-loop turn). Events carry
   * text from the outside world (server error messages, tracebacks) that may quote a URL with
   * `?token=`: such text is redacted, never thrown on — a throwing sink would break the run it
   * records. Most events hold no such text: one test of the serialized line for the words
   * "token"/"authorization" (which JSON never escapes) rules the deep scan out for them.
   */
  event(ev: RunEvent): void {
    if (this.eventsFd === null) this.closedError();
    let line = JSON.stringify(ev);
    if (MAY_HOLD_SECRET.test(line) && findSecret(ev, 'event') !== null)
      line = JSON.stringify(redactSecrets(ev));
    this.pending.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars >= 64 * 1024) this.flushEvents();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flushEvents();
      });
    }
  }

  /** Write the gathered event lines now (one write). */
  flushEvents(): void {
    if (this.pending.length === 0 || this.eventsFd === null) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.pendingChars = 0;
    writeAll(this.eventsFd, Buffer.from(text));
  }

  /** Append one closed interval to intervals.jsonl. */
  interval(rec: IntervalRecord): void {
    this.appendLine(this.intervalsFd, rec);
  }

  /**
   * Write summary.json, then rewrite meta.json with endedAt/status/stopReason. The summary's status,
   * stopReason and endedAt are set from the same values, so meta and summary never disagree.
   * Events may still be appended afterwards until close().
   */
  finish(summary: RunSummary, status: RunStatus, stopReason?: string): void {
    this.flushEvents();
    const endedAt = summary.endedAt ?? new Date().toISOString();
    const reason = stopReason ?? summary.stopReason;
    const final: RunSummary = {
      ...summary,
      status,
      endedAt,
      ...(reason === undefined ? {} : { stopReason: reason }),
    };
    assertNoSecrets(final, 'summary');
    writeJsonAtomic(join(this.dir, RECORD_FILES.summary), final);
    this.meta = { ...this.meta, endedAt, status, ...(reason === undefined ? {} : { stopReason: reason }) };
    writeJsonAtomic(join(this.dir, RECORD_FILES.meta), this.meta);
  }

  /** Close the append descriptors. Safe to call more than once. */
  close(): void {
    this.flushEvents();
    process.off('exit', this.onExit);
    for (const fd of [this.eventsFd, this.intervalsFd]) if (fd !== null) closeSync(fd);
    this.eventsFd = null;
    this.intervalsFd = null;
  }

  private appendLine(fd: number | null, value: unknown): void {
    if (fd === null) this.closedError();
    writeAll(fd, Buffer.from(`${JSON.stringify(value)}\n`));
  }

  private closedError(): never {
    throw new RehearseError('RECORD_CLOSED', `run record ${this.dir} is closed; nothing more can be written`);
  }
}

/** A regular file takes the whole buffer in one write; the loop only guards the contract. */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** `YYYYMMDD-HHMMSS-<scenario>-<4 hex>`, UTC; the scenario name is reduced to [A-Za-z0-9._-]. */
export function defaultRunId(scenarioName: string, at: Date, random: () => string = randomHex4): string {
  const d = Number.isNaN(at.getTime()) ? new Date() : at;
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  const time = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  const name = scenarioName.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '') || 'run';
  return `${date}-${time}-${name.slice(0, 48)}-${random()}`;
}

function randomHex4(): string {
  return randomBytes(2).toString('hex');
}

/** Write to a temp file, fsync it, rename over the target: readers see the old or the new file. */
function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/**
 * "token"/"Authorization" followed by a separator (`=`, `:`, space, quotes) and, optionally, a
 * `Bearer `/`token ` scheme, then 20+ token characters. Names such as `REHEARSE_HUB_TOKEN` do not
 * match (no separator before the run of characters).
 */
const SECRET_PATTERN =
  /(?:token|authorization)(?:["']?\s*[:=]\s*["']?|\s+)(?:(?:bearer|token)\s+)?[A-Za-z0-9_-]{20,}/i;

/**
 * A cheap last line of defense (STYLE.md: secrets never reach a record): throw when any string in
 * `value` looks like a token. The error names where, never the value.
 */
export function assertNoSecrets(value: unknown, where: string): void {
  const path = findSecret(value, where);
  if (path !== null) {
    throw new RehearseError(
      'RECORD_SECRET',
      `refusing to write what looks like a token into the run record (${path})`,
      {
        hint: 'This is a bug in rehearse: tokens must stay in environment variables. Please report it (without the token).',
      },
    );
  }
}

const SECRET_PATTERN_ALL = new RegExp(SECRET_PATTERN.source, 'gi');

/** What every match of SECRET_PATTERN contains; JSON.stringify leaves these letters as they are. */
const MAY_HOLD_SECRET = /token|authorization/i;

/** A deep copy of `value` with every token-looking substring replaced by `[redacted]`. */
export function redactSecrets<T>(value: T): T {
  if (typeof value === 'string') return value.replace(SECRET_PATTERN_ALL, '[redacted]') as T;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)])) as T;
  }
  return value;
}

function findSecret(value: unknown, path: string): string | null {
  if (typeof value === 'string') return SECRET_PATTERN.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findSecret(value[i], `${path}[${i}]`);
      if (hit !== null) return hit;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const hit = findSecret(v, `${path}.${k}`);
      if (hit !== null) return hit;
    }
  }
  return null;
}
