import { HubClient } from '../clients/hub.js';
import { type LedgerEntry, LedgerWriter } from '../record/ledger.js';
import type { RecordedTarget } from '../record/types.js';
import { describeEntry, type RecordLeftovers } from './find.js';
import {
  claimedNames,
  deleteCommand,
  removeCreatedAfter,
  removeUser,
  type UserGroup,
} from './hub-removal.js';
import type { K8sDelete } from './k8s.js';

/**
 * `rehearse cleanup`: finish the job of runs that did not end normally. For each record's live
 * ledger entries (find.ts):
 *   - hub users and their servers, tokens and kernels: stop the server, delete the user through
 *     the hub API (token: the local target's, or the scenario's `tokenEnv`), then check the user is
 *     gone (404) before writing `gone`;
 *   - BinderHub launches never seen ready (the hub user's name unknown): on the local target, the
 *     users the hub created after the click are removed (that hub serves only rehearse); on a real
 *     BinderHub they are listed with the admin page to check, never guessed at;
 *   - the local target the run started: `rehearse down local` (which also ends its servers' and
 *     kernels' processes, found by their stack marker);
 *   - Kubernetes objects: the kubectl command (the Job's ConfigMap and Secret are owned by it).
 * Every removal is bounded (each hub call 15 s, a server's stop 30 s, 4 at a time) and idempotent:
 * what is confirmed gone is written to the ledger, so a second cleanup has nothing to do. With
 * `dryRun` nothing is touched and every entry is reported as what would be done.
 */

export interface LocalAccess {
  /** The local target's state for `hubUrl` (null when no state names that hub any more). */
  find(hubUrl: string): { stateDir: string; stackId: string; running: boolean; token?: string } | null;
  down(stateDir: string): Promise<{ leftovers: number[] }>;
}

export interface CleanupAccess {
  env: NodeJS.ProcessEnv;
  local?: LocalAccess;
  /** Deletes a Kubernetes object (default: the real API with the run's kubeconfig; k8s.ts). */
  k8sDelete?: K8sDelete;
}

export interface CleanupLineOut {
  record: string;
  what: string;
  ok: boolean;
  detail: string;
  /** How a person removes it, when we could not. */
  command?: string;
}

export interface CleanupResult {
  lines: CleanupLineOut[];
  /** Entries still live after the cleanup (0 = nothing left). */
  left: number;
}

const CONCURRENCY = 4;

export async function cleanupRecords(
  records: readonly RecordLeftovers[],
  o: CleanupAccess & { dryRun?: boolean; say?: (line: CleanupLineOut) => void },
): Promise<CleanupResult> {
  const lines: CleanupLineOut[] = [];
  let left = 0;
  for (const rec of records) {
    const out = await cleanupRecord(rec, o);
    for (const l of out.lines) o.say?.(l);
    lines.push(...out.lines);
    left += out.left;
  }
  return { lines, left };
}

type Group = UserGroup;

async function cleanupRecord(
  rec: RecordLeftovers,
  o: CleanupAccess & { dryRun?: boolean },
): Promise<{ lines: CleanupLineOut[]; left: number }> {
  const lines: CleanupLineOut[] = [];
  const ledger = o.dryRun ? undefined : LedgerWriter.open(rec.dir);
  const gone = new Set<string>();
  const done = (entries: readonly LedgerEntry[], detail: string) => {
    for (const e of entries) {
      if (gone.has(e.key)) continue;
      gone.add(e.key);
      ledger?.gone(e.key, `rehearse cleanup: ${detail}`);
    }
  };
  const line = (what: string, ok: boolean, detail: string, command?: string) =>
    lines.push({ record: rec.id, what, ok, detail, ...(command ? { command } : {}) });
  try {
    const { groups, pending, stacks, k8s, orphans } = groupEntries(rec.live);
    const access = hubAccess(rec.target, o);
    // Hub users (with their servers, tokens, kernels), 4 at a time.
    const queue = [...groups.values()];
    await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
        for (let g = queue.shift(); g; g = queue.shift()) {
          const what = `hub user ${g.user} (${g.entries.length} entries: ${kinds(g.entries)})`;
          if (o.dryRun) {
            line(what, false, 'would stop its server and delete it (dry run)');
            continue;
          }
          if ('missing' in access) {
            line(what, false, access.missing, deleteCommand(rec.target, g));
            continue;
          }
          const r = await removeUser(
            new HubClient({ hubUrl: g.hubUrl, token: access.token, requestTimeoutMs: 15_000 }),
            g,
          );
          line(what, r.ok, r.detail, r.ok ? undefined : deleteCommand(rec.target, g));
          if (r.ok) done(g.entries, r.detail);
        }
      }),
    );
    for (const p of pending) {
      const r = p.res.kind === 'binder-launch' ? p.res : undefined;
      if (!r) continue;
      const what = describeEntry(p);
      if (rec.target.kind !== 'local') {
        line(
          what,
          false,
          'BinderHub picked its hub user; we never learnt the name',
          `check ${rec.target.hubUrl ?? 'the hub'}hub/admin for users created around ${r.at}; the hub's idle culler removes them`,
        );
        continue;
      }
      if ('missing' in access) {
        line(what, false, access.missing, 'rehearse down local');
        continue;
      }
      const hub = new HubClient({
        hubUrl: rec.target.hubUrl ?? '',
        token: access.token,
        requestTimeoutMs: 15_000,
      });
      const res = await removeCreatedAfter(hub, r.at, o.dryRun === true, claimedNames(rec.live));
      line(what, res.ok && !o.dryRun, res.detail, res.ok ? undefined : 'rehearse down local');
      if (res.ok && !o.dryRun) done([p], res.detail);
    }
    for (const s of stacks) {
      if (s.res.kind !== 'local-stack') continue;
      const what = describeEntry(s);
      const found = o.local?.find(s.res.hubUrl);
      if (!found || found.stackId !== s.res.stackId) {
        line(what, true, 'already down');
        if (!o.dryRun) done(rec.live, 'the local target is down');
        continue;
      }
      if (o.dryRun) {
        line(what, false, 'would take it down (rehearse down local; dry run)');
        continue;
      }
      const r = await (o.local as LocalAccess).down(found.stateDir);
      const ok = r.leftovers.length === 0;
      line(
        what,
        ok,
        ok ? 'down' : `processes survived: ${r.leftovers.join(' ')}`,
        ok ? undefined : `kill -9 ${r.leftovers.join(' ')}`,
      );
      // Its hub, servers and kernels went with it.
      if (ok)
        done(
          rec.live.filter((e) => e.res.kind !== 'k8s'),
          'the local target was taken down',
        );
    }
    // A local target that is no longer there took its users, servers and kernels with it.
    if (rec.target.kind === 'local' && rec.target.hubUrl && !o.local?.find(rec.target.hubUrl) && !o.dryRun) {
      const rest = rec.live.filter((e) => !gone.has(e.key) && e.res.kind !== 'k8s');
      if (rest.length > 0) {
        line(
          `${rest.length} entries on ${rec.target.hubUrl}`,
          true,
          'the local target is down: they went with it',
        );
        done(rest, 'the local target is down');
      }
    }
    for (const k of k8s) {
      if (k.res.kind !== 'k8s') continue;
      const r = k.res;
      const command = `kubectl -n ${r.namespace} delete ${r.object.toLowerCase()} ${r.name}${r.kubeconfig ? ` --kubeconfig ${r.kubeconfig}` : ''}`;
      if (o.dryRun) {
        line(describeEntry(k), false, 'would delete it (dry run)', command);
        continue;
      }
      try {
        const del = o.k8sDelete ?? (await import('./k8s.js')).k8sDeleter();
        const res = await del(r);
        line(describeEntry(k), true, res === 'absent' ? 'already gone' : 'deleted');
        done([k], res);
      } catch (err) {
        line(describeEntry(k), false, (err as Error).message, command);
      }
    }
    for (const e of orphans)
      if (!gone.has(e.key))
        line(
          describeEntry(e),
          false,
          'gone with its server, which we could not identify',
          `check ${rec.target.hubUrl ?? 'the hub'}hub/admin`,
        );
    const left = rec.live.filter((e) => !gone.has(e.key)).length;
    return { lines, left };
  } finally {
    ledger?.close();
  }
}

function groupEntries(live: readonly LedgerEntry[]) {
  const groups = new Map<string, Group>();
  const pending: LedgerEntry[] = [];
  const stacks: LedgerEntry[] = [];
  const k8s: LedgerEntry[] = [];
  const orphans: LedgerEntry[] = [];
  const group = (hubUrl: string, user: string): Group => {
    const k = `${hubUrl}|${user}`;
    const g = groups.get(k) ?? { user, hubUrl, entries: [], deleteUser: false };
    groups.set(k, g);
    return g;
  };
  const userHub = new Map<string, string>();
  for (const e of live) {
    const r = e.res;
    if (r.kind === 'hub-user') userHub.set(r.name, r.hubUrl);
    if (r.kind === 'server' || r.kind === 'hub-token') userHub.set(r.user, r.hubUrl);
  }
  for (const e of live) {
    const r = e.res;
    if (r.kind === 'hub-user') {
      const g = group(r.hubUrl, r.name);
      g.entries.push(e);
      g.deleteUser = true;
    } else if (r.kind === 'server' || r.kind === 'hub-token') group(r.hubUrl, r.user).entries.push(e);
    else if (r.kind === 'kernel') {
      const hub = r.user ? userHub.get(r.user) : undefined;
      if (r.user && hub) group(hub, r.user).entries.push(e);
      else orphans.push(e);
    } else if (r.kind === 'binder-launch') {
      const hub = e.detail ? userHub.get(e.detail) : undefined;
      if (e.state === 'intent') pending.push(e);
      else if (e.detail && hub) group(hub, e.detail).entries.push(e);
      else orphans.push(e);
    } else if (r.kind === 'local-stack') stacks.push(e);
    else k8s.push(e);
  }
  return { groups, pending, stacks, k8s, orphans };
}

function hubAccess(t: RecordedTarget, o: CleanupAccess): { token: string } | { missing: string } {
  if (t.kind === 'local') {
    const s = t.hubUrl ? o.local?.find(t.hubUrl) : null;
    if (!s) return { missing: 'the local target that ran it is down (its servers went with it)' };
    if (!s.running || !s.token)
      return { missing: `the local target's hub does not answer (state ${s.stateDir})` };
    return { token: s.token };
  }
  const token = t.tokenEnv ? o.env[t.tokenEnv] : undefined;
  if (!token) {
    return {
      missing: t.tokenEnv
        ? `${t.tokenEnv} is empty: export it (a hub token with admin:users and servers) and run rehearse cleanup again`
        : 'the run had no hub token (tokenEnv): only the hub admin or its idle culler can remove it',
    };
  }
  return { token };
}

function kinds(entries: readonly LedgerEntry[]): string {
  return [...new Set(entries.map((e) => e.res.kind))].join(', ');
}
