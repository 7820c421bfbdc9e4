/**
 * The one seeded randomness of the tool: every random choice in a rehearsal (burst and poisson
 * arrival times, think times) and in the cluster simulator (node-ready times, pulls, spawn times,
 * Retry-After) comes from a stream named by (seed, labels) through `deriveSeed`, so an arrival plan
 * and a simulation are pure functions of their input and a run can be replayed. Nothing here reads
 * the clock or Math.random.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's "small fast counting" generator, from PractRand), its
 * 128-bit state filled by splitmix32. Why: sfc32 passes PractRand and BigCrush, runs on 32-bit
 * integer ops (exact in JavaScript through `| 0` and `Math.imul`), and its counter word guarantees
 * a period of at least 2^32 from any seed. mulberry32 is smaller but has a single 32-bit state,
 * so it cannot reach every 32-bit output and fails PractRand sooner. splitmix32 turns a 32-bit seed
 * into well-mixed, distinct state words, so neighbouring seeds (42, 43) give unrelated streams.
 */

/** Uniform numbers in [0, 1), 32 bits of resolution. */
export type Rng = () => number;

/**
 * Which generator and seed derivation made a plan: written into every run record and sizing
 * plan, so that a change of algorithm (which moves every arrival) is visible in the outputs.
 * Change it together with the golden values in test/unit/random.test.ts.
 */
export const RNG_ALGORITHM = 'sfc32/splitmix32, fnv1a-fmix32 labels' as const;
export type RngAlgorithm = typeof RNG_ALGORITHM;

const TWO_POW_32 = 4_294_967_296;

/** z such that P(Z <= z) = 0.95 for a standard normal Z. */
export const Z95 = 1.6448536269514722;

/** splitmix32: a Weyl step (golden-ratio increment) followed by an avalanching mix; uint32 out. */
function splitmix32(state: number): { next: number; out: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return { next, out: (z ^ (z >>> 15)) >>> 0 };
}

/**
 * sfc32 seeded through splitmix32: state words a, b, c from three splitmix32 steps, counter d = 1,
 * then 12 discarded outputs as PractRand's own seeding does. Each step:
 *   t = a + b + d;  d = d + 1;  a = b ^ (b >>> 9);  b = c + (c << 3);  c = rotl(c, 21) + t
 * and the output is t / 2^32.
 */
export function createRng(seed: number): Rng {
  let s = seed | 0;
  const words: number[] = [];
  for (let i = 0; i < 3; i++) {
    const step = splitmix32(s);
    s = step.next;
    words.push(step.out | 0);
  }
  let [a, b, c] = words as [number, number, number];
  let d = 1;
  const next: Rng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * A stable uint32 seed for a sub-stream, e.g. deriveSeed(seed, 'user', 'morning', 3).
 *
 * FNV-1a (32-bit) over: the seed's four bytes (little-endian), then per label a type byte
 * (1 string, 2 number), its UTF-16 code units as two bytes each (a number as its decimal text),
 * and a 0xff separator; so ('a', 1) ≠ ('a', '1') ≠ ('a1'). The hash is finished with murmur3's
 * fmix32, because FNV-1a alone mixes its low bits poorly for short inputs that differ at the end.
 * Labels, not call order, name a stream: adding a cohort does not move another cohort's arrivals.
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = FNV_OFFSET;
  const byte = (b: number) => {
    h = Math.imul(h ^ (b & 0xff), FNV_PRIME);
  };
  const s = seed >>> 0;
  for (let shift = 0; shift < 32; shift += 8) byte(s >>> shift);
  for (const label of labels) {
    if (typeof label === 'number' && !Number.isFinite(label)) {
      throw new RangeError(`deriveSeed: label ${label} is not a finite number`);
    }
    byte(typeof label === 'string' ? 1 : 2);
    const text = String(label);
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      byte(unit);
      byte(unit >>> 8);
    }
    byte(0xff);
  }
  // murmur3 fmix32
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An exponentially distributed gap with rate λ per ms (mean 1/λ), by inversion:
 *   P(X <= x) = 1 - e^(-λx)  ⇒  X = -ln(1 - U) / λ,  U uniform in [0, 1),
 * so 1 - U is in (0, 1] and the logarithm is finite (U = 0 gives X = 0).
 */
export function exponential(ratePerMs: number, rng: Rng): number {
  if (!(ratePerMs > 0) || !Number.isFinite(ratePerMs)) {
    throw new RangeError(`exponential: rate must be a positive finite number, got ${ratePerMs}`);
  }
  // log1p keeps precision for small U; `0 -` turns the -0 of U = 0 into 0.
  return 0 - Math.log1p(-rng()) / ratePerMs;
}

/** A duration distribution given by its median and 95th percentile (ms). */
export interface Spread {
  median: number;
  p95: number;
}

export interface LognormalParams {
  mu: number;
  sigma: number;
}

/**
 * Parameters of the lognormal X = e^(mu + sigma·Z), Z standard normal, with the given median
 * and 95th percentile. Quantiles of X are e^(mu + sigma·z_q), so
 *   median = e^mu                        ⇒  mu = ln(median)
 *   p95    = e^(mu + 1.6448536269514722·sigma)  ⇒  sigma = ln(p95 / median) / 1.6448536269514722.
 * p95 == median gives sigma 0 (a constant); median 0 (allowed only with p95 0) gives mu = -∞,
 * i.e. always 0.
 */
export function lognormalParams(median: number, p95: number): LognormalParams {
  if (!(median >= 0) || !(p95 >= median) || !Number.isFinite(p95)) {
    throw new RangeError(`lognormalParams: need 0 <= median <= p95 < ∞, got median ${median}, p95 ${p95}`);
  }
  if (median === 0) {
    if (p95 !== 0) throw new RangeError('lognormalParams: median 0 needs p95 0');
    return { mu: Number.NEGATIVE_INFINITY, sigma: 0 };
  }
  return { mu: Math.log(median), sigma: p95 === median ? 0 : Math.log(p95 / median) / Z95 };
}

/**
 * One lognormal sample with the given median and p95.
 *
 * Z comes from the Box-Muller transform: for U1 in (0, 1] and U2 in [0, 1) independent uniforms,
 *   Z = sqrt(-2 ln U1) · cos(2π U2)
 * is standard normal (the pair (R, Θ) with R² = -2 ln U1 exponential of mean 2 and Θ = 2π U2
 * uniform is the polar form of two independent normals; we keep the cosine one and drop the sine
 * partner, so every sample consumes exactly two draws and holds no cached state).
 * With sigma 0 the median is returned exactly, without drawing; median 0 returns 0 whatever the
 * p95 (the limit mu → -∞), also without drawing.
 */
export function lognormal(q: Spread, rng: Rng): number {
  if (q.median === 0) return 0;
  const { mu, sigma } = lognormalParams(q.median, q.p95);
  if (sigma === 0) return q.median;
  const u1 = 1 - rng();
  const u2 = rng();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.exp(mu + sigma * z);
}

/** Uniform on [lo, hi): lo + U·(hi − lo). */
export function uniform(lo: number, hi: number, rng: Rng): number {
  return lo + rng() * (hi - lo);
}
