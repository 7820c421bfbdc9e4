import { describe, expect, it } from 'vitest';
import { createRng, deriveSeed, lognormal, RNG_ALGORITHM } from '../../core/random.js';

/**
 * Golden values of the one seeded generator (core/random.ts). Every arrival plan, think time and
 * simulated cluster is drawn from these streams, so a change here moves every run and every sizing
 * plan: it must be deliberate, with RNG_ALGORITHM renamed and these values replaced in the same
 * commit. (Recorded from the sfc32/splitmix32 implementation when analysis/ and loadgen/ were
 * merged onto it.)
 */
const uint32s = (seed: number, n: number) => {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => rng() * 2 ** 32);
};

describe('core/random golden values', () => {
  it('names the algorithm the values below belong to', () => {
    expect(RNG_ALGORITHM).toBe('sfc32/splitmix32, fnv1a-fmix32 labels');
  });

  it('createRng(42) and createRng(0) give these first outputs (uint32 / 2^32)', () => {
    expect(uint32s(42, 5)).toEqual([1959603763, 2423114712, 2466933512, 4144396390, 3569536208]);
    expect(uint32s(0, 3)).toEqual([2899526011, 769844623, 220372281]);
  });

  it('deriveSeed names streams by labels, typed: ("a", 1) differs from ("a", "1")', () => {
    expect(deriveSeed(42)).toBe(3841444160);
    expect(deriveSeed(42, 'user', 'morning', 3)).toBe(3847013784);
    expect(deriveSeed(42, 'a', 1)).toBe(1336462363);
    expect(deriveSeed(42, 'a', '1')).toBe(2868102888);
  });

  it('a lognormal draw from a seeded stream is reproducible to the last bit', () => {
    expect(lognormal({ median: 5000, p95: 20000 }, createRng(7))).toBe(11753.033997369093);
  });

  it('median 0 is always 0, without drawing', () => {
    const rng = createRng(1);
    expect(lognormal({ median: 0, p95: 10 }, rng)).toBe(0);
    expect(rng() * 2 ** 32).toBe(uint32s(1, 1)[0]);
  });
});
