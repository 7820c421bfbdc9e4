import type { FailureReason } from '../../core/metrics.js';
import type { HubAuth, ServerOptionFields } from '../../scenarios/workshop.js';
import { HubApiError, HubClient } from '../clients/hub.js';
import { HubSession } from '../clients/hub-login.js';
import { userOptionsBody } from '../clients/server-options.js';
import type { RecordedTarget } from '../record/types.js';
import { failureReason, firstAttemptOutcome } from '../runner/attribution.js';
import {
  type CleanupLine,
  followSpawn,
  LaunchFailure,
  type LaunchResult,
  startWaitingOut429,
  type TargetAdapter,
} from '../runner/targets.js';

/**
 * A JupyterHub as 2i2c workshop hubs are used: each cohort's server options (profile slug,
 * profile_options, raw user_options) in the start-server body, optionally a named server, and
 * one of three ways in:
 *
 *   admin   the admin/service token creates the user, starts its server, issues it a token
 *           (what the local target and today's jupyterhub target do);
 *   login   the attendee logs in through /hub/login (XSRF token from the form), then, as a
 *           browser's JavaScript would, calls the API with its cookies and X-XSRFToken: it issues
 *           itself a token, which starts and watches its server;
 *   tokens  the attendee's own API token, given per user (jupyterhub-simulator's route).
 *
 * Every user's token goes only into Authorization headers, never into the record.
 */

export interface CohortServerOptions extends ServerOptionFields {
  name: string;
}

export interface WorkshopHubTargetOptions {
  hubUrl: string;
  /** Admin/service token (admin auth, and cleanup for login users); absent for tokens-only. */
  adminToken?: string;
  tokenEnv?: string;
  auth: HubAuth;
  /** The login password (login auth), read from `auth.passwordEnv` by the caller. */
  password?: string;
  /** user → token (tokens auth), read from `auth.tokensEnv` by the caller. */
  userTokens?: Map<string, string>;
  cohorts: readonly CohortServerOptions[];
  runTag: string;
  launchTimeoutMs: number;
  describe: RecordedTarget;
}

export interface WorkshopLaunch extends LaunchResult {
  serverName: string;
  cohort?: string;
}

export class WorkshopHubTarget implements TargetAdapter {
  private readonly admin: HubClient | undefined;
  private readonly byCohort: Map<string, CohortServerOptions>;
  private readonly tokenUsers: [string, string][];
  private readonly clients = new Map<string, HubClient>();
  private nextTokenUser = 0;

  constructor(private readonly o: WorkshopHubTargetOptions) {
    this.admin = o.adminToken
      ? new HubClient({ hubUrl: o.hubUrl, token: o.adminToken, requestTimeoutMs: 30_000 })
      : undefined;
    this.byCohort = new Map(o.cohorts.map((c) => [c.name, c]));
    this.tokenUsers = [...(o.userTokens ?? new Map())];
  }

  describe(): RecordedTarget {
    return this.o.describe;
  }

  /** The hub user name of a simulated user (login auth with a list: the list's names, in order). */
  private hubUserName(user: string): string {
    const a = this.o.auth;
    if (a.kind === 'login' && a.users) {
      const i = Number(user.replace(/\D/g, '')) - 1;
      const name = a.users[i % a.users.length];
      if (name) return name;
    }
    return `rehearse-${this.o.runTag}-${user}`.toLowerCase();
  }

  async launch(
    user: string,
    t0: number,
    opts: { signal: AbortSignal; now: () => number; cohort?: string },
  ): Promise<WorkshopLaunch> {
    const cohort = opts.cohort ? this.byCohort.get(opts.cohort) : undefined;
    const serverName = cohort?.server ?? '';
    const body = cohort ? userOptionsBody(cohort) : undefined;
    const deadline = t0 + this.o.launchTimeoutMs;
    let firstAttempt: 'ok' | FailureReason = 'ok';
    let name = this.hubUserName(user);
    let hub: HubClient | undefined;
    try {
      const { client, token, hubUser } = await this.signIn(user, name, opts.signal);
      hub = client;
      name = hubUser;
      const start = () =>
        client.startServer(name, { serverName: serverName || undefined, userOptions: body });
      if (await startWaitingOut429(start, deadline, opts)) firstAttempt = 'spawn-limit-429';
      const spawned = await followSpawn(
        client,
        name,
        serverName || undefined,
        this.o.hubUrl,
        t0,
        deadline,
        opts,
      );
      return {
        ...spawned,
        token,
        hubUser: name,
        serverName,
        cohort: opts.cohort,
        firstAttempt: firstAttempt === 'ok' ? firstAttemptOutcome(0) : firstAttempt,
      };
    } catch (err) {
      const reason = failureReason(err);
      const lines = hub
        ? await this.release(hub, name, serverName).catch((e: unknown) => [
            { what: `server of ${name}`, ok: false, detail: (e as Error).message },
          ])
        : [];
      throw new LaunchFailure(
        err,
        reason,
        firstAttempt === 'ok' ? reason : firstAttempt,
        lines.filter((l) => !l.ok),
      );
    }
  }

  /** The client that acts for this attendee, its API token, and its hub user name. */
  private async signIn(
    user: string,
    name: string,
    signal: AbortSignal,
  ): Promise<{ client: HubClient; token: string; hubUser: string }> {
    const a = this.o.auth;
    const clientFor = (token: string) =>
      new HubClient({ hubUrl: this.o.hubUrl, token, requestTimeoutMs: 30_000 });
    if (a.kind === 'tokens') {
      const pair = this.tokenUsers[this.nextTokenUser++ % Math.max(1, this.tokenUsers.length)];
      if (!pair) throw new HubApiError('auth', `no user token for ${user} in ${a.tokensEnv}`);
      const c = clientFor(pair[1]);
      this.clients.set(pair[0], c);
      return { client: c, token: pair[1], hubUser: pair[0] };
    }
    if (a.kind === 'login') {
      const session = new HubSession(this.o.hubUrl);
      await session.login(name, this.o.password ?? '', signal);
      // As the hub's own pages do: a cookie-authenticated API call, which needs X-XSRFToken on JupyterHub >= 4.
      const res = await session.fetch(`${session.hubUrl}hub/api/users/${encodeURIComponent(name)}/tokens`, {
        method: 'POST',
        json: { note: 'rehearse attendee', expires_in: 24 * 3600 },
        signal,
      });
      if (res.status !== 200 && res.status !== 201) {
        throw new HubApiError(
          'auth',
          `after login, ${name} could not issue itself a token (${res.status}): ${res.body.slice(0, 200)}`,
          {
            status: res.status,
          },
        );
      }
      const token = String((JSON.parse(res.body) as { token?: string }).token ?? '');
      const c = clientFor(token);
      this.clients.set(name, c);
      return { client: c, token, hubUser: name };
    }
    const admin = this.requireAdmin();
    await admin.createUser(name).catch((err: unknown) => {
      if (!(err instanceof HubApiError && err.reason === 'exists')) throw err;
    });
    const token = (await admin.createToken(name, { note: 'rehearse simulated user', expiresIn: 24 * 3600 }))
      .token;
    this.clients.set(name, admin);
    return { client: admin, token, hubUser: name };
  }

  private requireAdmin(): HubClient {
    if (!this.admin) throw new HubApiError('auth', 'admin auth needs the admin token (tokenEnv)');
    return this.admin;
  }

  /** Stop the server (named: and remove it); delete the user when we created it (admin auth). */
  private async release(
    hub: HubClient,
    name: string,
    serverName: string,
    timeoutMs = 60_000,
  ): Promise<CleanupLine[]> {
    const lines: CleanupLine[] = [];
    const what = serverName ? `server ${name}/${serverName}` : `server of ${name}`;
    try {
      const r = await hub.stopServer(name, serverName ? { serverName } : {});
      lines.push({
        what,
        ok: true,
        detail: `stop answered ${r.status}; ${await hub.waitForStopped(name, timeoutMs, serverName ? { serverName } : {})}`,
      });
    } catch (err) {
      if (!(err instanceof HubApiError && (err.reason === 'not-found' || err.reason === 'bad-request')))
        lines.push({ what, ok: false, detail: (err as Error).message });
    }
    if (serverName) {
      // The named server's entry stays until removed: DELETE with {"remove": true}.
      try {
        await hub.removeNamedServer(name, serverName);
        lines.push({ what: `named server ${name}/${serverName}`, ok: true, detail: 'removed' });
      } catch (err) {
        if (!(err instanceof HubApiError && err.reason === 'not-found'))
          lines.push({
            what: `named server ${name}/${serverName}`,
            ok: false,
            detail: (err as Error).message,
          });
      }
    }
    if (this.o.auth.kind === 'admin' && this.admin) {
      try {
        lines.push({
          what: `hub user ${name}`,
          ok: true,
          detail: await this.admin.deleteUser(name, { timeoutMs }),
        });
      } catch (err) {
        lines.push({ what: `hub user ${name}`, ok: false, detail: (err as Error).message });
      }
    }
    return lines;
  }

  async stop(server: LaunchResult, opts: { timeoutMs?: number } = {}): Promise<CleanupLine[]> {
    const name = server.hubUser as string;
    const hub = this.clients.get(name) ?? this.requireAdmin();
    const serverName = (server as Partial<WorkshopLaunch>).serverName ?? '';
    return this.release(hub, name, serverName, opts.timeoutMs);
  }
}

/** "user:token" pairs, comma or newline separated (the value of auth.tokensEnv). */
export function parseUserTokens(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(/[\n,]/)) {
    const p = part.trim();
    const i = p.indexOf(':');
    if (i > 0) out.set(p.slice(0, i), p.slice(i + 1));
  }
  return out;
}
