import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunSummary, TrendSummary } from '../../loadgen/record/types.js';
import type { ProgressSnapshot } from '../../loadgen/runner/progress.js';
import {
  colorEnabled,
  createTerminalReporter,
  formatProgress,
  formatRunTime,
} from '../../loadgen/terminal/progress.js';
import { formatMs, formatSummary } from '../../loadgen/terminal/summary.js';

const CLEAR = '\r\x1b[2K';

function trend(count: number, p50: number, p90: number, p95: number, p99: number, max: number): TrendSummary {
  return { count, min: p50 / 2, max, mean: p50, p50, p90, p95, p99 };
}

function handBuilt(over: Partial<RunSummary> = {}): RunSummary {
  return {
    id: '20250304-050607-pythia-ab12',
    scenario: 'pythia-workshop',
    partial: false,
    status: 'completed',
    startedAt: '2025-03-04T05:06:07.000Z',
    endedAt: '2025-03-04T05:36:07.000Z',
    durationMs: 1_800_000,
    users: { planned: 60, arrived: 60, late: 2, completed: 56, failed: 4 },
    trends: {
      'launch.ready': trend(57, 38_000, 52_500, 58_100, 125_000, 252_000),
      'launch.build': trend(0, 0, 0, 0, 0, 0),
      'launch.pull': trend(12, 8_400, 15_000, 16_200, 19_900, 20_000),
      'kernel.start': trend(56, 850, 1_200, 1_460, 2_000, 2_300),
      'cell.exec': trend(560, 120, 2_400, 3_100, 9_800, 14_000),
      'cell.exec{cell=10}': trend(56, 3_000, 9_000, 9_500, 9_900, 14_000),
      'cell.exec{cell=2}': trend(56, 0.4, 1.5, 2, 3, 4),
      'generator.lag': trend(900, 1.2, 3, 4.5, 12, 40),
    },
    rates: {
      'launch.failed': { hits: 3, total: 60, rate: 0.05 },
      'arrival.late': { hits: 2, total: 60, rate: 2 / 60 },
    },
    failures: { timeout: { first: 3, final: 1 }, 'rate-limit': { first: 2, final: 0 } },
    thresholds: [
      {
        expr: 'launch.ready p(95) < 60s',
        pass: true,
        actual: 58_100,
        limit: 60_000,
        op: '<',
        abortOnFail: false,
      },
      {
        expr: 'launch.failed rate < 0.01',
        pass: false,
        actual: 0.05,
        limit: 0.01,
        op: '<',
        abortOnFail: true,
      },
      { expr: 'cell.failed count == 0', pass: true, actual: null, limit: 0, op: '==', abortOnFail: false },
    ],
    verdict: 'fail',
    leftovers: [],
    ...over,
  };
}

/** The whitespace-separated cells of the first line starting with `label` (after indentation). */
function row(text: string, label: string): string[] {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${label} `));
  if (line === undefined) throw new Error(`no row "${label}" in:\n${text}`);
  return line.trim().split(/\s+/);
}

describe('formatMs', () => {
  it.each([
    [0.4, '0.4ms'],
    [2, '2ms'],
    [12.3, '12ms'],
    [999, '999ms'],
    [1_000, '1.0s'],
    [41_234, '41.2s'],
    [119_900, '119.9s'],
    [120_000, '2m00s'],
    [252_000, '4m12s'],
    [3_780_000, '1h03m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatMs(ms)).toBe(text);
  });
});

describe('formatSummary', () => {
  const text = formatSummary(handBuilt(), { color: false });

  it('prints users and each trend with data, in human units', () => {
    expect(row(text, 'planned')).toEqual('planned 60 arrived 60 late 2 completed 56 failed 4'.split(' '));
    expect(row(text, 'launch.ready')).toEqual([
      'launch.ready',
      '57',
      '38.0s',
      '52.5s',
      '58.1s',
      '2m05s',
      '4m12s',
    ]);
    expect(row(text, 'launch.pull')).toEqual([
      'launch.pull',
      '12',
      '8.4s',
      '15.0s',
      '16.2s',
      '19.9s',
      '20.0s',
    ]);
    expect(row(text, 'kernel.start')).toEqual([
      'kernel.start',
      '56',
      '850ms',
      '1.2s',
      '1.5s',
      '2.0s',
      '2.3s',
    ]);
    expect(row(text, 'generator.lag')).toEqual([
      'generator.lag',
      '900',
      '1.2ms',
      '3ms',
      '4.5ms',
      '12ms',
      '40ms',
    ]);
    expect(text).not.toContain('launch.build');
    expect(text).not.toContain('ws.connect');
  });

  it('puts per-cell rows, indented and in cell order, under cell.exec', () => {
    const lines = text.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(at('  cell.exec ')).toBeGreaterThan(0);
    expect(at('    cell 2 ')).toBe(at('  cell.exec ') + 1);
    expect(at('    cell 10 ')).toBe(at('  cell.exec ') + 2);
    expect(row(text, 'cell 2')).toEqual(['cell', '2', '56', '0.4ms', '1.5ms', '2ms', '3ms', '4ms']);
  });

  it('prints rates as %, failures first vs final, thresholds with measured values, verdict', () => {
    expect(row(text, 'launch.failed')).toEqual(['launch.failed', '5.0%', '(3/60)']);
    expect(row(text, 'arrival.late')).toEqual(['arrival.late', '3.3%', '(2/60)']);
    expect(text).toMatch(/reason\s+first attempt\s+final/);
    expect(row(text, 'timeout')).toEqual(['timeout', '3', '1']);
    expect(row(text, 'rate-limit')).toEqual(['rate-limit', '2', '0']);
    expect(row(text, '✓ launch.ready')).toEqual('✓ launch.ready p(95) < 60s measured 58.1s'.split(' '));
    expect(row(text, '✗ launch.failed')).toEqual(
      '✗ launch.failed rate < 0.01 measured 5.0% (abortOnFail)'.split(' '),
    );
    expect(row(text, '✓ cell.failed')).toEqual('✓ cell.failed count == 0 measured no data'.split(' '));
    expect(text).toContain('Verdict: FAIL (1 of 3 thresholds)');
    expect(text).not.toContain('PARTIAL');
  });

  it('flags a partial record, says when there are no thresholds, lists leftovers with commands', () => {
    const partial = formatSummary(
      handBuilt({
        partial: true,
        status: 'aborted',
        stopReason: 'SIGINT',
        thresholds: [],
        verdict: 'none',
        leftovers: [
          { what: 'server of user rehearse-3', command: 'jupyterhub-api delete /users/rehearse-3' },
        ],
      }),
      { color: false },
    );
    expect(partial).toContain('PARTIAL: the run did not end normally (SIGINT)');
    // Something left behind is not a pass, whatever the thresholds say (exit 1 in the CLI).
    expect(partial).toContain('Verdict: FAIL (1 thing left behind)  (partial record)');
    expect(partial).toContain('    jupyterhub-api delete /users/rehearse-3');
    expect(formatSummary(handBuilt({ verdict: 'pass', thresholds: [] }), { color: false })).toContain(
      'Verdict: PASS',
    );
  });

  it('a hub outage fails the verdict and is listed with when it was detected', () => {
    const out = formatSummary(
      handBuilt({
        verdict: 'pass',
        outages: [
          { service: 'hub', start: 40_100, end: 63_000, detectedAt: 43_100, detail: 'GET h: HTTP 503' },
        ],
      }),
      { color: false },
    );
    expect(out).toContain('Hub outages (1): not a pass, whatever the thresholds say');
    expect(out).toContain(
      '  hub API unreachable 40.1 s → 63.0 s (22.9 s); detected after 3.0 s: GET h: HTTP 503',
    );
    expect(out).toContain('Verdict: FAIL (the hub was unreachable during the run)');
  });

  it('has no escape codes without color, and colors marks and verdict with it', () => {
    expect(text.includes('\x1b')).toBe(false);
    const colored = formatSummary(handBuilt(), { color: true });
    expect(colored).toContain('\x1b[32m✓\x1b[39m');
    expect(colored).toContain('\x1b[31m✗\x1b[39m');
    expect(colored).toContain('\x1b[31m\x1b[1mFAIL');
  });
});

class FakeStream extends Writable {
  chunks: string[] = [];
  columns: number | undefined;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk.toString());
    cb();
  }
  get text(): string {
    return this.chunks.join('');
  }
}

function snap(t: number, over: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    t,
    planned: 60,
    arrived: 34,
    launching: 5,
    ready: 27,
    inCells: 9,
    completed: 0,
    failed: 2,
    launchReadyP95: 41_200,
    late: 0,
    ...over,
  };
}

describe('progress line', () => {
  it('has the documented format', () => {
    expect(formatProgress(snap(12_300))).toBe(
      '12.3s  arrived 34/60  launching 5  ready 27  in cells 9  done 0  failed 2  late 0  launch.ready p95 41.2s',
    );
    expect(formatProgress(snap(0, { launchReadyP95: null }))).toMatch(/launch\.ready p95 -$/);
    expect([formatRunTime(59_940), formatRunTime(65_000), formatRunTime(3_723_000)]).toEqual([
      '59.9s',
      '1m05s',
      '1h02m03s',
    ]);
  });

  it('colors only on a TTY without NO_COLOR', () => {
    expect(colorEnabled(new FakeStream(false), {})).toBe(false);
    expect(colorEnabled(new FakeStream(true), { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled(new FakeStream(true), { NO_COLOR: '' })).toBe(true);
    expect(colorEnabled(new FakeStream(true), {})).toBe(true);
  });
});

describe('TTY reporter', () => {
  it('redraws in place at most 4 times a second, keeps messages on their own lines', () => {
    const stream = new FakeStream(true);
    let now = 0;
    const r = createTerminalReporter({ stream, isTTY: true, color: false, now: () => now });
    r.onProgress(snap(1_000, { arrived: 1 }));
    expect(stream.chunks).toEqual([`${CLEAR}${formatProgress(snap(1_000, { arrived: 1 }))}`]);
    for (let i = 1; i <= 9; i++) {
      now = i * 20; // 9 snapshots within 200 ms: throttled
      r.onProgress(snap(1_000 + i * 20, { arrived: 1 + i }));
    }
    expect(stream.chunks).toHaveLength(1);
    now = 250;
    r.onProgress(snap(1_250, { arrived: 11 }));
    expect(stream.chunks).toHaveLength(2);
    expect(stream.chunks[1]?.startsWith(`${CLEAR}1.3s  arrived 11/60  `)).toBe(true);

    r.onMessage('BinderHub answered 429');
    expect(stream.chunks[2]).toBe(`${CLEAR}BinderHub answered 429\n`);
    expect(stream.chunks[3]).toBe(`${CLEAR}${formatProgress(snap(1_250, { arrived: 11 }))}`);

    now = 300; // throttled, so close() draws it
    r.onProgress(snap(1_300, { arrived: 12 }));
    expect(stream.chunks).toHaveLength(4);
    r.close();
    r.close();
    expect(stream.chunks.slice(4)).toEqual([`${CLEAR}${formatProgress(snap(1_300, { arrived: 12 }))}`, '\n']);
    expect(stream.text.replaceAll(CLEAR, '').includes('\x1b')).toBe(false); // color off: no SGR codes
  });

  it('cuts the status line to the terminal width so \\r redraws never wrap', () => {
    const stream = new FakeStream(true);
    stream.columns = 40;
    const r = createTerminalReporter({ stream, isTTY: true, color: true, now: () => 0 });
    r.onProgress(snap(5_000));
    const drawn = stream.chunks[0]?.replace(CLEAR, '') ?? '';
    expect(drawn.length).toBe(39);
    expect(drawn.includes('\x1b')).toBe(false);
  });
});

describe('plain reporter (no TTY)', () => {
  it('prints a line every 10 s of run time and the last state on close, with no escape codes', () => {
    const stream = new FakeStream(false);
    const r = createTerminalReporter({ stream, isTTY: false, color: false, now: () => 0 });
    for (let t = 1_000; t <= 25_000; t += 1_000) r.onProgress(snap(t));
    r.onMessage('stopping: Ctrl-C');
    r.close();
    r.close();
    const lines = stream.text.split('\n').filter((l) => l !== '');
    expect(lines.map((l) => l.split('  ')[0])).toEqual(['10.0s', '20.0s', 'stopping: Ctrl-C', '25.0s']);
    expect(stream.text.includes('\x1b')).toBe(false);
    expect(stream.text.includes('\r')).toBe(false);
  });
});
