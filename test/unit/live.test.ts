import { describe, expect, it } from 'vitest';
import { accessToken, hasToken, isLoopback, parseListen, TOKEN_ENV } from '../../live/address.js';
import { forEachValue, LAUNCH_BUCKETS, LiveMetrics } from '../../live/metrics.js';
import { LiveState, liveWants, MAX_FAILURES, PER_INTERVAL_KEYS } from '../../live/state.js';
import { MetricStore } from '../../loadgen/metrics/store.js';
import type { TapRun } from '../../loadgen/record/tap.js';
import type { IntervalRecord, RunEvent } from '../../loadgen/record/types.js';
import { runSections } from '../../reports/run-sections.js';

const RUN: TapRun = {
  id: 'r1',
  scenario: 'demo',
  plannedUsers: 4,
  intervalMs: 10_000,
  startedAt: '2026-12-03T10:00:00.000Z',
  dir: '/tmp/r1',
};

/** Intervals from real samples through the run's own MetricStore. */
function intervals(): IntervalRecord[] {
  const out: IntervalRecord[] = [];
  const store = new MetricStore({ intervalMs: 10_000, onInterval: (r) => out.push(r) });
  // launches of 3 s, 12 s, 70 s (one per interval) and a timed-out one of 900 s
  store.add({ kind: 'trend', metric: 'launch.ready', value: 3_000, t: 5_000 });
  store.add({ kind: 'trend', metric: 'launch.ready', value: 12_000, t: 15_000 });
  store.add({ kind: 'trend', metric: 'launch.ready', value: 70_000, t: 16_000 });
  store.add({ kind: 'trend', metric: 'launch.ready', value: 900_000, t: 25_000 });
  store.add({ kind: 'trend', metric: 'cell.exec', value: 200, t: 15_000, tags: { cell: 0 } });
  store.add({ kind: 'trend', metric: 'cell.exec', value: 4_000, t: 25_000, tags: { cell: 1 } });
  store.add({ kind: 'trend', metric: 'generator.lag', value: 2, t: 5_000 });
  store.add({ kind: 'failure', reason: 'timeout', attempt: 'first', t: 25_000 });
  store.add({ kind: 'failure', reason: 'timeout', attempt: 'final', t: 25_000 });
  store.add({ kind: 'failure', reason: 'launch-retried', attempt: 'first', t: 16_000 });
  for (const [t, hit] of [
    [5_000, false],
    [15_000, false],
    [16_000, false],
    [25_000, true],
  ] as const)
    store.add({ kind: 'rate', metric: 'launch.failed', hit, t });
  store.close(28_000);
  return out;
}

/** The value of the series `name{labels}` in exposition text, whatever the order of its labels. */
function sample(text: string, series: string): string | undefined {
  const parse = (s: string) => {
    const m = /^([a-z_]+)\{(.*)\}$/.exec(s);
    const labels = [...(m?.[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => `${x[1]}=${x[2]}`).sort();
    return `${m?.[1] ?? s}|${labels.join(',')}`;
  };
  const want = parse(series);
  for (const l of text.split('\n')) {
    const i = l.lastIndexOf(' ');
    if (i > 0 && parse(l.slice(0, i)) === want) return l.slice(i + 1);
  }
  return undefined;
}

describe('live address and token', () => {
  it('parses host:port forms; the bare flag is 127.0.0.1 on a free port', () => {
    const o = { flag: '--live', allowPublic: false };
    expect(parseListen(true, o)).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('127.0.0.1:9464', o)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen(':9464', o)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('9464', o)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('localhost', o)).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:80', o)).toEqual({ host: '::1', port: 80 });
    expect(() => parseListen('127.0.0.1:99999', o)).toThrow(/0\.\.65535/);
    expect(() => parseListen('::1:80', o)).toThrow(/brackets/);
  });

  it('refuses an address other than loopback without --live-public, saying why', () => {
    for (const a of ['0.0.0.0:9464', '10.1.2.3', '[::]:9000', 'example.org:80']) {
      expect(() => parseListen(a, { flag: '--metrics', allowPublic: false })).toThrow(
        expect.objectContaining({
          exitCode: 2,
          message: expect.stringMatching(/^--metrics .* other machines, over plain HTTP/),
        }),
      );
      expect(parseListen(a, { flag: '--metrics', allowPublic: true }).host).not.toBe('');
    }
    expect(isLoopback('127.8.9.1')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });

  it('checks the token from the query or a bearer header, nothing else', () => {
    const tok = 'abcdefabcdefabcdef';
    const u = (q: string) => new URL(`http://x/metrics${q}`);
    expect(hasToken(u(`?token=${tok}`), undefined, tok)).toBe(true);
    expect(hasToken(u(''), `Bearer ${tok}`, tok)).toBe(true);
    expect(hasToken(u(''), undefined, tok)).toBe(false);
    expect(hasToken(u(`?token=${tok}0`), undefined, tok)).toBe(false);
    expect(hasToken(u(''), `Basic ${tok}`, tok)).toBe(false);
    expect(accessToken({})).toMatch(/^[0-9a-f]{32}$/);
    expect(accessToken({})).not.toBe(accessToken({}));
    expect(accessToken({ [TOKEN_ENV]: tok })).toBe(tok);
    expect(() => accessToken({ [TOKEN_ENV]: 'short' })).toThrow(/at least 16/);
  });
});

describe('live metrics (prom-client) from interval records', () => {
  it('counts every launch once, in the right buckets; failures by reason and attempt', async () => {
    const m = new LiveMetrics();
    m.start(RUN);
    for (const rec of intervals()) m.interval(rec);
    const text = await m.text();
    const line = (want: string) => sample(text, want);
    const sel = 'run_id="r1",scenario="demo"';
    expect(line(`rehearse_launch_ready_seconds_count{${sel}}`)).toBe('4');
    expect(line(`rehearse_launch_ready_seconds_bucket{le="5",${sel}}`)).toBe('1');
    expect(line(`rehearse_launch_ready_seconds_bucket{le="15",${sel}}`)).toBe('2');
    expect(line(`rehearse_launch_ready_seconds_bucket{le="90",${sel}}`)).toBe('3');
    expect(line(`rehearse_launch_ready_seconds_bucket{le="600",${sel}}`)).toBe('3');
    expect(line(`rehearse_launch_ready_seconds_bucket{le="900",${sel}}`)).toBe('4');
    expect(LAUNCH_BUCKETS.at(-1)).toBeGreaterThan(900); // the 15 min launch timeout has a bucket
    expect(line(`rehearse_cell_exec_seconds_count{cell="0",${sel}}`)).toBe('1');
    expect(line(`rehearse_cell_exec_seconds_bucket{le="5",cell="1",${sel}}`)).toBe('1');
    expect(line(`rehearse_cell_exec_seconds_bucket{le="2.5",cell="1",${sel}}`)).toBe('0');
    expect(line(`rehearse_generator_lag_seconds_count{${sel}}`)).toBe('1');
    expect(line(`rehearse_failures_total{reason="timeout",attempt="first",${sel}}`)).toBe('1');
    expect(line(`rehearse_failures_total{reason="timeout",attempt="final",${sel}}`)).toBe('1');
    expect(line(`rehearse_failures_total{reason="launch-retried",attempt="final",${sel}}`)).toBe('0');
    expect(line(`rehearse_failures_total{reason="launch-retried",attempt="first",${sel}}`)).toBe('1');
    expect(line(`rehearse_run_start_time_seconds{${sel}}`)).toBe(String(Date.parse(RUN.startedAt) / 1000));
  });

  it('users by state partition the planned users', async () => {
    const m = new LiveMetrics();
    m.start(RUN);
    m.progress({ planned: 10, arrived: 8, launching: 2, ready: 3, inCells: 1, completed: 1, failed: 1 });
    const text = await m.text();
    const states = Object.fromEntries(
      [...text.matchAll(/^rehearse_users\{state="(\w+)",[^}]*\} (\d+)$/gm)].map((x) => [x[1], Number(x[2])]),
    );
    expect(states).toEqual({ waiting: 2, launching: 2, ready: 3, leaving: 1, completed: 1, failed: 1 });
    expect(text).toMatch(/^rehearse_users_in_cell\{[^}]*\} 1$/m);
  });

  it('forEachValue yields every recorded value once per count, within HDR precision', () => {
    const [first] = intervals();
    const seen: number[] = [];
    forEachValue(first?.trends['launch.ready'] as string, (s) => seen.push(s));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeCloseTo(3, 2);
  });
});

describe('live state: the report sections on the record so far', () => {
  const events: RunEvent[] = [
    { type: 'run-start', t: 0, plannedUsers: 4 },
    { type: 'arrival', t: 100, user: 'u1', cohort: 'c', scheduled: 100, lag: 0, late: false },
    { type: 'step', t: 3_100, user: 'u1', step: 'launch', scheduled: 100, duration: 3_000, ok: true },
    {
      type: 'step',
      t: 3_500,
      user: 'u1',
      step: 'cell.exec',
      scheduled: 3_300,
      duration: 200,
      ok: true,
      cell: 0,
    },
    {
      type: 'user-end',
      t: 26_000,
      user: 'u1',
      outcome: 'failed',
      reason: 'cell-error',
      firstAttempt: 'ok',
      cellsRun: 2,
      message: 'cell 1, line 1: ValueError: boom',
    },
  ];

  it('keeps what the charts need; cell steps travel in the intervals', () => {
    expect(events.filter(liveWants).map((e) => e.type)).toEqual(['run-start', 'arrival', 'step', 'user-end']);
    expect(liveWants({ type: 'hub-outage' })).toBe(true);
    expect(liveWants({ type: 'cleanup' })).toBe(false);
  });

  it('builds the report charts from what has closed, and grows with each interval', () => {
    const s = new LiveState();
    s.start(RUN);
    for (const ev of events) s.event(ev);
    const recs = intervals();
    s.interval(recs[0] as IntervalRecord);
    const early = s.snapshot();
    expect(early.t).toBe(10_000);
    expect(early.sections.map((x) => x.id)).toEqual([
      'cohort',
      'ready',
      'phases',
      'cells',
      'failures',
      'generator',
    ]);
    expect(early.sections.find((x) => x.id === 'cells')?.spec).toBeUndefined(); // no cell yet
    for (const rec of recs.slice(1)) s.interval(rec);
    const late = s.snapshot();
    expect(late.t).toBe(28_000);
    const cells = late.sections.find((x) => x.id === 'cells');
    expect(cells?.spec).toBeDefined();
    const failures = late.sections.find((x) => x.id === 'failures');
    expect(failures?.note).toMatch(/2 first-attempt and 1 final failures/);
    expect(failures?.details?.[0]?.heading).toBe('cell 1, line 1: ValueError: boom');
    expect(late.failures).toEqual([
      {
        t: 26_000,
        user: 'u1',
        reason: 'cell-error',
        firstAttempt: 'ok',
        message: 'cell 1, line 1: ValueError: boom',
      },
    ]);
  });

  it('draws exactly the charts runSections draws on the same record (merged histograms kept up to date)', () => {
    const s = new LiveState();
    s.start(RUN);
    for (const ev of events) s.event(ev);
    const recs = intervals();
    for (const rec of recs) s.interval(rec);
    for (const iv of s.intervals)
      for (const k of Object.keys(iv.trends)) expect(PER_INTERVAL_KEYS).toContain(k);
    const live = s.snapshot().sections;
    const whole = runSections({
      events,
      intervals: recs,
      summary: {
        id: 'r1',
        scenario: 'demo',
        partial: true,
        status: 'running',
        startedAt: RUN.startedAt,
        durationMs: 28_000,
        users: { planned: 4, arrived: 1, late: 0, completed: 0, failed: 1 },
        trends: {},
        rates: {},
        failures: {},
        thresholds: [],
        verdict: 'none',
        leftovers: [],
      },
    });
    for (const id of ['cohort', 'ready', 'phases', 'cells', 'failures', 'generator']) {
      expect(live.find((x) => x.id === id)?.spec, id).toEqual(whole.find((x) => x.id === id)?.spec);
    }
  });

  it('lists outage events generically, by type, with their fields', () => {
    const s = new LiveState();
    const added = s.event({
      type: 'hub-outage',
      t: 5_000,
      service: 'hub',
      detectedAt: 6_000,
      detail: 'GET x: 502',
    });
    expect(added).toEqual({
      t: 5_000,
      type: 'hub-outage',
      fields: 'service=hub detectedAt=6000 detail=GET x: 502',
    });
    s.event({ type: 'hub-recovery', t: 9_000, service: 'hub', durationMs: 4_000 });
    expect(s.outages.map((o) => o.type)).toEqual(['hub-outage', 'hub-recovery']);
    expect(s.event({ type: 'something-else', t: 1 })).toBeUndefined();
  });

  it('keeps the last MAX_FAILURES failures', () => {
    const s = new LiveState();
    for (let i = 0; i < MAX_FAILURES + 5; i++) {
      s.event({
        type: 'user-end',
        t: i,
        user: `u${i}`,
        outcome: 'failed',
        reason: 'timeout',
        firstAttempt: 'timeout',
        cellsRun: 0,
      });
    }
    expect(s.failures).toHaveLength(MAX_FAILURES);
    expect(s.failures[0]?.user).toBe('u5');
  });
});

describe('the Grafana example (examples/grafana/rehearse-dashboard.json)', () => {
  it('queries only series /metrics exposes, each filtered by the run variable', async () => {
    const { readFileSync } = await import('node:fs');
    const dash = JSON.parse(readFileSync('examples/grafana/rehearse-dashboard.json', 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const m = new LiveMetrics();
    m.start(RUN);
    for (const rec of intervals()) m.interval(rec);
    const exposed = new Set([...(await m.text()).matchAll(/^# TYPE (\w+) /gm)].map((x) => x[1]));
    const exprs = dash.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const used = exprs.flatMap((e) =>
      [...e.matchAll(/\b(rehearse_\w+?)(?:_bucket|_count|_sum)?\{/g)].map((x) => x[1]),
    );
    expect(used.length).toBeGreaterThan(5);
    for (const name of used) expect(exposed, name).toContain(name);
    for (const e of exprs.filter((x) => x.includes('rehearse_'))) expect(e).toContain('run_id=~"$run"');
  });
});
