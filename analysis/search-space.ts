/**
 * The recommender's search space: which flavors can host a user at all, how many users a node of
 * each holds, and the grid of pre-scale counts, max node counts and placeholders worth simulating.
 */
import { InputError } from '../core/errors.js';
import { type Catalogue, capiRejects, type Flavor, findFlavor } from './catalogue.js';
import type { ModelValues } from './model.js';
import { type Fit, GiB, type NodeRoom, nodeRoom, podsPerNode } from './node-capacity.js';

export interface FlavorOption {
  flavor: Flavor;
  room: NodeRoom;
  fit: Fit;
}

export interface Grid {
  prescale: number[];
  max: number[];
  placeholders: number[];
  /** dask-gateway group: pre-scale counts and its max (empty/0 without gateway). */
  daskPrescale: number[];
  daskMax: number;
}

/**
 * Most users holding a server at once, if each holds it from click to click + hold:
 *   peak = max_t #{i : a_i <= t < a_i + hold}
 * (a departure and an arrival at the same instant do not overlap).
 */
export function peakConcurrent(arrivals: readonly number[], holdMs: number): number {
  const ends: number[] = [];
  let peak = 0;
  let head = 0;
  for (const a of arrivals) {
    ends.push(a + holdMs);
    while (head < ends.length && (ends[head] as number) <= a) head += 1;
    peak = Math.max(peak, ends.length - head);
  }
  return peak;
}

/**
 * 2i2c's placeholder sizing (capacity.md §3.4): reserve = arrival rate × node-ready time, with the
 * rate the busiest window of one node-ready time:
 *   reserve = max_t #{i : t <= a_i < t + T}
 */
export function placeholderReserve(arrivals: readonly number[], nodeReadyMs: number): number {
  let best = 0;
  let head = 0;
  for (let i = 0; i < arrivals.length; i++) {
    while ((arrivals[head] as number) <= (arrivals[i] as number) - nodeReadyMs) head += 1;
    best = Math.max(best, i - head + 1);
  }
  return best;
}

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

/** The scenario's flavors that can host a user; InputError naming what to change otherwise. */
export function flavorOptions(
  catalogue: Catalogue,
  names: readonly string[],
  m: ModelValues,
): FlavorOption[] {
  const flavors = names.map((n) => findFlavor(catalogue, n));
  for (const f of flavors) {
    const why = capiRejects(f);
    if (why) throw new InputError('FLAVOR_UNSUPPORTED', why, { hint: 'remove it from capacity.flavors' });
  }
  const options = flavors.map((flavor) => {
    const room = nodeRoom(flavor, m.nodeOverhead);
    return { flavor, room, fit: podsPerNode(room, m.user.request) };
  });
  const usable = options.filter((o) => o.fit.perNode >= 1);
  if (usable.length > 0) return usable;
  const largest = [...options].sort((a, b) => b.room.memory - a.room.memory)[0];
  const fits = catalogue.flavors
    .filter((f) => !capiRejects(f) && podsPerNode(nodeRoom(f, m.nodeOverhead), m.user.request).perNode >= 1)
    .map((f) => f.name);
  const req = m.user.request;
  throw new InputError(
    'USER_TOO_LARGE',
    `capacity.user (${gib(req.memory)}, ${req.cpu} CPU) fits no node of ${names.join(', ')}` +
      (largest
        ? `: the largest request that fits one ${largest.flavor.name} is ${gib(largest.room.memory)} and ` +
          `${largest.room.cpu.toFixed(2)} CPU (after the kubelet's reservation and the daemonsets)`
        : ''),
    {
      hint:
        fits.length > 0
          ? `lower capacity.user to at most that, or add a flavor that fits it: ${fits.slice(0, 4).join(', ')}`
          : 'lower capacity.user: no Jetstream2 flavor holds it',
    },
  );
}

/** 1..n, thinned to at most `most` values (always keeping 1 and n). */
function upTo(n: number, most: number): number[] {
  const step = Math.max(1, Math.ceil(n / most));
  const out = new Set<number>();
  for (let v = 1; v <= n; v += step) out.add(v);
  out.add(n);
  return [...out].sort((a, b) => a - b);
}

/**
 * The grid for one flavor holding k users per node, for a peak of P concurrent users and memory
 * headroom h (max must hold P·(1 + h) users, since max_node_count cannot change after creation):
 *   N = ⌈P / k⌉;  maxMin = max(1, ⌈P·(1 + h) / k⌉)
 *   prescale ∈ 1..N+1 (≤ 40 values);  max ∈ {maxMin, maxMin + ⌈maxMin / 10⌉}
 *   placeholders ∈ 0..min(3k, 12) ∪ {k, 2k, 3k, reserve} (each ≤ N·k)
 */
export function gridFor(
  option: FlavorOption,
  peak: number,
  headroom: number,
  reserve: number,
  m: ModelValues,
): Grid {
  const k = option.fit.perNode;
  const n = Math.max(1, Math.ceil(peak / k));
  const maxMin = Math.max(1, Math.ceil((peak * (1 + headroom)) / k));
  const prescale = upTo(Math.min(n + 1, maxMin), 40);
  const max = [...new Set([maxMin, maxMin + Math.ceil(maxMin / 10)])];
  const ph = new Set<number>();
  for (let v = 0; v <= Math.min(3 * k, 12); v++) ph.add(v);
  for (const v of [k, 2 * k, 3 * k, reserve]) ph.add(v);
  const placeholders = [...ph].filter((v) => v <= n * k).sort((a, b) => a - b);
  let daskPrescale: number[] = [];
  let daskMax = 0;
  if (m.dask.mode === 'gateway') {
    const per = podsPerNode(option.room, m.dask.worker).perNode;
    const nodes = per > 0 ? Math.ceil((peak * m.dask.workersPerUser) / per) : 1;
    daskMax = Math.max(1, Math.ceil(nodes * (1 + headroom)));
    daskPrescale = [...new Set([1, Math.max(1, Math.ceil(nodes / 2)), Math.max(1, nodes)])];
  }
  return { prescale, max, placeholders, daskPrescale, daskMax };
}
