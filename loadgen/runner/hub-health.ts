import { request } from 'undici';
import type { HubService, RecordedTarget, RunEvent } from '../record/types.js';

/**
 * Hub health during a run: every `everyMs` (3 s) one bounded GET per service — the hub's REST API
 * root `hub/api/` (through the proxy, as attendees reach it) and BinderHub's `/health` (503 when
 * its own hub check fails). A service is declared down after `failuresToDeclare` (2) consecutive
 * failed checks (no answer within `timeoutMs` = 10 s, a refused connection, a 5xx), and up again at the first
 * good answer. Each transition is a run event (`hub-outage` at the first failed check of the run
 * of failures, with when it was detected; `hub-recovery` with how long it lasted).
 *
 * Bounded: one check per service in flight, each within `timeoutMs`; `stop()` ends the loop and
 * waits for the check in flight.
 */

export interface HealthEndpoint {
  service: HubService;
  url: string;
}

/** What to probe for a target: the hub API always (when its URL is known), BinderHub's /health. */
export function healthEndpoints(t: RecordedTarget): HealthEndpoint[] {
  const out: HealthEndpoint[] = [];
  const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
  if (t.hubUrl) out.push({ service: 'hub', url: `${slash(t.hubUrl)}hub/api/` });
  if (t.binderUrl) out.push({ service: 'binderhub', url: `${slash(t.binderUrl)}health` });
  return out;
}

export type Check = (url: string, timeoutMs: number) => Promise<string | null>;

/** null when the answer is < 500; else what went wrong. */
export const httpCheck: Check = async (url, timeoutMs) => {
  try {
    const res = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
    await res.body.dump();
    return res.statusCode < 500 ? null : `HTTP ${res.statusCode}`;
  } catch (err) {
    const e = err as Error & { code?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    return e.code ?? e.cause?.code ?? e.message;
  }
};

interface ServiceState {
  ep: HealthEndpoint;
  fails: number;
  firstFailAt: number | null;
  firstFailDetail: string;
  down: boolean;
}

export interface Outage {
  service: HubService;
  start: number;
  end: number | null;
}

export class HubHealthProbe {
  private readonly states: ServiceState[];
  private readonly outages: Outage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly o: {
      endpoints: HealthEndpoint[];
      now: () => number;
      event: (ev: RunEvent) => void;
      everyMs?: number;
      timeoutMs?: number;
      failuresToDeclare?: number;
      check?: Check;
    },
  ) {
    this.states = o.endpoints.map((ep) => ({
      ep,
      fails: 0,
      firstFailAt: null,
      firstFailDetail: '',
      down: false,
    }));
  }

  start(): this {
    const every = this.o.everyMs ?? 3000;
    const loop = () => {
      if (this.stopped) return;
      this.inFlight = this.checkAll().finally(() => {
        this.inFlight = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, every);
      });
    };
    this.timer = setTimeout(loop, every);
    return this;
  }

  /**
   * Stop probing, after a last check (and, if something fails, a second one a second later): a hub
   * that died in the run's last seconds (everyone failed at once, the run ended before the next
   * tick) is still recorded. An outage still open stays open (end null).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.checkAll(true);
    if (this.states.some((s) => s.fails > 0 && !s.down)) {
      await new Promise((r) => setTimeout(r, 1000));
      await this.checkAll(true);
    }
  }

  outagesSoFar(): readonly Outage[] {
    return this.outages;
  }

  /**
   * Did an outage overlap [t0, now]? Also true when a check made now fails: a launch that just
   * failed is attributed to the hub's death even before the second failed check declares it.
   */
  async hitOutage(
    t0: number,
  ): Promise<Outage | { service: HubService; start: number; end: null } | undefined> {
    const seen = this.outages.find((x) => x.end === null || x.end >= t0);
    if (seen) return seen;
    // Many launches failing at once share one check (a rush of 429s must not turn into a rush of
    // health checks): the answer is reused for a second.
    const now = this.o.now();
    if (!this.recent || now - this.recent.at > 1000) this.recent = { at: now, answer: this.checkOnce() };
    return this.recent.answer;
  }

  private recent:
    | { at: number; answer: Promise<{ service: HubService; start: number; end: null } | undefined> }
    | undefined;

  private async checkOnce(): Promise<{ service: HubService; start: number; end: null } | undefined> {
    const check = this.o.check ?? httpCheck;
    for (const s of this.states) {
      if ((await check(s.ep.url, this.o.timeoutMs ?? 10_000)) !== null) {
        return { service: s.ep.service, start: s.firstFailAt ?? this.o.now(), end: null };
      }
    }
    return undefined;
  }

  private async checkAll(final = false): Promise<void> {
    const check = this.o.check ?? httpCheck;
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    await Promise.all(
      this.states.map(async (s) => {
        const at = this.o.now();
        const problem = await check(s.ep.url, timeoutMs);
        if (this.stopped && !final) return;
        this.update(s, at, problem);
      }),
    );
  }

  private update(s: ServiceState, at: number, problem: string | null): void {
    const { service, url } = s.ep;
    if (problem === null) {
      if (s.down) {
        const open = this.outages.findLast((x) => x.service === service && x.end === null);
        const t = this.o.now();
        if (open) open.end = t;
        this.o.event({ type: 'hub-recovery', t, service, downMs: open ? t - open.start : 0 });
      }
      s.fails = 0;
      s.firstFailAt = null;
      s.down = false;
      return;
    }
    if (s.fails === 0) {
      s.firstFailAt = at;
      s.firstFailDetail = problem;
    }
    s.fails += 1;
    if (!s.down && s.fails >= (this.o.failuresToDeclare ?? 2)) {
      s.down = true;
      const start = s.firstFailAt ?? at;
      this.outages.push({ service, start, end: null });
      this.o.event({
        type: 'hub-outage',
        t: start,
        service,
        detectedAt: this.o.now(),
        detail: `GET ${url}: ${s.firstFailDetail}`,
      });
    }
  }
}
