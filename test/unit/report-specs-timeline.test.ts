import { describe, expect, it } from 'vitest';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import type { IntervalRecord, RunEvent } from '../../loadgen/record/types.js';
import { clusterRows, clusterTimelineSpec, PENDING } from '../../reports/specs/cluster-timeline.js';
import { cohortTimeline, cohortTimelineSpec } from '../../reports/specs/cohort-timeline.js';
import { failures, failuresSpec } from '../../reports/specs/failures.js';
import { generatorHealth, generatorHealthSpec, SATURATION_MS } from '../../reports/specs/generator-health.js';
import {
  frontier,
  type PlanInput,
  planFrontierSpec,
  planNodes,
  planNodesSpec,
} from '../../reports/specs/sizing.js';

const hist = (ms: number[]): string => {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return encode(h);
};

const arrival = (t: number, user: string): RunEvent => ({
  type: 'arrival',
  t,
  user,
  cohort: 'class',
  scheduled: t,
  lag: 0,
  late: false,
});
const launch = (t: number, user: string, scheduled: number, ok: boolean): RunEvent => ({
  type: 'step',
  t,
  user,
  step: 'launch',
  scheduled,
  duration: t - scheduled - (ok ? 500 : 0), // readyAt is 500 ms before the step event
  ok,
});
const end = (t: number, user: string, outcome: 'completed' | 'failed'): RunEvent => ({
  type: 'user-end',
  t,
  user,
  outcome,
  firstAttempt: 'ok',
  cellsRun: 0,
});

describe('cohort timeline', () => {
  // u1 arrives at 1 s, ready at 4.5 s, leaves at 20 s; u2 arrives at 2 s, its launch fails at 8 s;
  // u3 arrives at 3 s, ready at 9.5 s, fails in session at 15 s.
  const events: RunEvent[] = [
    { type: 'run-start', t: 0, plannedUsers: 3 },
    arrival(1000, 'u1'),
    arrival(2000, 'u2'),
    arrival(3000, 'u3'),
    launch(5000, 'u1', 1000, true),
    launch(8000, 'u2', 2000, false),
    end(8100, 'u2', 'failed'),
    launch(10_000, 'u3', 3000, true),
    end(15_000, 'u3', 'failed'),
    end(20_000, 'u1', 'completed'),
    { type: 'run-end', t: 21_000, status: 'completed' },
  ];

  it('partitions arrived attendees into states at every change, ready counted at readyAt', () => {
    const d = cohortTimeline(events);
    const at = (t: number) =>
      Object.fromEntries(d.states.filter((r) => r.t === t).map((r) => [r.state, r.users] as const));
    expect([...new Set(d.states.map((r) => r.t))]).toEqual([
      0, 1000, 2000, 3000, 4500, 8000, 9500, 15_000, 20_000, 21_000,
    ]);
    expect(at(3000)).toEqual({ 'in session': 0, launching: 3, left: 0, failed: 0 });
    expect(at(4500)).toEqual({ 'in session': 1, launching: 2, left: 0, failed: 0 });
    expect(at(8000)).toEqual({ 'in session': 1, launching: 1, left: 0, failed: 1 });
    expect(at(9500)).toEqual({ 'in session': 2, launching: 0, left: 0, failed: 1 });
    expect(at(15_000)).toEqual({ 'in session': 1, launching: 0, left: 0, failed: 2 });
    expect(at(21_000)).toEqual({ 'in session': 0, launching: 0, left: 1, failed: 2 });
    // the states always add up to everyone who has arrived
    for (const t of new Set(d.states.map((r) => r.t))) {
      const sum = d.states.filter((r) => r.t === t).reduce((s, r) => s + r.users, 0);
      expect(sum).toBe(d.totals.find((r) => r.t === t && r.series === 'arrived (total)')?.users);
    }
    const ready = d.totals.filter((r) => r.series === 'ready (total)').map((r) => [r.t, r.users]);
    expect(ready).toContainEqual([4500, 1]);
    expect(ready).toContainEqual([9500, 2]);
    expect(ready.at(-1)).toEqual([21_000, 2]);
    expect(d.endMs).toBe(21_000);
  });

  it('the spec binds times in seconds, one row per state per moment, no duplicate after rounding', () => {
    // u1 leaves 0.2 ms before the end: both moments round to 21 s; the stack must not add them up
    const late = events.map((e) => (e.type === 'user-end' && e.user === 'u1' ? { ...e, t: 20_999.8 } : e));
    const spec = cohortTimelineSpec(late, 21_000) as {
      layer: { data: { values: { t: number; state: string; users: number }[] } }[];
    };
    const states = spec.layer[0]?.data.values ?? [];
    expect(states.filter((r) => r.t === 4.5)).toHaveLength(4);
    const atEnd = states.filter((r) => r.t === 21);
    expect(atEnd.map((r) => [r.state, r.users])).toEqual([
      ['in session', 0],
      ['launching', 0],
      ['left', 1],
      ['failed', 2],
    ]);
    expect(states.every((r) => Object.hasOwn(r, 'order'))).toBe(true);
  });
});

describe('failures by reason over time', () => {
  const intervals: IntervalRecord[] = [
    { start: 0, end: 10_000, trends: {}, rates: {}, failures: { 'spawn-limit-429': { first: 3, final: 0 } } },
    {
      start: 10_000,
      end: 20_000,
      trends: {},
      rates: {},
      failures: { 'spawn-limit-429': { first: 1, final: 1 }, timeout: { first: 0, final: 2 } },
    },
    { start: 20_000, end: 25_000, trends: {}, rates: {}, failures: {} },
  ];

  it('binds one bar per interval, reason and attempt with a count; reasons by frequency', () => {
    const d = failures(intervals);
    expect(d.bars).toEqual([
      { start: 0, end: 10_000, reason: 'spawn-limit-429', attempt: 'first attempt', count: 3 },
      { start: 10_000, end: 20_000, reason: 'spawn-limit-429', attempt: 'first attempt', count: 1 },
      { start: 10_000, end: 20_000, reason: 'spawn-limit-429', attempt: 'final', count: 1 },
      { start: 10_000, end: 20_000, reason: 'timeout', attempt: 'final', count: 2 },
    ]);
    expect(d.reasons).toEqual(['spawn-limit-429', 'timeout']);
    expect(d.totals).toEqual({ first: 4, final: 3 });
  });

  it('the spec binds interval bounds in seconds', () => {
    const spec = failuresSpec(intervals) as { data: { values: { start: number; end: number }[] } };
    expect(spec.data.values.map((v) => [v.start, v.end])).toEqual([
      [0, 10],
      [10, 20],
      [10, 20],
      [10, 20],
    ]);
  });
});

describe('generator health', () => {
  const lagOk = Array.from({ length: 100 }, () => 2);
  const lagLate = Array.from({ length: 100 }, (_, i) => (i < 95 ? 5 : 80)); // p99 80 ms: saturated
  const stall = [...Array.from({ length: 99 }, () => 1), 150]; // one GC-like stall
  const intervals: IntervalRecord[] = [
    {
      start: 0,
      end: 10_000,
      trends: { 'generator.lag': hist(lagOk), 'generator.loopDelay': hist(stall) },
      rates: {},
      failures: {},
    },
    { start: 10_000, end: 20_000, trends: { 'generator.lag': hist(lagLate) }, rates: {}, failures: {} },
  ];

  it('binds p99 and max per interval and series; saturation is a schedule-lag p99 above 20 ms', () => {
    const d = generatorHealth(intervals);
    const pick = (t: number, series: string, stat: string) =>
      d.points.find((p) => p.t === t && p.series === series && p.stat === stat)?.ms ?? -1;
    expect(pick(5000, 'schedule lag', 'p99')).toBeCloseTo(2, 2);
    expect(pick(5000, 'event-loop delay', 'p99')).toBeCloseTo(1, 2);
    expect(pick(5000, 'event-loop delay', 'max')).toBeGreaterThanOrEqual(150);
    expect(pick(5000, 'event-loop delay', 'max')).toBeLessThanOrEqual(150.15);
    expect(pick(15_000, 'schedule lag', 'p99')).toBeGreaterThanOrEqual(80);
    expect(d.points.filter((p) => p.t === 15_000 && p.series === 'event-loop delay')).toEqual([]);
    expect(d.saturated.map((s) => [s.start, s.end])).toEqual([[10_000, 20_000]]);
    expect(d.worstP99['schedule lag']).toBeGreaterThan(SATURATION_MS);
  });

  it('the spec shades saturated intervals and draws the 20 ms reference line', () => {
    const spec = generatorHealthSpec(intervals) as {
      layer: { data: { values: Record<string, number>[] } }[];
    };
    expect(spec.layer[0]?.data.values).toEqual([{ start: 10, end: 20 }]);
    expect(spec.layer[1]?.data.values[0]?.plotted).toBe(SATURATION_MS);
    expect(spec.layer[2]?.data.values.every((v) => (v.plotted ?? 0) >= 0.1)).toBe(true);
  });
});

describe('cluster timeline', () => {
  it('binds nodes per group and pending pods per sample; a group missing from a sample is 0', () => {
    const d = clusterRows({
      samples: [
        { t: 60_000, nodes: { user: 2, core: 1 }, pendingPods: 0 },
        { t: 0, nodes: { core: 1 }, pendingPods: 4 },
      ],
    });
    expect(d.groups).toEqual(['core', 'user']);
    expect(d.rows).toEqual([
      { t: 0, series: 'core', count: 1 },
      { t: 0, series: 'user', count: 0 },
      { t: 0, series: PENDING, count: 4 },
      { t: 60_000, series: 'core', count: 1 },
      { t: 60_000, series: 'user', count: 2 },
      { t: 60_000, series: PENDING, count: 0 },
    ]);
    const spec = clusterTimelineSpec({ samples: [{ t: 30_000, nodes: { a: 1 }, pendingPods: 2 }] }) as {
      data: { values: { t: number }[] };
    };
    expect(spec.data.values.map((v) => v.t)).toEqual([30, 30]);
    // held until the end of the run
    const held = clusterRows({ samples: [{ t: 30_000, nodes: { a: 3 }, pendingPods: 1 }] }, 90_000);
    expect(held.rows.slice(2)).toEqual([
      { t: 90_000, series: 'a', count: 3 },
      { t: 90_000, series: PENDING, count: 1 },
    ]);
  });
});

describe('capacity plan', () => {
  const plan: PlanInput = {
    chosen: 'B',
    candidates: [
      { label: 'C', su: 260, p95ReadyMs: 60_000 },
      { label: 'A', su: 100, p95ReadyMs: 300_000 },
      { label: 'D', su: 250, p95ReadyMs: 200_000 },
      { label: 'B', su: 180, p95ReadyMs: 90_000 },
      { label: 'E', su: 260, p95ReadyMs: 70_000 },
    ],
    nodes: [
      { t: 0, group: 'user', nodes: 2 },
      { t: 600_000, group: 'user', nodes: 5 },
    ],
  };

  it('marks the Pareto frontier over (SUs, p95) and the chosen plan', () => {
    expect(frontier(plan).map((p) => [p.label, p.su, p.p95s, p.frontier, p.chosen])).toEqual([
      ['A', 100, 300, true, false],
      ['B', 180, 90, true, true],
      ['D', 250, 200, false, false],
      ['C', 260, 60, true, false],
      ['E', 260, 70, false, false],
    ]);
    const spec = planFrontierSpec(plan) as { data: { values: unknown[] } };
    expect(spec.data.values).toHaveLength(5);
  });

  it('binds node counts over time in the run time unit', () => {
    const spec = planNodesSpec(plan) as {
      data: { values: { t: number; nodes: number }[] };
      encoding: object;
    };
    expect(spec.data.values.map((v) => [v.t, v.nodes])).toEqual([
      [0, 2],
      [10, 5],
    ]);
    const held = planNodes({ ...plan, endMs: 3_600_000 });
    expect(held.rows.at(-1)).toEqual({ t: 3_600_000, group: 'user', nodes: 5 });
    expect(JSON.stringify(spec.encoding)).toContain('minutes since the start');
  });
});
