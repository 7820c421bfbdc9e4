import { describe, expect, it } from 'vitest';
import { HubApiError, HubRateLimitError } from '../../loadgen/clients/hub-model.js';
import { startWaitingOut429 } from '../../loadgen/runner/targets.js';

/** JupyterHub's 429 from concurrent_spawn_limit, with a Retry-After of `s` seconds. */
const limited = (s: number) => new HubRateLimitError('too many spawns', { status: 429, retryAfterSec: s });

describe('startWaitingOut429 (both hub targets start servers through it)', () => {
  const signal = new AbortController().signal;

  it('starts at once without a 429: not limited', async () => {
    let calls = 0;
    const r = await startWaitingOut429(async () => void calls++, 10_000, { signal, now: () => 0 });
    expect(r).toBe(false);
    expect(calls).toBe(1);
  });

  it('waits out a 429 for its Retry-After, then starts: limited', async () => {
    let calls = 0;
    const t0 = Date.now();
    const r = await startWaitingOut429(
      async () => {
        calls++;
        if (calls === 1) throw limited(0.05);
      },
      10_000,
      { signal, now: () => Date.now() - t0 },
    );
    expect(r).toBe(true);
    expect(calls).toBe(2);
  });

  it('throws the 429 when waiting it out would pass the deadline', async () => {
    await expect(
      startWaitingOut429(
        async () => {
          throw limited(30);
        },
        10_000,
        { signal, now: () => 0 },
      ),
    ).rejects.toBeInstanceOf(HubRateLimitError);
  });

  it('other hub errors pass through at once', async () => {
    let calls = 0;
    await expect(
      startWaitingOut429(
        async () => {
          calls++;
          throw new HubApiError('not-found', 'no such user', { status: 404 });
        },
        10_000,
        { signal, now: () => 0 },
      ),
    ).rejects.toBeInstanceOf(HubApiError);
    expect(calls).toBe(1);
  });
});
