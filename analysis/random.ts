/**
 * Seeded randomness for the simulator: every random draw (node-ready times, pulls, spawn times,
 * Retry-After) comes from a stream named by (seed, labels), so a simulation is a pure function of its
 * input. Nothing here reads the clock or Math.random.
 *
 * scenarios/ has no generator to share and analysis/ may not import loadgen/plan/, hence this small
 * one (mulberry32: one 32-bit state word, period 2^32, enough for a few thousand draws per run).
 */

/** Uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: s ← s + 0x6D2B79F5; t = s; t = (t ^ t>>>15)·(t|1); t ^= t + (t ^ t>>>7)·(t|61);
 * out = (t ^ t>>>14) / 2^32.
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A stream seed from a seed and labels: FNV-1a (32-bit) over the seed's decimal text and each
 * label's text, separated by 0xff, finished with murmur3's fmix32 so that near labels diverge.
 */
export function streamSeed(seed: number, ...labels: (string | number)[]): number {
  let h = 0x811c9dc5;
  const text = [String(seed >>> 0), ...labels.map(String)].join('\u00ff');
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A duration distribution given by its median and 95th percentile (ms). */
export interface Spread {
  median: number;
  p95: number;
}

/** z with P(Z <= z) = 0.95 for a standard normal Z. */
const Z95 = 1.6448536269514722;

/**
 * A lognormal draw X = e^(μ + σZ) with median e^μ and p95 e^(μ + 1.6449σ), so
 *   μ = ln(median),  σ = ln(p95 / median) / 1.6449.
 * Z by Box-Muller: Z = sqrt(-2 ln U1)·cos(2π U2), U1 in (0, 1]. Always two draws, so streams stay
 * aligned whatever the spread; median = p95 returns the median exactly; median 0 returns 0.
 */
export function lognormal(q: Spread, rng: Rng): number {
  const u1 = 1 - rng();
  const u2 = rng();
  if (q.median <= 0) return 0;
  if (q.p95 <= q.median) return q.median;
  const sigma = Math.log(q.p95 / q.median) / Z95;
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return q.median * Math.exp(sigma * z);
}

/** Uniform on [lo, hi): lo + U·(hi − lo). */
export function uniform(lo: number, hi: number, rng: Rng): number {
  return lo + rng() * (hi - lo);
}
