import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import { summarizeIntervals } from '../../loadgen/metrics/totals.js';
import type { RunRecord } from '../../loadgen/record/reader.js';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { compareRuns } from '../../reports/compare.js';
import { comparisonText, writeComparison } from '../../reports/compare-output.js';

// The written outputs of a comparison (HTML, Markdown + PNGs, JUnit, JSON) for hand-built records.

function interval(samples: Record<string, number[]>, rates: IntervalRecord['rates'] = {}): IntervalRecord {
  const trends: Record<string, string> = {};
  for (const [key, values] of Object.entries(samples)) {
    const h = newHistogram();
    for (const v of values) recordMs(h, v);
    trends[key] = encode(h);
  }
  return { start: 0, end: 10_000, trends, rates, failures: {} };
}

function record(id: string, iv: IntervalRecord, partial = false): RunRecord {
  const meta: RunRecord['meta'] = {
    version: 1,
    id,
    tool: { name: 'rehearse', version: '0.1.0' },
    scenario: { name: 'ci', hash: 'sha256:abc', source: 'ci.yaml', normalized: {} },
    seed: 1,
    target: { kind: 'local', binderUrl: 'http://127.0.0.1:1/', local: { buildSeconds: 1 } },
    host: { hostname: 'ci', platform: 'linux', arch: 'x64', node: 'v20', cpus: 2, memoryGiB: 4 },
    intervalMs: 10_000,
    plannedUsers: 3,
    startedAt: '2025-01-01T00:00:00.000Z',
    status: partial ? 'aborted' : 'completed',
  };
  return {
    dir: `/runs/${id}`,
    meta,
    events: [],
    intervals: [iv],
    summary: {
      id,
      scenario: 'ci',
      partial,
      status: meta.status,
      startedAt: meta.startedAt,
      durationMs: 10_000,
      users: { planned: 3, arrived: 3, late: 0, completed: 3, failed: 0 },
      ...summarizeIntervals([iv]),
      thresholds: [],
      verdict: 'none',
      leftovers: [],
    },
    partial,
    warnings: [],
  };
}

const out = mkdtempSync(join(tmpdir(), 'rehearse-compare-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const failed = (hits: number): IntervalRecord['rates'] => ({ 'launch.failed': { hits, total: 3 } });
const base = record(
  'base',
  interval(
    { 'launch.ready': [3000, 3500, 4000], 'launch.build': [1000, 1000, 1000], 'ws.connect': [5] },
    failed(0),
  ),
);
const slow = record(
  'slow',
  interval(
    { 'launch.ready': [14_000, 14_500, 15_000], 'launch.build': [12_000, 12_000, 12_000], leave: [900] },
    failed(0),
  ),
  true,
);

describe('writeComparison', () => {
  it('writes a self-contained HTML page with the verdict first and both charts inline', async () => {
    const c = compareRuns(base, slow, { tolerance: 0.1 });
    const files = await writeComparison(c, out);
    const html = readFileSync(files.html, 'utf8');
    expect(html.indexOf('REGRESSION')).toBeLessThan(html.indexOf('id="compare-ready-curve"'));
    expect(html).toContain('launch.build p50');
    expect(html).toContain('REGRESSION: beyond tolerance and spread');
    expect(html).toContain('PARTIAL RECORD');
    expect(html.match(/<svg[^>]*class="marks"/g)?.length).toBe(2);
    expect(html).not.toMatch(/<script|(?:src|href)="https?:|url\(https?:/); // works offline
    expect(html).toContain('only in the baseline, not compared: ws.connect');
  });

  it('never writes credentials from the recorded target URLs (HTML, Markdown, JUnit, JSON)', async () => {
    const secret = 'a0b1c2d3e4f5a6b7c8d9e0f1';
    const leaky = record('leaky', slow.intervals[0] as IntervalRecord);
    leaky.meta.target = {
      kind: 'binderhub',
      binderUrl: `https://user:${secret}@binder.example/?token=${secret}`,
    };
    const c = compareRuns(base, leaky, { tolerance: 0.1 });
    const dir = join(out, 'leaky');
    const files = await writeComparison(c, dir);
    for (const f of [files.html, files.markdown, files.json, files.junit])
      expect(readFileSync(f, 'utf8')).not.toContain(secret);
    expect(JSON.stringify(c)).not.toContain(secret);
    expect(readFileSync(files.html, 'utf8')).toContain('binder.example');
  });

  it('Markdown with the verdict table and PNG charts beside it; JUnit one case per metric and rate', async () => {
    const c = compareRuns(base, slow, { tolerance: 0.1 });
    const files = await writeComparison(c, out);
    const md = readFileSync(files.markdown, 'utf8');
    expect(md).toContain('## ❌ REGRESSION');
    expect(md).toMatch(/\| ❌ \*\*FAIL\*\* \| launch\.ready p50 \|/);
    expect(md).toContain('![Time to ready, baseline vs candidate](compare-ready-curve.png)');
    expect(readFileSync(join(out, 'compare-ready-curve.png')).subarray(1, 4).toString()).toBe('PNG');
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit).toContain('tests="3" failures="2"'); // launch.ready, launch.build, launch.failed rate
    expect(junit).toContain('<testcase name="launch.failed rate"');
    expect(JSON.parse(readFileSync(files.json, 'utf8'))).toMatchObject({ regression: true });
  });

  it('identical runs: NO REGRESSION everywhere, and the terminal text says so', async () => {
    const c = compareRuns(base, base, { tolerance: 0.1 });
    const files = await writeComparison(c, join(out, 'same'));
    expect(readFileSync(files.markdown, 'utf8')).toContain('## ✅ NO REGRESSION');
    expect(readFileSync(files.junit, 'utf8')).toContain('failures="0"');
    const text = comparisonText(c);
    expect(text).toContain('✓ NO REGRESSION');
    expect(text).not.toContain('✗');
  });
});
