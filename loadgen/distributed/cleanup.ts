import type { CleanupLine } from '../runner/targets.js';
import { orWhen } from './bounded.js';
import type { Launcher } from './launcher.js';

/**
 * The end of a distributed run: remove what the launcher created (Job, ConfigMap, Secret, temp
 * files) and what lost workers' users left (servers, hub users), both at once and both bounded by
 * `signal`: what is not done when it fires is listed as a leftover, with what to do about it.
 */
export async function cleanUp(o: {
  launcher: Launcher;
  stranded: { user: string; hubUser?: string }[];
  cleanupLost?: (users: { user: string; hubUser?: string }[], signal: AbortSignal) => Promise<CleanupLine[]>;
  signal: AbortSignal;
  say: (m: string) => void;
}): Promise<CleanupLine[]> {
  const outOfTime = (what: string, command: string) => (): CleanupLine[] => [
    { what, ok: false, detail: 'not done: out of time (aborted)', command },
  ];
  const launcher = orWhen(
    o.launcher.close(o.signal),
    o.signal,
    outOfTime(
      'the workers and their Kubernetes objects',
      'see the commands above, or kubectl delete job,configmap,secret -l app.kubernetes.io/name=rehearse',
    ),
  ).catch((err: unknown): CleanupLine[] => [
    { what: 'the workers', ok: false, detail: (err as Error).message },
  ]);
  const users =
    o.stranded.length === 0
      ? Promise.resolve([])
      : o.cleanupLost
        ? orWhen(
            o.cleanupLost(o.stranded, o.signal),
            o.signal,
            outOfTime(
              `servers of ${o.stranded.length} users of lost workers`,
              "the hub's idle culler removes them; or stop them from the hub admin page",
            ),
          ).catch((err: unknown): CleanupLine[] => [
            { what: 'users of lost workers', ok: false, detail: (err as Error).message },
          ])
        : Promise.resolve(o.stranded.map(leftover));
  const [a, b] = await Promise.all([users, launcher]);
  for (const l of [...a, ...b]) if (!l.ok) o.say(`cleanup: ${l.what}: ${l.detail}`);
  return [...a, ...b];
}

const leftover = (u: { user: string }): CleanupLine => ({
  what: `${u.user}: whatever its lost worker had launched`,
  ok: false,
  detail: 'the worker was lost before the user left',
  command: "the hub's idle culler removes it; or stop it from the hub admin page",
});
