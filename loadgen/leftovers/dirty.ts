import { RehearseError } from '../../scenarios/errors.js';
import { HubApiError, HubClient } from '../clients/hub.js';
import type { RecordedTarget } from '../record/types.js';
import { describeEntry, findLeftovers, type RecordLeftovers, sameTarget } from './find.js';

/**
 * Before a run: is the hub dirty with what dead runs left? Looks for records in `runsDir` whose
 * ledger still lists live resources on the same hub (find.ts), checks the hub users among them
 * through the hub API when a token is at hand (a user the culler already removed is not a
 * leftover), and, on the local target, whether the running stack was started by a run that died
 * (then lists its live servers). Read-only; bounded (each call 10 s, at most 50 users checked).
 */

export interface DirtyHub {
  records: { rec: RecordLeftovers; present: string[] }[];
  /** The running local target was started by a run that died: its live servers. */
  orphanStack?: { record: string; servers: string[] };
  /** Lines to print, one per leftover (empty: clean). */
  lines: string[];
}

export async function checkDirtyHub(o: {
  runsDir: string;
  target: RecordedTarget;
  token?: string;
  /** The running local target's stack id (the local target only). */
  localStackId?: string;
  isAlive?: (pid: number) => boolean;
}): Promise<DirtyHub> {
  const found = findLeftovers(o.runsDir, { isAlive: o.isAlive }).filter((r) =>
    sameTarget(r.target, o.target),
  );
  const hub =
    o.token && o.target.hubUrl
      ? new HubClient({ hubUrl: o.target.hubUrl, token: o.token, requestTimeoutMs: 10_000 })
      : undefined;
  const records: DirtyHub['records'] = [];
  const lines: string[] = [];
  let checks = 0;
  for (const rec of found) {
    const present: string[] = [];
    for (const e of rec.live) {
      if (e.res.kind === 'hub-user' && hub && checks < 50) {
        checks += 1;
        const there = await hub.getUser(e.res.name).then(
          (u) =>
            `hub user ${u.name}${Object.keys(u.servers ?? {}).length > 0 ? ' with a running server' : ''}`,
          (err: unknown) =>
            err instanceof HubApiError && err.reason === 'not-found' ? null : describeEntry(e),
        );
        if (there) present.push(there);
      } else if (e.res.kind !== 'hub-user' && e.res.kind !== 'local-stack') {
        // Servers, kernels, tokens and finished launches go with their hub user: listed only
        // when their user is not.
        const r = e.res;
        const owner = r.kind === 'binder-launch' ? e.detail : 'user' in r ? r.user : undefined;
        if (!rec.live.some((x) => x.res.kind === 'hub-user' && x.res.name === owner))
          present.push(describeEntry(e));
      }
    }
    if (present.length === 0) continue;
    records.push({ rec, present });
    lines.push(
      `run ${rec.id} (${rec.status === 'running' ? `generator pid ${rec.pid ?? '?'} died` : rec.status}) left on ${o.target.hubUrl ?? o.target.binderUrl}:`,
    );
    for (const p of present) lines.push(`  ${p}`);
  }
  let orphanStack: DirtyHub['orphanStack'];
  if (o.localStackId) {
    const owner = findLeftovers(o.runsDir, { isAlive: o.isAlive }).find((r) =>
      r.live.some((e) => e.res.kind === 'local-stack' && e.res.stackId === o.localStackId),
    );
    if (owner) {
      const servers = hub ? await liveServers(hub) : [];
      orphanStack = { record: owner.id, servers };
      lines.push(
        `the running local target (${o.target.hubUrl}) was started by run ${owner.id}, which died; its live servers: ${servers.length === 0 ? 'none' : servers.join(', ')}`,
      );
    }
  }
  return { records, ...(orphanStack ? { orphanStack } : {}), lines };
}

async function liveServers(hub: HubClient): Promise<string[]> {
  try {
    const users = await hub.listUsers();
    return users.flatMap((u) =>
      Object.keys(u.servers ?? {}).map((s) => (s === '' ? u.name : `${u.name}/${s}`)),
    );
  } catch (err) {
    return [`(could not list: ${(err as Error).message})`];
  }
}

/** The refusal `rehearse run` throws on a dirty hub (exit 1), naming the fix. */
export function dirtyHubError(d: DirtyHub, runsDir: string): RehearseError {
  const n = d.records.reduce((s, r) => s + r.present.length, 0);
  const what = [
    ...(n > 0 ? [`${n} leftovers of ${d.records.length} dead runs`] : []),
    ...(d.orphanStack ? [`a local target started by dead run ${d.orphanStack.record}`] : []),
  ].join(' and ');
  return new RehearseError('DIRTY_HUB', `refusing to measure on a dirty hub: ${what}`, {
    hint: `Remove them with \`rehearse cleanup ${runsDir}\` (see --dry-run), or run anyway with --allow-dirty.`,
  });
}
