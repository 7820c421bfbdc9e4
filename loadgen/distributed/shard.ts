import { InputError } from '../../core/errors.js';
import type { ArrivalPlan } from '../arrivals.js';

/**
 * Splitting one arrival plan over N workers. Every worker computes the same
 * `planArrivals(scenario, { seed })` and keeps its shard, so nothing but the scenario, the seed,
 * N and its index needs to reach it; user ids stay the plan's own (globally unique).
 *
 * Arrival i (plan order, i.e. by scheduled time) goes to shard i mod N (round robin).
 * Contiguous blocks would give worker 0 the first part of every burst and the last worker the
 * tail: each worker would in turn carry the whole arrival rate (and its sockets, ports and CPU)
 * while the others idle, which is exactly what spreading is meant to avoid. Round robin gives each
 * worker every N-th click, so over any window of k consecutive arrivals a shard holds ⌊k/N⌋ or
 * ⌈k/N⌉ of them: the rate, and later the concurrent sessions, split evenly at every moment.
 * Shard sizes differ by at most one: |shard j| = ⌊(n - j - 1)/N⌋ + 1 for j < n, else 0.
 */
export function shardPlan(plan: ArrivalPlan, index: number, count: number): ArrivalPlan {
  if (!(Number.isInteger(count) && count >= 1))
    throw new RangeError(`shard count must be >= 1, got ${count}`);
  if (!(Number.isInteger(index) && index >= 0 && index < count)) {
    throw new RangeError(`shard index must be 0..${count - 1}, got ${index}`);
  }
  const arrivals = plan.arrivals.filter((a) => a.index % count === index);
  return { seed: plan.seed, arrivals, durationMs: arrivals.at(-1)?.t ?? 0 };
}

/** Planned users per shard, without building the shards: ⌈(n - j)/N⌉. */
export function shardSizes(planned: number, count: number): number[] {
  return Array.from({ length: count }, (_, j) => Math.max(0, Math.ceil((planned - j) / count)));
}

export type WorkersSpec = { kind: 'local' | 'k8s'; count: number };

/** `--workers local:N` or `k8s:N` (N from 1 to 1000). */
export function parseWorkers(text: string): WorkersSpec {
  const m = /^(local|k8s):(\d+)$/.exec(text.trim());
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || !(count >= 1 && count <= 1000)) {
    throw new InputError(
      'FLAG_INVALID',
      `--workers must be local:N or k8s:N with N from 1 to 1000, got "${text}"`,
      {
        hint: 'local:3 runs three worker processes on this machine; k8s:10 runs an Indexed Job of ten pods.',
      },
    );
  }
  return { kind: m[1] as 'local' | 'k8s', count };
}
