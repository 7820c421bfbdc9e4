import { HubApiError, type HubClient, type HubUser } from '../clients/hub.js';
import type { LedgerEntry } from '../record/ledger.js';
import type { RecordedTarget } from '../record/types.js';

/**
 * Removing hub users for `rehearse cleanup` (cleanup.ts): stop the server, delete the user, and
 * check (404) that the hub no longer knows it. Each wait bounded (30 s).
 */

export interface UserGroup {
  user: string;
  hubUrl: string;
  entries: LedgerEntry[];
  deleteUser: boolean;
}

export async function removeUser(hub: HubClient, g: UserGroup): Promise<{ ok: boolean; detail: string }> {
  try {
    try {
      await hub.stopServer(g.user);
      await hub.waitForStopped(g.user, 30_000);
    } catch (err) {
      if (!(err instanceof HubApiError && err.reason === 'not-found')) throw err;
    }
    if (g.deleteUser) {
      const r = await hub.deleteUser(g.user, { timeoutMs: 30_000 });
      // Checked, not assumed: the user must now be unknown to the hub.
      const still = await hub.getUser(g.user).then(
        () => true,
        (err: unknown) => !(err instanceof HubApiError && err.reason === 'not-found'),
      );
      if (still) return { ok: false, detail: `deleted (${r}) but the hub still lists it` };
      return { ok: true, detail: r === 'absent' ? 'already gone' : 'server stopped, user deleted' };
    }
    return { ok: true, detail: 'server stopped' };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** Users the local hub created at or after a click whose user name we never learnt. */
export async function removeCreatedAfter(
  hub: HubClient,
  at: string,
  dryRun: boolean,
  claimed: ReadonlySet<string>,
): Promise<{ ok: boolean; detail: string }> {
  const since = Date.parse(at) - 5000;
  let users: HubUser[];
  try {
    users = await hub.listUsers();
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
  const after = users.filter(
    (u) => !claimed.has(u.name) && u.created !== undefined && Date.parse(u.created) >= since,
  );
  if (after.length === 0)
    return { ok: true, detail: 'no user was created after the click: nothing to remove' };
  if (dryRun) return { ok: false, detail: `would delete ${after.map((u) => u.name).join(', ')} (dry run)` };
  const failed: string[] = [];
  for (const u of after) {
    const r = await removeUser(hub, { user: u.name, hubUrl: '', entries: [], deleteUser: true });
    if (!r.ok) failed.push(`${u.name}: ${r.detail}`);
  }
  return failed.length === 0
    ? { ok: true, detail: `deleted ${after.map((u) => u.name).join(', ')} (created after the click)` }
    : { ok: false, detail: failed.join('; ') };
}

export function claimedNames(live: readonly LedgerEntry[]): Set<string> {
  return new Set(live.flatMap((e) => (e.res.kind === 'hub-user' ? [e.res.name] : [])));
}

export function deleteCommand(t: RecordedTarget, g: UserGroup): string {
  if (t.kind === 'local') return 'rehearse down local';
  return `curl -X DELETE -H "Authorization: token $${t.tokenEnv ?? 'HUB_TOKEN'}" ${g.hubUrl}hub/api/users/${encodeURIComponent(g.user)}`;
}
