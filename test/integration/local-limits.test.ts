import { afterAll, describe, expect, it } from 'vitest';
import { BinderLaunchError, launchBinder } from '../../loadgen/clients/binder.js';
import { HubClient } from '../../loadgen/clients/hub.js';
import { userFromServerUrl } from '../../loadgen/launch-once.js';
import { describeEachStack, startTestStack, type TestStack } from '../helpers/local-stack.js';

// BinderHub's and JupyterHub's limits on the real local stack: the launch quota and the per-IP
// rate limiter of the BinderHub-API front, and JupyterHub's own concurrent_spawn_limit (a real
// 429 from the real hub, which the front's launcher retries as BinderHub's does).
const SPEC = 'gh/rehearse-examples/dask-intro/HEAD';
const stacks: TestStack[] = [];

describeEachStack('local-limits', (stack) => {
  afterAll(async () => {
    for (const t of stacks) {
      const { leftovers, marked } = await t.stop();
      expect(leftovers).toEqual([]);
      expect(marked).toEqual([]);
    }
  });

  async function removeUser(t: TestStack, serverUrl: string): Promise<void> {
    const hub = new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken });
    const user = userFromServerUrl(serverUrl) as string;
    await hub.stopServer(user);
    await hub.waitForStopped(user, 60_000);
    await hub.deleteUser(user, { timeoutMs: 60_000 });
  }

  describe('BinderHub limits on the local target', () => {
    it('refuses a launch over the launch quota, then rate-limits the fourth request from one IP', async () => {
      const t = await startTestStack({ stack, launchQuota: 1, rateLimit: 3, buildSeconds: 1 });
      stacks.push(t);
      const binderUrl = t.stack.state.binderUrl;
      const first = await launchBinder({ binderUrl, spec: SPEC, timeoutMs: 120_000 });
      try {
        for (let i = 0; i < 2; i++) {
          const quota = await launchBinder({ binderUrl, spec: SPEC }).catch((e: unknown) => e);
          expect(quota).toBeInstanceOf(BinderLaunchError);
          expect(quota).toMatchObject({
            reason: 'quota',
            serverMessage: 'Too many users on this BinderHub! Try again soon.',
          });
        }
        const limited = await launchBinder({ binderUrl, spec: SPEC }).catch((e: unknown) => e);
        expect(limited).toMatchObject({
          reason: 'rate-limit',
          statusCode: 429,
          exitCode: 3,
          serverMessage: 'Rate limit exceeded. Try again in 3600 seconds.',
        });
        expect((limited as BinderLaunchError).hint).toContain('RateLimiter');
      } finally {
        await removeUser(t, first.url);
      }
    });

    it("retries a launch refused by JupyterHub's concurrent_spawn_limit (429), as BinderHub's launcher does", async () => {
      const t = await startTestStack({ stack, concurrentSpawnLimit: 1, retryDelayMs: 1000, buildSeconds: 1 });
      stacks.push(t);
      const binderUrl = t.stack.state.binderUrl;
      const messages: string[] = [];
      // Both wait for the same emulated build, then ask the hub for a server in the same instant.
      const launches = await Promise.all(
        [0, 1].map(() =>
          launchBinder({
            binderUrl,
            spec: SPEC,
            timeoutMs: 120_000,
            onEvent: (ev) => ev.message && messages.push(ev.message),
          }),
        ),
      );
      try {
        expect(launches.map((l) => l.phases.at(-1)?.phase)).toEqual(['ready', 'ready']);
        expect(launches[0]?.url).not.toBe(launches[1]?.url);
        expect(launches.reduce((n, l) => n + l.retries, 0)).toBeGreaterThanOrEqual(1);
        expect(messages).toContain('Launch attempt 1 failed, retrying...\n');
      } finally {
        for (const l of launches) await removeUser(t, l.url);
      }
      const users = await new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();
      expect(users).toEqual([]);
    });
  });
});
