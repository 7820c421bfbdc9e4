import { setTimeout as sleep } from 'node:timers/promises';
import type { FailureReason, TrendMetric } from '../../core/metrics.js';
import { BinderLaunchError, launchBinder, type TimedSpawnerMark } from '../clients/binder.js';
import { HubApiError, HubClient, HubRateLimitError } from '../clients/hub.js';
import { JupyterServerClient } from '../clients/kernel-rest.js';
import { parseSpawnerMessage } from '../clients/spawner-progress.js';
import { hubUrlFromServerUrl, userFromServerUrl } from '../launch-once.js';
import type { LedgerResource } from '../record/ledger.js';
import type { RecordedStack, RecordedTarget } from '../record/types.js';
import { failureReason, firstAttemptOutcome, launchSubPhases } from './attribution.js';

/**
 * How a simulated user gets a server and gives it back, per kind of target. The user state
 * machine calls `launch` at its scheduled click and `stop` when it leaves; both are bounded.
 */

export interface LaunchResult {
  serverUrl: string;
  token: string;
  hubUser?: string;
  image?: string;
  /** Clock value when the server was ready. */
  readyAt: number;
  subPhases: Partial<Record<TrendMetric, number>>;
  firstAttempt: 'ok' | FailureReason;
}

/** Thrown by `launch`: the error, with what the first attempt was. */
export class LaunchFailure extends Error {
  constructor(
    readonly error: unknown,
    readonly reason: FailureReason,
    readonly firstAttempt: FailureReason,
    /** What the failed launch may have left on the hub (listed at the end with how to remove it). */
    readonly leftovers: CleanupLine[] = [],
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'LaunchFailure';
  }
}

export interface CleanupLine {
  what: string;
  ok: boolean;
  detail: string;
  /** How a person removes it, when we could not (no secret in it). */
  command?: string;
}

export interface TargetAdapter {
  describe(): RecordedTarget;
  /** `cohort`: the attendee's cohort (its server options, for targets that send them). */
  launch(
    user: string,
    t0: number,
    opts: { signal: AbortSignal; now: () => number; cohort?: string },
  ): Promise<LaunchResult>;
  /** `timeoutMs` bounds each wait (shortened when the run is being aborted). */
  stop(server: LaunchResult, opts?: { timeoutMs?: number }): Promise<CleanupLine[]>;
  /** What `launch(user)` is about to create, for the run's ledger (loadgen/record/ledger.ts). */
  intent?(user: string, at: Date): LedgerResource[];
  /** What a finished launch created (names learnt from the launch), for the ledger. */
  created?(server: LaunchResult): LedgerResource[];
}

const STOP_TIMEOUT_MS = 60_000;

/** A BinderHub (or the local target's front): the `/build` event stream. */
export class BinderTarget implements TargetAdapter {
  constructor(
    private readonly o: {
      binderUrl: string;
      spec: string;
      /** A hub API token: lets `stop` stop the server and delete the temporary user. */
      hubToken?: string;
      hubUrl?: string;
      tokenEnv?: string;
      launchTimeoutMs: number;
      kind?: 'local' | 'binderhub';
      local?: Record<string, number>;
      stack?: RecordedStack;
    },
  ) {}

  describe(): RecordedTarget {
    const { binderUrl, hubUrl, tokenEnv, local, stack } = this.o;
    return {
      kind: this.o.kind ?? 'binderhub',
      binderUrl,
      hubUrl,
      tokenEnv,
      local,
      ...(stack ? { stack } : {}),
    };
  }

  intent(user: string, at: Date): LedgerResource[] {
    const { binderUrl, hubUrl, spec } = this.o;
    return [
      { kind: 'binder-launch', binderUrl, ...(hubUrl ? { hubUrl } : {}), spec, user, at: at.toISOString() },
    ];
  }

  created(server: LaunchResult): LedgerResource[] {
    const hubUrl = this.o.hubUrl ?? hubUrlFromServerUrl(server.serverUrl);
    const name = server.hubUser;
    if (!hubUrl || !name) return [];
    const s: LedgerResource = { kind: 'server', hubUrl, user: name, serverName: '' };
    // Without a hub token, leaving shuts the server down and BinderHub's culler deletes the user.
    return this.o.hubToken ? [{ kind: 'hub-user', hubUrl, name }, s] : [s];
  }

  async launch(
    _user: string,
    t0: number,
    opts: { signal: AbortSignal; now: () => number },
  ): Promise<LaunchResult> {
    try {
      const r = await launchBinder({
        binderUrl: this.o.binderUrl,
        spec: this.o.spec,
        hubToken: undefined,
        timeoutMs: this.o.launchTimeoutMs,
        signal: opts.signal,
        now: opts.now,
      });
      const readyAt = r.phases.find((p) => p.phase === 'ready')?.t ?? opts.now();
      return {
        serverUrl: r.url,
        token: r.token,
        hubUser: userFromServerUrl(r.url),
        image: r.image,
        readyAt,
        subPhases: launchSubPhases(t0, r.phases, r.marks, readyAt),
        firstAttempt: firstAttemptOutcome(r.retries),
      };
    } catch (err) {
      const reason = failureReason(err);
      const retried = err instanceof BinderLaunchError && err.retries > 0;
      // Cut after BinderHub began launching: it goes on without us, and we never learn the URL.
      const cut =
        err instanceof BinderLaunchError &&
        err.phases.some((p) => p.phase === 'launching') &&
        ['aborted', 'stream-cut', 'stall', 'timeout'].includes(err.reason);
      const hub = this.o.hubUrl ?? 'the hub';
      const leftovers: CleanupLine[] = cut
        ? [
            {
              what: 'a server BinderHub was still launching',
              ok: false,
              detail: err.message,
              command: `the hub's culler removes it; or stop it on ${hub}hub/admin`,
            },
          ]
        : [];
      throw new LaunchFailure(err, reason, retried ? 'launch-retried' : reason, leftovers);
    }
  }

  async stop(server: LaunchResult, opts: { timeoutMs?: number } = {}): Promise<CleanupLine[]> {
    const hubUrl = this.o.hubUrl ?? hubUrlFromServerUrl(server.serverUrl);
    if (this.o.hubToken && hubUrl && server.hubUser) {
      return stopViaHub(
        new HubClient({ hubUrl, token: this.o.hubToken, requestTimeoutMs: 15_000 }),
        server.hubUser,
        hubUrl,
        this.o.tokenEnv,
        opts.timeoutMs,
      );
    }
    const rest = new JupyterServerClient({
      serverUrl: server.serverUrl,
      token: server.token,
      requestTimeoutMs: 15_000,
    });
    try {
      await rest.shutdownServer();
      return [{ what: `server ${server.serverUrl}`, ok: true, detail: 'POST api/shutdown' }];
    } catch (err) {
      return [
        {
          what: `server ${server.serverUrl}`,
          ok: false,
          detail: (err as Error).message,
          command: `the hub's idle culler removes it; or stop ${server.hubUser ?? 'the user'} on ${hubUrl ?? 'the hub'}hub/admin`,
        },
      ];
    }
  }
}

/** A JupyterHub without BinderHub: users created and spawned through the REST API with a service token. */
export class JupyterHubTarget implements TargetAdapter {
  private readonly hub: HubClient;

  constructor(
    private readonly o: {
      hubUrl: string;
      token: string;
      tokenEnv: string;
      runTag: string;
      launchTimeoutMs: number;
    },
  ) {
    this.hub = new HubClient({ hubUrl: o.hubUrl, token: o.token, requestTimeoutMs: 30_000 });
  }

  describe(): RecordedTarget {
    return { kind: 'jupyterhub', hubUrl: this.o.hubUrl, tokenEnv: this.o.tokenEnv };
  }

  private userName(user: string): string {
    return `rehearse-${this.o.runTag}-${user}`.toLowerCase();
  }

  intent(user: string): LedgerResource[] {
    const hubUrl = this.o.hubUrl;
    const name = this.userName(user);
    return [
      { kind: 'hub-user', hubUrl, name },
      { kind: 'server', hubUrl, user: name, serverName: '' },
      { kind: 'hub-token', hubUrl, user: name },
    ];
  }

  created(): LedgerResource[] {
    return [];
  }

  async launch(
    user: string,
    t0: number,
    opts: { signal: AbortSignal; now: () => number },
  ): Promise<LaunchResult> {
    const name = this.userName(user);
    const deadline = t0 + this.o.launchTimeoutMs;
    let firstAttempt: 'ok' | FailureReason = 'ok';
    try {
      await this.hub.createUser(name).catch((err: unknown) => {
        if (!(err instanceof HubApiError && err.reason === 'exists')) throw err;
      });
      if (await startWaitingOut429(() => this.hub.startServer(name), deadline, opts)) {
        firstAttempt = 'spawn-limit-429';
      }
      const spawned = await followSpawn(this.hub, name, undefined, this.o.hubUrl, t0, deadline, opts);
      const token = (
        await this.hub.createToken(name, { note: 'rehearse simulated user', expiresIn: 24 * 3600 })
      ).token;
      return { ...spawned, token, hubUser: name, firstAttempt };
    } catch (err) {
      const reason = failureReason(err);
      // The user (and maybe a pending spawn) exists on the hub: remove it now, or list it.
      const lines = await stopViaHub(this.hub, name, this.o.hubUrl, this.o.tokenEnv).catch((e: unknown) => [
        { what: `hub user ${name}`, ok: false, detail: (e as Error).message },
      ]);
      const leftovers = lines.filter((l) => !l.ok);
      throw new LaunchFailure(err, reason, firstAttempt === 'ok' ? reason : firstAttempt, leftovers);
    }
  }

  stop(server: LaunchResult, opts: { timeoutMs?: number } = {}): Promise<CleanupLine[]> {
    return stopViaHub(this.hub, server.hubUser as string, this.o.hubUrl, this.o.tokenEnv, opts.timeoutMs);
  }
}

async function stopViaHub(
  hub: HubClient,
  user: string,
  hubUrl: string,
  tokenEnv?: string,
  timeoutMs = STOP_TIMEOUT_MS,
): Promise<CleanupLine[]> {
  const command = `curl -X DELETE -H "Authorization: token $${tokenEnv ?? 'HUB_TOKEN'}" ${hubUrl}hub/api/users/${encodeURIComponent(user)}`;
  const lines: CleanupLine[] = [];
  try {
    const stop = await hub.stopServer(user);
    lines.push({
      what: `server of ${user}`,
      ok: true,
      detail: `stop answered ${stop.status}; ${await hub.waitForStopped(user, timeoutMs)}`,
    });
  } catch (err) {
    if (!(err instanceof HubApiError && err.reason === 'not-found')) {
      lines.push({ what: `server of ${user}`, ok: false, detail: (err as Error).message, command });
    }
  }
  try {
    lines.push({
      what: `hub user ${user}`,
      ok: true,
      detail: await hub.deleteUser(user, { timeoutMs }),
    });
  } catch (err) {
    lines.push({ what: `hub user ${user}`, ok: false, detail: (err as Error).message, command });
  }
  return lines;
}

/**
 * Follows a requested spawn on the hub's progress stream to ready, timing the launch's sub-phases
 * from the spawner's messages (both hub targets: the plain one and the workshop one).
 */
export async function followSpawn(
  hub: HubClient,
  user: string,
  serverName: string | undefined,
  hubUrl: string,
  t0: number,
  deadline: number,
  opts: { signal: AbortSignal; now: () => number },
): Promise<Pick<LaunchResult, 'serverUrl' | 'readyAt' | 'subPhases'>> {
  const requestedAt = opts.now();
  const marks: TimedSpawnerMark[] = [];
  const ready = await hub.progress(user, {
    ...(serverName ? { serverName } : {}),
    stallMs: 60_000,
    timeoutMs: Math.round(Math.max(1000, deadline - opts.now())),
    signal: opts.signal,
    onMessage: (ev) => {
      const m = ev.message ? parseSpawnerMessage(ev.message) : null;
      if (m) marks.push({ ...m, t: opts.now() });
    },
  });
  const readyAt = opts.now();
  const phases = [
    { phase: 'launching' as const, t: requestedAt },
    { phase: 'ready' as const, t: readyAt },
  ];
  return {
    serverUrl: new URL(ready.url.replace(/^\//, ''), hubUrl).href,
    readyAt,
    subPhases: launchSubPhases(t0, phases, marks, readyAt),
  };
}

/**
 * Starts a server, waiting out JupyterHub's 429 (concurrent_spawn_limit, with Retry-After) as a
 * person would, within the launch deadline. True when a 429 was met on the way (the first attempt's
 * outcome); the last 429 is thrown when waiting would pass the deadline.
 */
export async function startWaitingOut429(
  start: () => Promise<unknown>,
  deadline: number,
  opts: { signal: AbortSignal; now: () => number },
): Promise<boolean> {
  let limited = false;
  for (;;) {
    try {
      await start();
      return limited;
    } catch (err) {
      if (!(err instanceof HubRateLimitError)) throw err;
      limited = true;
      const waitMs = (err.retryAfterSec ?? 30) * 1000;
      if (opts.now() + waitMs > deadline) throw err;
      await sleep(waitMs, undefined, { signal: opts.signal });
    }
  }
}
