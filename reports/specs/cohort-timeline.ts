/**
 * Cohort timeline: where every attendee is at each moment of the run, derived from events.jsonl.
 *
 * Each arrived attendee is in exactly one state, so the stacked areas always add up to everyone
 * who has arrived so far (the black "arrived" line is their top edge):
 *
 *   arrival                         → launching   (clicked the Binder link, no server yet)
 *   launch step ok, at its readyAt  → in session  (readyAt = scheduled + duration)
 *   launch step failed, at t        → failed
 *   user-end completed, at t        → left
 *   user-end failed, at t           → failed      (a session that broke after the launch)
 *
 * "ready (total)" counts launches that succeeded up to each moment (it never decreases).
 */
import type { TopLevelSpec } from 'vega-lite';
import { outagesFromEvents } from '../../loadgen/record/outages.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { CHART_HEIGHT, CHART_WIDTH, PALETTE, type TimeAxis, timeAxis, toAxis } from './theme.js';

export type CohortState = 'in session' | 'launching' | 'left' | 'failed';
/** Stacking order, bottom to top. */
export const COHORT_STATES: readonly CohortState[] = ['in session', 'launching', 'left', 'failed'];
export type CohortTotal = 'arrived (total)' | 'ready (total)';

export interface CohortTimeline {
  /** One row per state at every moment something changed (and at 0 and the end); t in ms. */
  states: { t: number; state: CohortState; users: number }[];
  totals: { t: number; series: CohortTotal; users: number }[];
  endMs: number;
}

interface Transition {
  t: number;
  user: string;
  to: CohortState;
}

function transitions(events: readonly RunEvent[]): Transition[] {
  const out: Transition[] = [];
  for (const ev of events) {
    if (ev.type === 'arrival') out.push({ t: ev.t, user: ev.user, to: 'launching' });
    else if (ev.type === 'step' && ev.step === 'launch') {
      out.push(
        ev.ok
          ? { t: ev.scheduled + ev.duration, user: ev.user, to: 'in session' }
          : { t: ev.t, user: ev.user, to: 'failed' },
      );
    } else if (ev.type === 'user-end') {
      out.push({ t: ev.t, user: ev.user, to: ev.outcome === 'completed' ? 'left' : 'failed' });
    }
  }
  // Stable sort: simultaneous transitions of one user keep their event order.
  return out.sort((a, b) => a.t - b.t);
}

/** The state counts after every change. `endMs` defaults to the last event's time. */
export function cohortTimeline(events: readonly RunEvent[], endMs?: number): CohortTimeline {
  const end = endMs ?? events.reduce((m, e) => Math.max(m, e.t), 0);
  const where = new Map<string, CohortState>();
  const count: Record<CohortState, number> = { 'in session': 0, launching: 0, left: 0, failed: 0 };
  let arrived = 0;
  let ready = 0;
  const out: CohortTimeline = { states: [], totals: [], endMs: end };
  const snapshot = (t: number) => {
    for (const state of COHORT_STATES) out.states.push({ t, state, users: count[state] });
    out.totals.push(
      { t, series: 'arrived (total)', users: arrived },
      { t, series: 'ready (total)', users: ready },
    );
  };
  snapshot(0);
  const list = transitions(events);
  list.forEach((tr, i) => {
    const from = where.get(tr.user);
    if (from === tr.to || from === 'failed') return; // a failed user stays failed
    if (from === undefined) arrived++;
    else count[from]--;
    count[tr.to]++;
    if (tr.to === 'in session') ready++;
    where.set(tr.user, tr.to);
    const next = list[i + 1];
    if (next === undefined || next.t !== tr.t) snapshot(Math.max(0, tr.t));
  });
  // Hold the last counts until the end of the run (step-after needs a closing point).
  const last = out.states[out.states.length - 1];
  if (last !== undefined && last.t < end) snapshot(end);
  return out;
}

/**
 * Two snapshots can land on the same axis value once rounded (a user leaving 0.3 ms before the
 * run ends); the stack would add them up. Keep the later one of each (t, state).
 */
function lastPerKey<R extends { t: number; state: CohortState }>(rows: R[]): R[] {
  return [...new Map(rows.map((r) => [`${r.t}|${r.state}`, r])).values()];
}

/** Stacked step areas of the states, lines for the two totals. */
export function cohortTimelineSpec(events: readonly RunEvent[], endMs?: number): TopLevelSpec {
  const data = cohortTimeline(events, endMs);
  const axis: TimeAxis = timeAxis(data.endMs);
  const x = {
    field: 't',
    type: 'quantitative' as const,
    title: axis.title,
    scale: { domain: [0, toAxis(data.endMs, axis)], nice: false },
  };
  const colour = {
    domain: [...COHORT_STATES, 'arrived (total)', 'ready (total)'],
    range: [
      PALETTE.blue,
      PALETTE.orange,
      PALETTE.lightGrey,
      PALETTE.vermillion,
      PALETTE.black,
      PALETTE.green,
    ],
  };
  // Hub outages (the health probe's events) as shaded spans with a label, under the areas.
  const outages = outagesFromEvents(events).map((o) => ({
    t: toAxis(o.start, axis),
    t2: toAxis(o.end ?? data.endMs, axis),
    label: o.service === 'hub' ? 'hub down' : 'BinderHub down',
  }));
  // One label per start (the hub's death takes BinderHub's /health down with it, seconds apart).
  const labels: { t: number; label: string }[] = [];
  for (const o of [...outages].sort((p, q) => p.t - q.t)) {
    const near = labels.find((l) => Math.abs(l.t - o.t) <= toAxis(10_000, axis));
    if (near) near.label = `${near.label.replace(/ down$/, '')} + ${o.label}`;
    else labels.push({ t: o.t, label: o.label });
  }
  const outageLayers =
    outages.length === 0
      ? []
      : [
          {
            data: { values: outages },
            mark: { type: 'rect' as const, color: PALETTE.black, opacity: 0.18 },
            encoding: { x: { ...x, field: 't' }, x2: { field: 't2' } },
          },
          {
            data: { values: outages },
            mark: { type: 'rule' as const, color: PALETTE.vermillion, strokeWidth: 2 },
            encoding: { x: { ...x, field: 't' } },
          },
          {
            data: { values: labels },
            mark: {
              type: 'text' as const,
              align: 'left' as const,
              baseline: 'top' as const,
              dx: 4,
              dy: 3,
              y: 0,
              fontWeight: 'bold' as const,
            },
            encoding: { x: { ...x, field: 't' }, text: { field: 'label', type: 'nominal' as const } },
          },
        ];
  return {
    description:
      'Attendees by state over time: launching, in session, left, failed; arrived and ready totals' +
      (outages.length > 0 ? '; shaded: hub outages' : ''),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [
      {
        data: {
          values: lastPerKey(
            data.states.map((r) => ({ ...r, t: toAxis(r.t, axis), order: COHORT_STATES.indexOf(r.state) })),
          ),
        },
        mark: { type: 'area', interpolate: 'step-after', opacity: 0.85 },
        encoding: {
          x,
          y: {
            field: 'users',
            type: 'quantitative',
            stack: 'zero',
            title: 'attendees',
            axis: { tickMinStep: 1, format: 'd' },
          },
          color: { field: 'state', type: 'nominal', title: null, scale: colour },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: data.totals.map((r) => ({ ...r, t: toAxis(r.t, axis) })) },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'users', type: 'quantitative', stack: null },
          color: { field: 'series', type: 'nominal', title: null, scale: colour },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            legend: null,
            scale: {
              domain: ['arrived (total)', 'ready (total)'],
              range: [
                [1, 0],
                [6, 3],
              ],
            },
          },
        },
      },
      // On top: the spans must show through the stacked areas.
      ...outageLayers,
    ],
  };
}
