import { type LedgerResource, type LedgerWriter, ledgerKey } from '../record/ledger.js';
import { LaunchFailure, type LaunchResult, type TargetAdapter } from './targets.js';
import type { ServerApi, UserContext } from './user.js';

/**
 * The run's ledger around a target and the servers it hands out: every launch writes what it is
 * about to create before it calls the target (intent), what it got once ready (created), and
 * everything is marked gone once leaving removed it without a failed line. Kernels are written
 * before `POST api/kernels` and gone after their DELETE, or with their server. Each intent is on
 * disk (`durable()`, shared with the launches of the same moment) before the request is sent.
 */

type OpenServer = NonNullable<UserContext['openServer']>;

export interface Ledgered {
  target: TargetAdapter;
  openServer: OpenServer;
}

export function ledgered(target: TargetAdapter, open: OpenServer, ledger: LedgerWriter): Ledgered {
  /** Keys per launch result: the launch's own, and its kernels'. */
  const keysOf = new WeakMap<LaunchResult, string[]>();
  const wrapped: TargetAdapter = {
    describe: () => target.describe(),
    async launch(user, t0, opts) {
      const intents = target.intent?.(user, new Date()) ?? [];
      const keys = intents.map((r) => ledger.intent(r));
      if (keys.length > 0) await ledger.durable();
      let r: LaunchResult;
      try {
        r = await target.launch(user, t0, opts);
      } catch (err) {
        // A launch that failed and left nothing (the target says so) is gone; else it stays live.
        if (err instanceof LaunchFailure && err.leftovers.length === 0) {
          for (const k of keys) ledger.gone(k, `launch failed: ${err.reason}`);
        }
        throw err;
      }
      for (const k of keys) ledger.created(k, undefined, r.hubUser);
      for (const res of target.created?.(r) ?? []) {
        const k = ledgerKey(res);
        if (!keys.includes(k)) {
          ledger.intent(res);
          ledger.created(k);
          keys.push(k);
        }
      }
      keysOf.set(r, keys);
      return r;
    },
    async stop(server, opts) {
      const lines = await target.stop(server, opts);
      if (lines.every((l) => l.ok)) {
        for (const k of keysOf.get(server) ?? []) ledger.gone(k, 'removed when the user left');
        keysOf.delete(server);
      }
      return lines;
    },
  };
  const openServer: OpenServer = (server, o) => {
    const api = open(server, o);
    const keys = keysOf.get(server);
    return {
      async startKernel(name) {
        const res: LedgerResource = { kind: 'kernel', user: server.hubUser, serverUrl: server.serverUrl };
        const key = ledger.intent(res);
        keys?.push(key);
        await ledger.durable();
        const k = await api.startKernel(name);
        ledger.created(key, { ...res, id: k.id });
        return k;
      },
      connect: (id) => api.connect(id),
      async deleteKernel(id) {
        const detail = await api.deleteKernel(id);
        const key = ledgerKey({ kind: 'kernel', user: server.hubUser, serverUrl: server.serverUrl });
        ledger.gone(key, `kernel ${id} deleted`);
        const i = keys?.indexOf(key) ?? -1;
        if (i >= 0) keys?.splice(i, 1);
        return detail;
      },
    } satisfies ServerApi;
  };
  return { target: wrapped, openServer };
}
