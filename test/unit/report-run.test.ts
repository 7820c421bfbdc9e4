import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { report } from '../../cli/commands/report.js';
import { type CliIO, reportError } from '../../cli/main.js';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import type { IntervalRecord, RunEvent, RunMeta, RunSummary } from '../../loadgen/record/types.js';
import { writeRunReport } from '../../reports/run-report.js';

// writeRunReport and `rehearse report` on a hand-written record (the real local run is in
// test/integration/report-chromium.test.ts): outputs, partial records, unreadable records, secrets.

const SECRET = 's3cr3t-T0KEN-value';
let root: string;
let recordDir: string;

const hist = (ms: number[]): string => {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return encode(h);
};

function writeRecord(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const meta: RunMeta = {
    version: 1,
    id: 'r1',
    tool: { name: 'rehearse', version: '9.9.9' },
    scenario: { name: 'demo', hash: 'ab'.repeat(32), source: 'demo.yaml', normalized: {} },
    seed: 7,
    target: {
      kind: 'binderhub',
      binderUrl: `https://alice:${SECRET}@binder.example.org/?token=${SECRET}#${SECRET}`,
      hubUrl: 'https://hub.example.org/',
      tokenEnv: 'HUB_TOKEN',
    },
    host: { hostname: 'ci', platform: 'linux', arch: 'x64', node: 'v20', cpus: 2, memoryGiB: 8 },
    intervalMs: 10_000,
    plannedUsers: 2,
    startedAt: '2026-01-02T03:04:05.000Z',
    endedAt: '2026-01-02T03:05:05.000Z',
    status: 'completed',
  };
  const events: RunEvent[] = [
    { type: 'run-start', t: 0, plannedUsers: 2 },
    { type: 'arrival', t: 1000, user: 'u1', cohort: 'c', scheduled: 1000, lag: 0, late: false },
    { type: 'arrival', t: 2000, user: 'u2', cohort: 'c', scheduled: 2000, lag: 0, late: false },
    { type: 'step', t: 9000, user: 'u1', step: 'launch', scheduled: 1000, duration: 8000, ok: true },
    { type: 'step', t: 12_000, user: 'u2', step: 'launch', scheduled: 2000, duration: 10_000, ok: false },
    {
      type: 'user-end',
      t: 12_100,
      user: 'u2',
      outcome: 'failed',
      reason: 'timeout',
      firstAttempt: 'timeout',
      cellsRun: 0,
    },
    { type: 'user-end', t: 50_000, user: 'u1', outcome: 'completed', firstAttempt: 'ok', cellsRun: 1 },
    { type: 'run-end', t: 60_000, status: 'completed' },
  ];
  const intervals: IntervalRecord[] = [
    {
      start: 0,
      end: 10_000,
      trends: {
        'launch.ready': hist([8000]),
        'generator.lag': hist([1, 2]),
        'generator.loopDelay': hist([1]),
      },
      rates: { 'launch.failed': { hits: 0, total: 1 } },
      failures: {},
    },
    {
      start: 10_000,
      end: 20_000,
      trends: { 'cell.exec{cell=0}': hist([700]), 'cell.exec': hist([700]), 'generator.lag': hist([3]) },
      rates: { 'launch.failed': { hits: 1, total: 1 } },
      failures: { timeout: { first: 1, final: 1 } },
    },
  ];
  const summary: RunSummary = {
    id: 'r1',
    scenario: 'demo',
    partial: false,
    status: 'completed',
    startedAt: meta.startedAt,
    endedAt: meta.endedAt,
    durationMs: 60_000,
    users: { planned: 2, arrived: 2, late: 0, completed: 1, failed: 1 },
    trends: {},
    rates: { 'launch.failed': { hits: 1, total: 2, rate: 0.5 } },
    failures: { timeout: { first: 1, final: 1 } },
    thresholds: [
      {
        expr: 'launch.ready p(95) < 60s',
        pass: true,
        actual: 8000,
        limit: 60_000,
        op: '<',
        abortOnFail: false,
      },
      { expr: 'launch.failed rate < 1%', pass: false, actual: 0.5, limit: 0.01, op: '<', abortOnFail: false },
    ],
    verdict: 'fail',
    leftovers: [],
  };
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
  writeFileSync(join(dir, 'events.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  writeFileSync(join(dir, 'intervals.jsonl'), `${intervals.map((e) => JSON.stringify(e)).join('\n')}\n`);
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
}

function io(): CliIO & { out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { stdout, stderr, env: {}, out: () => out, err: () => err };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rehearse-report-'));
  recordDir = join(root, 'runs', 'r1');
  writeRecord(recordDir);
});

describe('writeRunReport', () => {
  it('writes report.html, report.md with its PNGs, and junit.xml; the verdict and thresholds are in them', async () => {
    const files = await writeRunReport(recordDir);
    expect(files.verdict).toBe('FAIL');
    expect(files.partial).toBe(false);
    const html = readFileSync(files.html, 'utf8');
    for (const id of ['cohort', 'ready', 'phases', 'cells', 'failures', 'generator', 'cluster']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).toContain('<span>FAIL</span>');
    expect(html).toContain('1 of 2 thresholds failed.');
    expect(html).toContain('No cluster observer data (run with --kubeconfig).');
    const md = readFileSync(files.md, 'utf8');
    for (const png of files.pngs) {
      expect(existsSync(png)).toBe(true);
      expect(md).toContain(`](${png.slice(recordDir.length + 1)})`);
    }
    expect(files.pngs.map((p) => p.slice(recordDir.length + 1))).toContain('report-failures.png');
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit).toContain('tests="2" failures="1"');
    expect(junit).toContain('measured 50%, limit &lt; 1%');
  });

  it('never writes the target credentials, its query or fragment into any output', async () => {
    const files = await writeRunReport(recordDir);
    for (const f of [files.html, files.md, files.junit]) {
      const text = readFileSync(f, 'utf8');
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('alice');
    }
    expect(readFileSync(files.html, 'utf8')).toContain(
      'BinderHub https://binder.example.org/ · hub https://hub.example.org/ · token from $HUB_TOKEN',
    );
  });

  it('adds cluster and plan charts when given', async () => {
    const out = join(root, 'extras');
    const files = await writeRunReport(recordDir, {
      outDir: out,
      cluster: {
        samples: [
          { t: 0, nodes: { user: 1 }, pendingPods: 2 },
          { t: 30_000, nodes: { user: 2 }, pendingPods: 0 },
        ],
      },
      plan: {
        chosen: 'small',
        candidates: [
          { label: 'small', su: 10, p95ReadyMs: 90_000 },
          { label: 'big', su: 30, p95ReadyMs: 20_000 },
        ],
        nodes: [{ t: 0, group: 'user', nodes: 1 }],
      },
    });
    expect(files.html.startsWith(out)).toBe(true);
    const html = readFileSync(files.html, 'utf8');
    expect(html).not.toContain('No cluster observer data');
    expect(files.pngs.map((p) => p.slice(out.length + 1))).toEqual(
      expect.arrayContaining(['report-cluster.png', 'report-plan-frontier.png', 'report-plan-nodes.png']),
    );
  });

  it('says when workers of a distributed run were lost, and how many users with them', async () => {
    const dir = join(root, 'lost', 'r1');
    cpSync(recordDir, dir, { recursive: true });
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummary;
    summary.users = { ...summary.users, lost: 3 };
    summary.workers = [
      { index: 0, where: 'pid 11', planned: 3, reported: 3, lost: 0, state: 'done', status: 'completed' },
      {
        index: 1,
        where: 'pid 12',
        planned: 3,
        reported: 0,
        lost: 3,
        state: 'lost',
        status: 'failed',
        detail: 'killed by SIGKILL',
      },
    ];
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary));
    const html = readFileSync((await writeRunReport(dir)).html, 'utf8');
    expect(html).toContain('1 of 2 workers lost, with 3 planned users whose outcome never arrived');
    expect(html).toContain('worker 1 (pid 12): killed by SIGKILL');
    expect(readFileSync((await writeRunReport(recordDir)).html, 'utf8')).not.toContain('workers lost');
  });

  it('a record without summary.json gives a report marked PARTIAL RECORD and a failing "run finished" case', async () => {
    const dir = join(root, 'partial', 'r1');
    cpSync(recordDir, dir, { recursive: true });
    rmSync(join(dir, 'summary.json'));
    const files = await writeRunReport(dir);
    expect(files.partial).toBe(true);
    expect(files.verdict).toBe('NO THRESHOLDS');
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<strong>PARTIAL RECORD</strong>');
    expect(html).toContain('Thresholds are judged only when a run ends normally');
    expect(readFileSync(files.md, 'utf8')).toContain('PARTIAL RECORD');
    const junit = readFileSync(files.junit, 'utf8');
    expect(junit).toContain('tests="1" failures="1"');
    expect(junit).toContain('<testcase name="run finished"');
  });
});

describe('rehearse report (command)', () => {
  it('a folder of records reports the latest; --json prints the paths and the verdict; exit 0 even on FAIL', async () => {
    const cli = io();
    const code = await report(cli, join(root, 'runs'), { json: true });
    expect(code).toBe(0);
    const out = JSON.parse(cli.out()) as Record<string, unknown>;
    expect(out).toMatchObject({
      html: join(recordDir, 'report.html'),
      md: join(recordDir, 'report.md'),
      junit: join(recordDir, 'junit.xml'),
      verdict: 'FAIL',
      partial: false,
      record: recordDir,
    });
  });

  it('a corrupt meta.json is an input error: exit 2 with the file and the reason', async () => {
    const dir = join(root, 'corrupt', 'r1');
    cpSync(recordDir, dir, { recursive: true });
    writeFileSync(join(dir, 'meta.json'), '{"version": 1, "id": ');
    const cli = io();
    const code = await report(cli, dir, {}).catch((err: unknown) => reportError(err, cli, false));
    expect(code).toBe(2);
    expect(cli.err()).toContain(`error: ${join(dir, 'meta.json')} is not valid JSON`);
    expect(cli.err()).toContain('run the rehearsal again');
  });

  it('a folder without any record is an input error (exit 2)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rehearse-empty-'));
    const cli = io();
    const code = await report(cli, empty, {}).catch((err: unknown) => reportError(err, cli, false));
    expect(code).toBe(2);
    expect(cli.err()).toContain('holds no run record');
  });
});
