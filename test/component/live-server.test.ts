import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveHub } from '../../live/hub.js';
import { closeServer, createLiveServer, ListenError, listen } from '../../live/server.js';
import { MetricStore } from '../../loadgen/metrics/store.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { rehearseChild } from '../helpers/cli-child.js';
import { PROMTOOL, prometheusMissing } from '../helpers/prometheus.js';

// The live server in this process on port 0 (no Jupyter stack needed: it is fed interval records
// from the run's own MetricStore), and the CLI's refusals before anything starts.
const TOKEN = 'component-token-0123456789';
const missing = prometheusMissing();

function records(): IntervalRecord[] {
  const out: IntervalRecord[] = [];
  const store = new MetricStore({ intervalMs: 10_000, onInterval: (r) => out.push(r) });
  store.add({ kind: 'trend', metric: 'launch.ready', value: 8_000, t: 9_000 });
  store.add({ kind: 'trend', metric: 'launch.pull', value: 2_000, t: 9_000 });
  store.add({ kind: 'trend', metric: 'cell.exec', value: 300, t: 12_000, tags: { cell: 2 } });
  store.add({ kind: 'trend', metric: 'generator.lag', value: 1, t: 12_000 });
  store.add({ kind: 'failure', reason: 'spawn-limit-429', attempt: 'first', t: 12_000 });
  store.add({ kind: 'rate', metric: 'launch.failed', hit: false, t: 9_000 });
  store.close(15_000);
  return out;
}

/** Read server-sent events until `n` have arrived (bounded). */
async function readEvents(
  url: string,
  n: number,
  during?: () => void,
): Promise<{ event: string; data: string }[]> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10_000);
  const res = await fetch(url, { signal: ctl.signal });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const out: { event: string; data: string }[] = [];
  const reader = res.body?.getReader();
  let buf = '';
  let called = false;
  try {
    while (reader && out.length < n) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += new TextDecoder().decode(value);
      for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) out.push({ event, data });
      }
      if (!called && out.length > 0) {
        called = true;
        during?.();
      }
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return out;
}

describe('live server (in process, port 0)', () => {
  const hub = new LiveHub();
  let page: Server;
  let metricsOnly: Server;
  let base: string;
  let metricsBase: string;

  beforeAll(async () => {
    page = createLiveServer({ hub, token: TOKEN, page: true });
    metricsOnly = createLiveServer({ hub, token: TOKEN, page: false });
    base = `http://127.0.0.1:${await listen(page, { host: '127.0.0.1', port: 0 })}`;
    metricsBase = `http://127.0.0.1:${await listen(metricsOnly, { host: '127.0.0.1', port: 0 })}`;
    hub.handle({
      kind: 'start',
      run: {
        id: 'run-c',
        scenario: 'comp',
        plannedUsers: 2,
        intervalMs: 10_000,
        startedAt: '2026-12-03T10:00:00Z',
        dir: '/tmp/x',
      },
    });
  });

  afterAll(async () => {
    hub.closeClients();
    await closeServer(page);
    await closeServer(metricsOnly);
  });

  it('refuses every path without the token (401), and anything but GET', async () => {
    for (const path of [
      '/',
      '/events',
      '/metrics',
      '/assets/vega.min.js',
      '/assets/live.js',
      '/report',
      '/nope',
    ]) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0000000000' } }))
        .status,
    ).toBe(401);
    expect((await fetch(`${base}/metrics?token=${TOKEN}`, { method: 'POST' })).status).toBe(405);
  });

  it('serves the page with a self-only CSP, and vega from the installed package', async () => {
    const r = await fetch(`${base}/?token=${TOKEN}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await r.text();
    expect(html).toContain(`/assets/vega.min.js?token=${TOKEN}`);
    expect(html).not.toMatch(/https?:\/\//);
    const vega = await fetch(`${base}/assets/vega.min.js?token=${TOKEN}`);
    expect(vega.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await vega.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${base}/report?token=${TOKEN}`)).status).toBe(404); // not written yet
  });

  it('streams a snapshot at once, then one per closed interval, and failures as they happen', async () => {
    const recs = records();
    const events = await readEvents(`${base}/events?token=${TOKEN}`, 4, () => {
      for (const rec of recs) hub.handle({ kind: 'interval', rec });
      hub.handle({
        kind: 'event',
        ev: {
          type: 'user-end',
          t: 14_000,
          user: 'u1',
          outcome: 'failed',
          reason: 'spawn-limit-429',
          firstAttempt: 'spawn-limit-429',
          cellsRun: 0,
          message: '429',
        },
      });
    });
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'snapshot', 'snapshot', 'failure']);
    const last = JSON.parse(events[2]?.data ?? '{}') as {
      intervals: number;
      sections: { id: string; vega?: unknown }[];
    };
    expect(last.intervals).toBe(2);
    expect(last.sections.filter((s) => s.vega !== undefined).map((s) => s.id)).toEqual([
      'ready',
      'phases',
      'cells',
      'failures',
      'generator',
    ]);
    expect(JSON.parse(events[3]?.data ?? '{}')).toMatchObject({
      user: 'u1',
      reason: 'spawn-limit-429',
      message: '429',
    });
    expect(hub.warnings).toEqual([]);
  });

  it('/metrics: exposition that promtool accepts; a --metrics server serves nothing else', async (ctx) => {
    const r = await fetch(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await r.text();
    expect(text).toMatch(/^rehearse_launch_ready_seconds_count\{run_id="run-c",scenario="comp"\} 1$/m);
    expect(text).toMatch(
      /^rehearse_failures_total\{reason="spawn-limit-429",attempt="first",run_id="run-c",scenario="comp"\} 1$/m,
    );
    expect((await fetch(`${metricsBase}/?token=${TOKEN}`)).status).toBe(404);
    if (missing) {
      ctx.skip(missing);
      return;
    }
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });

  it('a taken address is a ListenError naming EADDRINUSE', async () => {
    const taken = Number(new URL(base).port);
    const other = createLiveServer({ hub, token: TOKEN, page: true });
    await expect(listen(other, { host: '127.0.0.1', port: taken })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      address: { host: '127.0.0.1', port: taken },
    });
    expect(ListenError).toBeDefined();
  });
});

describe('rehearse run --live: refused before anything starts (exit 2)', () => {
  it('an address in use: exit 2 naming it', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const c = rehearseChild(['run', 'scenarios/quickstart.yaml', '--live', `127.0.0.1:${port}`], {
        killAfterMs: 60_000,
      });
      expect(await c.code).toBe(2);
      expect(c.stderr()).toContain(`--live 127.0.0.1:${port}: the address is already in use`);
      expect(c.stderr()).not.toContain('starting JupyterHub');
    } finally {
      blocker.close();
    }
  });

  it('a non-loopback address without --live-public: exit 2 with the reason', async () => {
    const c = rehearseChild(['run', 'scenarios/quickstart.yaml', '--metrics', '0.0.0.0:0'], {
      killAfterMs: 60_000,
    });
    expect(await c.code).toBe(2);
    expect(c.stderr()).toMatch(
      /--metrics 0\.0\.0\.0:0 would serve the run's live page and metrics to other machines, over plain HTTP/,
    );
    expect(c.stderr()).toContain('--live-public');
  });
});
