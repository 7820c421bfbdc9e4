import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample, TrendMetric } from '../../core/metrics.js';
import type { BrowserSpec, GitpullSpec } from '../../scenarios/workshop.js';
import type { Arrival } from '../arrivals.js';
import { followGitpull, gitpullLink, gitpullTarget } from '../clients/gitpull.js';
import { HubSession } from '../clients/hub-login.js';
import type { RunEvent } from '../record/types.js';
import { failureReason } from '../runner/attribution.js';
import type { LaunchResult } from '../runner/targets.js';
import { BrowserCanaryError, runCanary } from './browser.js';

/**
 * The workshop steps between "server ready" and the protocol-level session (user.ts calls
 * `afterLaunch`): follow the nbgitpuller link (launch.gitpull), and for canary attendees drive a
 * real browser from the link to JupyterLab (browser.ready, browser.cell, a screenshot). Every
 * trend is tagged with the attendee's cohort (which carries its profile).
 */

export interface WorkshopStepsOptions {
  hubUrl: string;
  gitpull?: GitpullSpec;
  browser?: BrowserSpec;
  /** Canary users log in through the form with this password (the local target's, or login auth's). */
  loginPassword?: string;
  /** The record folder: canaries/<user>.png goes there. */
  recordDir: string;
  /** Planned attendees (for `browser.fraction`). */
  plannedUsers: number;
  /** The notebook path in the home the canary opens when there is no gitpull urlpath. */
  canaryPath?: string;
}

export interface AfterLaunchContext {
  now(): number;
  emit(s: Sample): void;
  event(ev: RunEvent): void;
  signal: AbortSignal;
}

export class WorkshopSteps {
  private readonly canaries: number;

  constructor(private readonly o: WorkshopStepsOptions) {
    const b = o.browser;
    this.canaries = b ? (b.count ?? Math.max(1, Math.round((b.fraction ?? 0) * o.plannedUsers))) : 0;
  }

  /** Canaries are the first `count` attendees by arrival order: deterministic, and early enough to see the start. */
  isCanary(a: Arrival): boolean {
    return a.index < this.canaries;
  }

  /** The link a person of this server clicks (`direct`: to the server itself, for token auth). */
  link(server: LaunchResult & { serverName?: string }, direct = false): string {
    const user = server.hubUser ?? '';
    const named =
      server.serverName && server.hubUser ? { user: server.hubUser, server: server.serverName } : undefined;
    if (this.o.gitpull)
      return gitpullLink(this.o.hubUrl, this.o.gitpull, named ?? (direct ? { user, direct } : undefined));
    const base = named
      ? `${this.o.hubUrl}user/${encodeURIComponent(named.user)}/${encodeURIComponent(named.server)}/`
      : `${this.o.hubUrl}hub/user-redirect/`;
    return `${base}lab/tree/${this.o.canaryPath ?? ''}`;
  }

  async afterLaunch(
    a: Arrival,
    server: LaunchResult & { serverName?: string },
    ctx: AfterLaunchContext,
  ): Promise<void> {
    const trend = (metric: TrendMetric, value: number) =>
      ctx.emit({ kind: 'trend', metric, value, t: ctx.now(), tags: { cohort: a.cohort } });
    const step = (name: 'gitpull' | 'browser', scheduled: number, ok: boolean, detail?: string) =>
      ctx.event({
        type: 'step',
        t: ctx.now(),
        user: a.id,
        step: name,
        scheduled,
        duration: ctx.now() - scheduled,
        ok,
        detail,
      });
    const canary = this.isCanary(a);
    // A canary's browser follows the nbgitpuller link itself: the pull is then part of browser.ready.
    if (this.o.gitpull && !canary) {
      // Logged in (a password is known): the attendee's cookies follow the whole chain, through the
      // server's OAuth handshake with the hub. Otherwise the user's token, straight to its server.
      let session: HubSession | undefined;
      if (this.o.loginPassword && server.hubUser) {
        session = new HubSession(this.o.hubUrl);
        await session.login(server.hubUser, this.o.loginPassword, ctx.signal);
      }
      const t0 = ctx.now();
      try {
        const r = await followGitpull({
          link: this.link(server, session === undefined),
          spec: this.o.gitpull,
          auth: session ?? { headers: () => ({ authorization: `token ${server.token}` }) },
          timeoutMs: (this.o.gitpull.timeout ?? 300) * 1000,
          signal: ctx.signal,
        });
        trend('launch.gitpull', ctx.now() - t0);
        step('gitpull', t0, true, `${r.chain.length} requests into ${gitpullTarget(this.o.gitpull)}/`);
      } catch (err) {
        step('gitpull', t0, false, (err as Error).message);
        throw err;
      }
    }
    if (!canary) return;
    const rel = join('canaries', `${a.id}.png`);
    const file = join(this.o.recordDir, rel);
    const t0 = ctx.now();
    try {
      const r = await runCanary({
        user: a.id,
        hubUrl: this.o.hubUrl,
        link: this.link(server),
        ...(this.o.loginPassword && server.hubUser
          ? { login: { username: server.hubUser, password: this.o.loginPassword } }
          : { token: server.token }),
        screenshotFile: file,
        timeoutMs: (this.o.browser?.timeout ?? 180) * 1000,
        now: ctx.now,
        signal: ctx.signal,
      });
      trend('browser.ready', r.readyMs);
      trend('browser.cell', r.cellMs);
      step('browser', t0, true, `ready ${r.readyMs} ms, cell ${r.cellMs} ms`);
      ctx.event({
        type: 'canary',
        t: ctx.now(),
        user: a.id,
        cohort: a.cohort,
        ok: true,
        stage: r.stage,
        readyMs: r.readyMs,
        cellMs: r.cellMs,
        ...(existsSync(file) ? { screenshot: rel } : {}),
        message: r.output.slice(0, 200),
      });
    } catch (err) {
      step('browser', t0, false, (err as Error).message);
      ctx.event({
        type: 'canary',
        t: ctx.now(),
        user: a.id,
        cohort: a.cohort,
        ok: false,
        stage: err instanceof BrowserCanaryError ? err.stage : 'unknown',
        ...(existsSync(file) ? { screenshot: rel } : {}),
        reason: failureReason(err),
        message: (err as Error).message,
      });
      throw err;
    }
  }
}
