import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBinder } from '../../loadgen/clients/binder.js';
import {
  HubApiError,
  HubClient,
  type HubProgressEvent,
  HubRateLimitError,
  type HubUser,
} from '../../loadgen/clients/hub.js';
import { userFromServerUrl } from '../../loadgen/launch-once.js';
import { describeEachStack, startTestStack, type TestStack } from '../helpers/local-stack.js';

/**
 * HubClient against the real JupyterHub (3.0 on debian12, 5.2 on debian13) of the local stack (BinderLocalSpawner, see
 * provision/local/hub-config.ts): the REST paths, models and status codes, the progress stream of a
 * real spawn, and the two real 429s (concurrent_spawn_limit with Retry-After, active_server_limit
 * without). Servers are started the way BinderHub starts them: user_options `{token, image}`, the
 * image name taken from one launch through the BinderHub-API front.
 */

const SPEC = 'gh/rehearse-examples/dask-intro/HEAD';
const IMAGE = /^local\/rehearse-examples\/dask-intro:[0-9a-f]{40}$/;
describeEachStack('hub-client', (stack) => {
  const stacks: TestStack[] = [];
  let t: TestStack;
  let hub: HubClient;
  let image: string;

  const clientFor = (s: TestStack): HubClient =>
    new HubClient({ hubUrl: s.stack.state.hubUrl, token: s.hubToken });
  const userName = (tag: string): string => `hc-${tag}-${randomBytes(4).toString('hex')}`;
  const binderOptions = (): Record<string, unknown> => ({ token: randomBytes(16).toString('hex'), image });

  async function startStack(opts: Parameters<typeof startTestStack>[0]): Promise<TestStack> {
    const s = await startTestStack({ stack, buildSeconds: 1, ...opts });
    stacks.push(s);
    return s;
  }

  /** Stops the user's server (if any) and deletes the user; 'absent' when it was never created. */
  async function removeUser(client: HubClient, name: string): Promise<'deleted' | 'absent'> {
    let user: HubUser;
    try {
      user = await client.getUser(name);
    } catch (err) {
      if (err instanceof HubApiError && err.reason === 'not-found') return 'absent';
      throw err;
    }
    if (Object.keys(user.servers ?? {}).length > 0) {
      await client.stopServer(name);
      await client.waitForStopped(name, 60_000);
    }
    return client.deleteUser(name, { timeoutMs: 60_000 });
  }

  async function ready(client: HubClient, name: string, events: HubProgressEvent[] = []) {
    return client.progress(name, { stallMs: 30_000, timeoutMs: 120_000, onMessage: (ev) => events.push(ev) });
  }

  beforeAll(async () => {
    t = await startStack({});
    hub = clientFor(t);
    // One launch through the front gives a valid emulated image name; its user is removed at once.
    const launch = await launchBinder({ binderUrl: t.stack.state.binderUrl, spec: SPEC, timeoutMs: 120_000 });
    image = launch.image ?? '';
    expect(image).toMatch(IMAGE);
    expect(await removeUser(hub, userFromServerUrl(launch.url) as string)).toBe('deleted');
  });

  afterAll(async () => {
    const left: { users: string[]; leftovers: number[]; marked: number[] }[] = [];
    for (const s of stacks) {
      const users = await clientFor(s)
        .listUsers()
        .then((us) => us.map((u) => u.name))
        .catch((e: unknown) => [`listUsers failed: ${String(e)}`]);
      left.push({ users, ...(await s.stop()) });
    }
    expect(left).toEqual(stacks.map(() => ({ users: [], leftovers: [], marked: [] })));
  });

  describe('HubClient against the real JupyterHub', () => {
    it('reads the version, creates a user once (409 → exists), lists it', async () => {
      expect(await hub.version()).toMatch(stack === 'debian13' ? /^5\.\d+\.\d+/ : /^3\.\d+\.\d+/);
      const name = userName('create');
      try {
        const created = await hub.createUser(name);
        expect(created).toMatchObject({ name, admin: false });
        const again = await hub.createUser(name).catch((e: unknown) => e);
        expect(again).toBeInstanceOf(HubApiError);
        expect(again).toMatchObject({ reason: 'exists', status: 409 });
        expect((await hub.listUsers()).map((u) => u.name)).toContain(name);
      } finally {
        await removeUser(hub, name);
      }
      expect((await hub.listUsers()).map((u) => u.name)).not.toContain(name);
    });

    it('starts a Binder-style server, follows progress to ready, issues a user token, stops it, deletes the user', async () => {
      const name = userName('life');
      await hub.createUser(name);
      try {
        const started = await hub.startServer(name, { userOptions: binderOptions() });
        expect([201, 202]).toContain(started.status);
        const events: HubProgressEvent[] = [];
        const r = await ready(hub, name, events);
        expect(r.url).toBe(`/user/${name}/`);
        expect(events.at(-1)).toMatchObject({ ready: true, progress: 100 });

        const user = await hub.getUser(name);
        expect(user.servers?.['']).toMatchObject({ ready: true, pending: null, url: `/user/${name}/` });

        const token = await hub.createToken(name, { note: 'hub-client test', expiresIn: 600 });
        expect(token.token).toMatch(/^[0-9a-f]{32}$/);
        expect(token.note).toBe('hub-client test');
        // The new token is the user's own: it reads its user, but not the user list.
        const asUser = new HubClient({ hubUrl: t.stack.state.hubUrl, token: token.token });
        expect((await asUser.getUser(name)).name).toBe(name);
        const denied = await asUser.listUsers().catch((e: unknown) => e);
        expect(denied).toMatchObject({ reason: 'auth', status: 403, exitCode: 3 });

        expect([202, 204]).toContain((await hub.stopServer(name)).status);
        expect(await hub.waitForStopped(name, 60_000)).toBe('stopped');
        expect((await hub.getUser(name)).servers).toEqual({});
      } finally {
        expect(await removeUser(hub, name)).toBe('deleted');
      }
      expect(await hub.deleteUser(name, { timeoutMs: 10_000 })).toBe('absent');
      expect(await hub.waitForStopped(name, 10_000)).toBe('absent');
      const gone = await hub.getUser(name).catch((e: unknown) => e);
      expect(gone).toMatchObject({ reason: 'not-found', status: 404 });
    });

    it('starts a hub-authenticated jupyterhub-singleuser server (no user_options) that answers its user', async () => {
      const name = userName('single');
      await hub.createUser(name);
      try {
        expect([201, 202]).toContain((await hub.startServer(name)).status);
        const r = await ready(hub, name);
        expect(r.url).toBe(`/user/${name}/`);
        const { token } = await hub.createToken(name, { expiresIn: 600 });
        const res = await fetch(`${t.stack.state.hubUrl}user/${name}/api/status`, {
          headers: { authorization: `token ${token}` },
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ kernels: 0 });
      } finally {
        await removeUser(hub, name);
      }
    });

    it('reports a spawn the spawner refuses as spawn-failed with the hub message', async () => {
      const name = userName('fail');
      await hub.createUser(name);
      try {
        const bad = {
          token: randomBytes(16).toString('hex'),
          image: 'local/no-such-org/no-such-repo:abc123',
        };
        await hub.startServer(name, { userOptions: bad });
        const err = await ready(hub, name).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HubApiError);
        expect(err).toMatchObject({ reason: 'spawn-failed' });
        expect((err as HubApiError).hubMessage).toContain('no repo folder');
      } finally {
        await removeUser(hub, name);
      }
    });

    it('turns a wrong token into an auth error (exit 3) that does not contain the token', async () => {
      const wrong = randomBytes(16).toString('hex');
      const err = await new HubClient({ hubUrl: t.stack.state.hubUrl, token: wrong })
        .createUser(userName('auth'))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubApiError);
      expect(err).toMatchObject({ reason: 'auth', status: 403, exitCode: 3 });
      const e = err as HubApiError;
      for (const text of [e.message, e.hint ?? '', e.stack ?? '', String(e), JSON.stringify(e)]) {
        expect(text).not.toContain(wrong);
      }
    });
  });

  describe("the hub's own 429s", () => {
    it('concurrent_spawn_limit 1: of two spawns at once, one is refused with Retry-After 30–60 s', async () => {
      const s = await startStack({ concurrentSpawnLimit: 1 });
      const client = clientFor(s);
      const names = [userName('csl'), userName('csl')];
      try {
        for (const n of names) await client.createUser(n);
        const results = await Promise.allSettled(
          names.map((n) => client.startServer(n, { userOptions: binderOptions() })),
        );
        const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        const accepted = results.flatMap((r, i) => (r.status === 'fulfilled' ? [names[i] as string] : []));
        expect(accepted).toHaveLength(1);
        expect(refused).toHaveLength(1);
        const err = refused[0];
        expect(err).toBeInstanceOf(HubRateLimitError);
        expect(err).toMatchObject({ status: 429, reason: 'rate-limit', exitCode: 3 });
        const retryAfter = (err as HubRateLimitError).retryAfterSec;
        expect(retryAfter).toBeGreaterThanOrEqual(30);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect((err as HubRateLimitError).hubMessage).toMatch(/^Too many users trying to log in right now/);
        expect((err as HubRateLimitError).hint).toContain('concurrent_spawn_limit');
        expect((await ready(client, accepted[0] as string)).url).toBe(`/user/${accepted[0]}/`);
      } finally {
        for (const n of names) await removeUser(client, n);
      }
    });

    it('active_server_limit 1: with one server running, another start is refused without Retry-After', async () => {
      const s = await startStack({ activeServerLimit: 1 });
      const client = clientFor(s);
      const [first, second] = [userName('asl'), userName('asl')];
      try {
        for (const n of [first, second]) await client.createUser(n);
        await client.startServer(first, { userOptions: binderOptions() });
        await ready(client, first);
        const err = await client
          .startServer(second, { userOptions: binderOptions() })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HubRateLimitError);
        expect(err).toMatchObject({
          status: 429,
          reason: 'rate-limit',
          hubMessage: 'Active user limit exceeded. Try again in a few minutes.',
        });
        expect((err as HubRateLimitError).retryAfterSec).toBeUndefined();
        expect((err as HubRateLimitError).hint).toContain('active_server_limit');
      } finally {
        for (const n of [first, second]) await removeUser(client, n);
      }
    });
  });
});
