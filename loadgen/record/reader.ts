import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../scenarios/errors.js';
import { summarizeIntervals } from '../metrics/summary.js';
import { type ClusterRecord, readObserverRecord } from './cluster.js';
import { type HealthRecord, readHealthRecord } from './health.js';
import { outagesFromEvents } from './outages.js';
import {
  type IntervalRecord,
  RECORD_VERSION,
  type RunEvent,
  type RunMeta,
  type RunStatus,
  type RunSummary,
} from './types.js';
import { RECORD_FILES } from './writer.js';

export interface RunRecord {
  dir: string;
  meta: RunMeta;
  events: RunEvent[];
  intervals: IntervalRecord[];
  summary: RunSummary;
  /** True when summary.json was absent (rebuilt here) or the summary itself says so. */
  partial: boolean;
  /** What was skipped or rebuilt while reading (torn lines, missing files); for stderr. */
  warnings: string[];
  /** cluster.json: what the cluster observer saw (a run with --kubeconfig); absent otherwise. */
  cluster?: ClusterRecord;
  /** health.json: per-cell notebook health (a `rehearse check` record); absent otherwise. */
  health?: HealthRecord;
}

/**
 * Read a run record, also one left by an interrupted or crashed run.
 *
 * - meta.json missing or unparsable → InputError RECORD_INVALID (exit 2): without it we know
 *   neither the scenario nor the start time.
 * - A line of events.jsonl / intervals.jsonl that does not parse is skipped with a warning (the
 *   writer appends whole lines, so this is the torn last line of a killed process).
 * - summary.json missing (or unparsable) → the summary is rebuilt: trends, rates and failures from
 *   the intervals (summarizeIntervals), users from the events, no thresholds (they are judged only
 *   at a normal end), verdict 'none', partial true. Status: a `run-end` event's status if present;
 *   else meta's status, except that 'running' — the writer died before finishing — is reported as
 *   'aborted', since the run certainly is not running any more and did not complete.
 */
export function readRecord(dir: string): RunRecord {
  const warnings: string[] = [];
  const meta = readMeta(dir);
  const events = readJsonLines(join(dir, RECORD_FILES.events), isEvent, warnings);
  const intervals = readJsonLines(join(dir, RECORD_FILES.intervals), isInterval, warnings);
  const stored = readSummary(join(dir, RECORD_FILES.summary), warnings);
  const cluster = readObserverRecord(dir);
  const health = readHealthRecord(dir);
  const extra = { ...(cluster ? { cluster } : {}), ...(health ? { health } : {}) };
  if (stored)
    return { dir, meta, events, intervals, summary: stored, partial: stored.partial, warnings, ...extra };
  const summary = rebuildSummary(meta, events, intervals);
  return { dir, meta, events, intervals, summary, partial: true, warnings, ...extra };
}

/**
 * The newest record in `runsDir` (by meta.startedAt; records whose meta cannot be read count by
 * the time meta.json was last written), or null when there is none.
 */
export function latestRun(runsDir: string): string | null {
  if (!existsSync(runsDir) || !statSync(runsDir).isDirectory()) return null;
  let best: { dir: string; at: number } | null = null;
  for (const entry of readdirSync(runsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(runsDir, entry.name);
    const metaFile = join(dir, RECORD_FILES.meta);
    if (!existsSync(metaFile)) continue;
    const at = startedAtMs(metaFile);
    if (best === null || at > best.at || (at === best.at && dir > best.dir)) best = { dir, at };
  }
  return best?.dir ?? null;
}

function startedAtMs(metaFile: string): number {
  try {
    const meta: unknown = JSON.parse(readFileSync(metaFile, 'utf8'));
    if (isObject(meta) && typeof meta.startedAt === 'string') {
      const t = Date.parse(meta.startedAt);
      if (!Number.isNaN(t)) return t;
    }
  } catch {
    // Unparsable meta: fall back to the file's time below (readRecord will report it if chosen).
  }
  return statSync(metaFile).mtimeMs;
}

function readMeta(dir: string): RunMeta {
  const file = join(dir, RECORD_FILES.meta);
  const hint =
    `A run record is a folder runs/<id>/ with ${RECORD_FILES.meta} in it. Check the path ` +
    '(`rehearse summary runs` picks the latest record); a record whose meta.json is lost cannot be read — run the rehearsal again.';
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError('RECORD_INVALID', `${dir} is not a directory`, { hint });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError('RECORD_INVALID', `cannot read ${file}: ${(err as Error).message}`, {
      hint,
      cause: err,
    });
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (err) {
    throw new InputError('RECORD_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint,
      cause: err,
    });
  }
  if (!isObject(meta) || typeof meta.id !== 'string' || typeof meta.startedAt !== 'string') {
    throw new InputError('RECORD_INVALID', `${file} is not a run record's meta (no id or startedAt)`, {
      hint,
    });
  }
  if (meta.version !== RECORD_VERSION) {
    throw new InputError(
      'RECORD_INVALID',
      `${file} has record version ${String(meta.version)}; this rehearse reads version ${RECORD_VERSION}`,
      { hint: 'Read it with the rehearse version named in its meta.json (tool.version).' },
    );
  }
  return meta as unknown as RunMeta;
}

function readSummary(file: string, warnings: string[]): RunSummary | null {
  if (!existsSync(file)) return null;
  try {
    const s: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (isObject(s) && isObject(s.users) && typeof s.verdict === 'string') return s as unknown as RunSummary;
    warnings.push(`${file} is not a run summary; rebuilt it from events and intervals`);
  } catch (err) {
    warnings.push(`${file} is unreadable (${(err as Error).message}); rebuilt it from events and intervals`);
  }
  return null;
}

/** Parse a JSON-lines file, skipping (and reporting) lines that do not parse or have the wrong shape. */
function readJsonLines<T>(file: string, ok: (v: unknown) => v is T, warnings: string[]): T[] {
  if (!existsSync(file)) {
    warnings.push(`${file} is missing; read as empty`);
    return [];
  }
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const torn = i === lines.length - 1; // the last piece has no newline after it
    try {
      const v: unknown = JSON.parse(line);
      if (ok(v)) {
        out.push(v);
        return;
      }
    } catch {
      // Reported just below with the line number.
    }
    warnings.push(`${file}:${i + 1}: skipped ${torn ? 'a torn last line' : 'an unreadable line'}`);
  });
  return out;
}

function rebuildSummary(meta: RunMeta, events: RunEvent[], intervals: IntervalRecord[]): RunSummary {
  const users = { planned: meta.plannedUsers, arrived: 0, late: 0, completed: 0, failed: 0 };
  const leftovers: RunSummary['leftovers'] = [];
  let end = 0;
  let endStatus: RunStatus | null = null;
  let stopReason = meta.stopReason;
  for (const ev of events) {
    end = Math.max(end, ev.t);
    if (ev.type === 'run-start') users.planned = ev.plannedUsers;
    else if (ev.type === 'arrival') {
      users.arrived++;
      if (ev.late) users.late++;
    } else if (ev.type === 'user-end') {
      if (ev.outcome === 'completed') users.completed++;
      else users.failed++;
    } else if (ev.type === 'cleanup' && !ev.ok && ev.command)
      leftovers.push({ what: ev.what, command: ev.command });
    else if (ev.type === 'stop') stopReason ??= ev.reason;
    else if (ev.type === 'run-end') endStatus = ev.status;
  }
  for (const iv of intervals) end = Math.max(end, iv.end);
  const outages = outagesFromEvents(events);
  const status: RunStatus = endStatus ?? (meta.status === 'running' ? 'aborted' : meta.status);
  if (meta.status === 'running' && endStatus === null) {
    stopReason ??= 'the run ended without writing summary.json (process killed or crashed)';
  }
  return {
    id: meta.id,
    scenario: meta.scenario.name,
    partial: true,
    status,
    ...(stopReason === undefined ? {} : { stopReason }),
    startedAt: meta.startedAt,
    ...(meta.endedAt === undefined ? {} : { endedAt: meta.endedAt }),
    durationMs: end,
    users,
    ...summarizeIntervals(intervals),
    thresholds: [],
    verdict: 'none',
    leftovers,
    ...(outages.length > 0 ? { outages } : {}),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEvent(v: unknown): v is RunEvent {
  return isObject(v) && typeof v.type === 'string' && typeof v.t === 'number';
}

function isInterval(v: unknown): v is IntervalRecord {
  return isObject(v) && typeof v.start === 'number' && typeof v.end === 'number' && isObject(v.trends);
}

/**
 * What a user may give where a record is expected: a record folder (`runs/<id>`), or a folder of
 * records (`runs`: the latest one). A path that is neither is returned as is (readRecord then says
 * what is wrong with it); a folder with no record in it is an InputError naming `role`.
 */
export function resolveRecordDir(dir: string, role = 'record'): string {
  const looksLikeRecord = ['meta.json', 'events.jsonl'].some((f) => existsSync(join(dir, f)));
  if (looksLikeRecord || !existsSync(dir)) return dir;
  const latest = latestRun(dir);
  if (latest === null) {
    throw new InputError('RECORD_INVALID', `the ${role} ${dir} holds no run record`, {
      hint: 'Give a record folder (runs/<id>) or a folder of records (the latest is used); `rehearse run` writes them.',
    });
  }
  return latest;
}
