import type { HubOutage, RunEvent } from './types.js';

/**
 * Hub outages of a run, from its events (`hub-outage` … `hub-recovery` per service), and how they
 * read in one line. Pure; the terminal summary, the report and the CLI's exit message share it.
 */

export function outagesFromEvents(events: readonly RunEvent[]): HubOutage[] {
  const out: HubOutage[] = [];
  for (const ev of events) {
    if (ev.type === 'hub-outage') {
      out.push({ service: ev.service, start: ev.t, end: null, detectedAt: ev.detectedAt, detail: ev.detail });
    } else if (ev.type === 'hub-recovery') {
      const open = out.findLast((o) => o.service === ev.service && o.end === null);
      if (open) open.end = ev.t;
    }
  }
  return out;
}

const SERVICE_NAME = { hub: 'hub API', binderhub: 'BinderHub /health' } as const;

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** `hub API unreachable 40.2 s → 63.0 s (22.8 s; detected after 4.1 s): GET …: ECONNREFUSED` */
export function describeOutage(o: HubOutage): string {
  const span =
    o.end === null
      ? `from ${sec(o.start)} to the end of the run`
      : `${sec(o.start)} → ${sec(o.end)} (${sec(o.end - o.start)})`;
  return `${SERVICE_NAME[o.service]} unreachable ${span}; detected after ${sec(o.detectedAt - o.start)}: ${o.detail}`;
}
