import type { Scenario } from '../scenarios/schema.js';
import type { Resources } from './node-capacity.js';

/**
 * A server's size when cohorts start different profiles (issue hub-workshops): each cohort with a
 * `profile` listed in `capacity.profiles` counts at that profile's memory (and CPU, default
 * `capacity.user.cpu`); the others at `capacity.user`. The model packs one server size, so the
 * size is the users-weighted mean: total memory and CPU of the event divided by its attendees,
 * which is what node counts follow. Undefined when no cohort uses a sized profile.
 */
export function profileWeightedRequest(
  scenario: Scenario,
): { request: Resources; source: string } | undefined {
  const cap = scenario.capacity;
  const sized = cap?.profiles;
  if (!cap || !sized) return undefined;
  let users = 0;
  let memory = 0;
  let cpu = 0;
  const parts: string[] = [];
  let any = false;
  for (const c of scenario.cohorts) {
    const p = c.profile !== undefined ? sized[c.profile] : undefined;
    if (p) any = true;
    const m = p?.memory ?? cap.user.memory;
    const u = p?.cpu ?? cap.user.cpu;
    users += c.users;
    memory += c.users * m;
    cpu += c.users * u;
    parts.push(
      `${c.name} ×${c.users} at ${p ? `profile ${c.profile}` : 'capacity.user'} (${(m / 2 ** 30).toFixed(2)} GiB)`,
    );
  }
  if (!any || users === 0) return undefined;
  return {
    request: { memory: Math.round(memory / users), cpu: cpu / users },
    source: `capacity.profiles, users-weighted: ${parts.join(', ')}`,
  };
}
