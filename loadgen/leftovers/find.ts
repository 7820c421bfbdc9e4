import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_FILE, type LedgerEntry, readLedger, writerAlive } from '../record/ledger.js';
import type { RecordedTarget, RunMeta } from '../record/types.js';

/**
 * Records whose ledger still lists live resources (loadgen/record/ledger.ts) and whose generator is
 * dead: a run that was killed, crashed, or could not remove everything. A record whose writer still
 * runs on this host is a run in progress: its resources are in use and never reported here.
 */

export interface RecordLeftovers {
  dir: string;
  id: string;
  target: RecordedTarget;
  /** meta.json's status ('running' for a generator that was killed). */
  status: RunMeta['status'];
  startedAt: string;
  /** The pid that wrote the run's ledger. */
  pid: number | undefined;
  live: LedgerEntry[];
}

/** `path` is one record (has meta.json) or a folder of records. */
export function findLeftovers(
  path: string,
  o: { isAlive?: (pid: number) => boolean } = {},
): RecordLeftovers[] {
  const dirs = existsSync(join(path, 'meta.json'))
    ? [path]
    : existsSync(path)
      ? readdirSync(path, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(path, e.name))
      : [];
  const out: RecordLeftovers[] = [];
  for (const dir of dirs.sort()) {
    if (!existsSync(join(dir, LEDGER_FILE))) continue;
    const ledger = readLedger(dir);
    if (ledger.live.length === 0) continue;
    if (writerAlive(ledger, o)) continue;
    let meta: RunMeta;
    try {
      meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RunMeta;
    } catch {
      continue; // not a record we can act on: without meta we do not know the target
    }
    out.push({
      dir,
      id: meta.id,
      target: meta.target,
      status: meta.status,
      startedAt: meta.startedAt,
      pid: ledger.opens[0]?.pid,
      live: ledger.live,
    });
  }
  return out;
}

/** One line per live resource, as people read it. */
export function describeEntry(e: LedgerEntry): string {
  const r = e.res;
  const state = e.state === 'intent' ? ' (being created when the run died)' : '';
  switch (r.kind) {
    case 'hub-user':
      return `hub user ${r.name} on ${r.hubUrl}${state}`;
    case 'server':
      return `server ${r.serverName === '' ? '(default)' : r.serverName} of ${r.user} on ${r.hubUrl}${state}`;
    case 'kernel':
      return `kernel ${r.id ?? '(id unknown)'} of ${r.user ?? r.serverUrl}${state}`;
    case 'hub-token':
      return `API token${r.id ? ` ${r.id}` : ''} of ${r.user} on ${r.hubUrl}${state}`;
    case 'binder-launch':
      return e.state === 'intent'
        ? `a launch of ${r.spec} on ${r.binderUrl} clicked at ${r.at}, never seen ready (its hub user's name is unknown)`
        : `launch of ${r.spec} for ${r.user} (hub user ${e.detail ?? '?'})`;
    case 'k8s':
      return `Kubernetes ${r.object} ${r.namespace}/${r.name}${state}`;
    case 'local-stack':
      return `the local target the run started (${r.hubUrl}, state ${r.stateDir})`;
  }
}

/** Does this record's target name the same hub as `t`? */
export function sameTarget(a: RecordedTarget, t: RecordedTarget): boolean {
  const norm = (u?: string) => (u ? (u.endsWith('/') ? u : `${u}/`) : undefined);
  if (a.hubUrl && t.hubUrl && norm(a.hubUrl) === norm(t.hubUrl)) return true;
  return Boolean(a.binderUrl && t.binderUrl && norm(a.binderUrl) === norm(t.binderUrl));
}
