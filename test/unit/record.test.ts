import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { InputError, RehearseError } from '../../core/errors.js';
import { latestRun, readRecord } from '../../loadgen/record/reader.js';
import type { IntervalRecord, RunEvent, RunMeta, RunSummary } from '../../loadgen/record/types.js';
import { assertNoSecrets, type NewRunMeta, RecordWriter } from '../../loadgen/record/writer.js';

let runsDir: string;
beforeEach(() => {
  runsDir = mkdtempSync(join(tmpdir(), 'rehearse-record-'));
});
afterEach(() => {
  rmSync(runsDir, { recursive: true, force: true });
});

function newMeta(over: Partial<NewRunMeta> = {}): NewRunMeta {
  return {
    tool: { name: 'rehearse', version: '0.1.0' },
    scenario: {
      name: 'quick start',
      hash: 'sha256:0f0f',
      source: 'scenarios/quickstart.yaml',
      normalized: { seed: 7 },
    },
    seed: 7,
    target: { kind: 'local', binderUrl: 'http://127.0.0.1:8585/', tokenEnv: 'REHEARSE_HUB_TOKEN' },
    host: { hostname: 'ci', platform: 'linux', arch: 'x64', node: 'v20.18.0', cpus: 2, memoryGiB: 4 },
    intervalMs: 10_000,
    plannedUsers: 3,
    startedAt: '2025-03-04T05:06:07.000Z',
    ...over,
  };
}

function summaryOf(id: string, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    scenario: 'quick start',
    partial: false,
    status: 'completed',
    startedAt: '2025-03-04T05:06:07.000Z',
    endedAt: '2025-03-04T05:07:07.000Z',
    durationMs: 60_000,
    users: { planned: 3, arrived: 3, late: 1, completed: 2, failed: 1 },
    trends: {},
    rates: { 'launch.failed': { hits: 1, total: 3, rate: 1 / 3 } },
    failures: { timeout: { first: 1, final: 1 } },
    thresholds: [],
    verdict: 'none',
    leftovers: [],
    ...over,
  };
}

/** An interval holding launch.ready samples (ms), encoded as the contract says (µs, compressed). */
function intervalWith(start: number, readyMs: number[], over: Partial<IntervalRecord> = {}): IntervalRecord {
  const h = build();
  for (const ms of readyMs) h.recordValue(ms * 1000);
  return {
    start,
    end: start + 10_000,
    trends: { 'launch.ready': encodeIntoCompressedBase64(h) },
    rates: {},
    failures: {},
    ...over,
  };
}

const arrival = (t: number, user: string, late = false): RunEvent => ({
  type: 'arrival',
  t,
  user,
  cohort: 'morning',
  scheduled: t - (late ? 1500 : 3),
  lag: late ? 1500 : 3,
  late,
});

describe('RecordWriter → readRecord', () => {
  it('round-trips meta, events, intervals and summary', () => {
    const w = RecordWriter.create(runsDir, newMeta());
    expect(w.id).toMatch(/^20250304-050607-quick-start-[0-9a-f]{4}$/);
    expect(w.dir).toBe(join(runsDir, w.id));
    const started = JSON.parse(readFileSync(join(w.dir, 'meta.json'), 'utf8')) as RunMeta;
    expect(started).toMatchObject({ version: 1, id: w.id, status: 'running', seed: 7 });

    const events: RunEvent[] = [
      { type: 'run-start', t: 0, plannedUsers: 3 },
      arrival(10, 'u0'),
      { type: 'step', t: 40_000, user: 'u0', step: 'launch', scheduled: 10, duration: 39_990, ok: true },
      { type: 'run-end', t: 60_000, status: 'completed' },
    ];
    for (const ev of events) w.event(ev);
    const iv = intervalWith(0, [39_990]);
    w.interval(iv);
    w.finish(summaryOf(w.id, { status: 'running' }), 'completed', 'session over');
    w.close();
    w.close();

    const rec = readRecord(w.dir);
    expect(rec.events).toEqual(events);
    expect(rec.intervals).toEqual([iv]);
    expect(rec.partial).toBe(false);
    expect(rec.warnings).toEqual([]);
    expect(rec.summary).toEqual(summaryOf(w.id, { stopReason: 'session over' }));
    expect(rec.meta).toMatchObject({
      status: 'completed',
      endedAt: '2025-03-04T05:07:07.000Z',
      stopReason: 'session over',
    });
    expect(readdirSync(w.dir).sort()).toEqual([
      'events.jsonl',
      'intervals.jsonl',
      'meta.json',
      'summary.json',
    ]);
    expect(() => w.event(arrival(1, 'late'))).toThrow(/closed/);
  });

  it('never reuses a record folder', () => {
    const a = RecordWriter.create(runsDir, newMeta());
    const b = RecordWriter.create(runsDir, newMeta());
    expect(a.dir).not.toBe(b.dir);
    a.close();
    b.close();
    expect(catchError(() => RecordWriter.create(runsDir, newMeta({ id: a.id })))).toMatchObject({
      code: 'RECORD_EXISTS',
    });
  });
});

describe('events.jsonl writes', () => {
  const lines = (dir: string) =>
    readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  it('gathers one event-loop turn of events into one write, in order, and writes the rest at close', async () => {
    const w = RecordWriter.create(runsDir, newMeta());
    for (let i = 0; i < 50; i++) w.event(arrival(i, `u${i}`));
    expect(lines(w.dir)).toHaveLength(0); // still this turn
    await new Promise((r) => setImmediate(r));
    expect(lines(w.dir).map((l) => JSON.parse(l).user)).toEqual(
      Array.from({ length: 50 }, (_, i) => `u${i}`),
    );
    // 64 KiB of events in one turn are written without waiting for the turn's end.
    const long = 'x'.repeat(1000);
    for (let i = 0; i < 70; i++) w.event({ type: 'cleanup', t: i, what: long, ok: true, detail: 'ok' });
    expect(lines(w.dir).length).toBeGreaterThan(50);
    expect(lines(w.dir).length).toBeLessThan(120);
    w.event(arrival(99, 'last'));
    w.close();
    expect(lines(w.dir)).toHaveLength(121);
    expect(JSON.parse(lines(w.dir).at(-1) ?? '{}').user).toBe('last');
    expect(() => w.event(arrival(100, 'late'))).toThrow(/closed/);
  });
});

describe('a record from an interrupted run', () => {
  it('is rebuilt from events and intervals, marked partial, and a torn last line is skipped', () => {
    const w = RecordWriter.create(runsDir, newMeta());
    w.event({ type: 'run-start', t: 0, plannedUsers: 3 });
    w.event(arrival(5, 'u0'));
    w.event(arrival(1_600, 'u1', true));
    w.event(arrival(2_000, 'u2'));
    w.event({
      type: 'user-end',
      t: 50_000,
      user: 'u0',
      outcome: 'completed',
      firstAttempt: 'ok',
      cellsRun: 4,
    });
    w.event({
      type: 'user-end',
      t: 51_000,
      user: 'u1',
      outcome: 'failed',
      reason: 'timeout',
      firstAttempt: 'timeout',
      cellsRun: 0,
    });
    w.event({
      type: 'cleanup',
      t: 52_000,
      what: 'server of u1',
      ok: false,
      detail: 'hub 503',
      command: 'curl -X DELETE …',
    });
    w.interval(intervalWith(0, [30_000, 40_000], { failures: { timeout: { first: 1, final: 0 } } }));
    w.interval(intervalWith(10_000, [45_000], { failures: { timeout: { first: 0, final: 1 } } }));
    w.close(); // the process "dies": no finish(), and half a line is left behind
    appendFileSync(join(w.dir, 'events.jsonl'), '{"type":"user-end","t":53000,"user":"u2","outc');

    const rec = readRecord(w.dir);
    expect(rec.partial).toBe(true);
    expect(rec.events).toHaveLength(7);
    expect(rec.warnings).toHaveLength(1);
    expect(rec.warnings[0]).toMatch(/events\.jsonl:8: skipped a torn last line$/);
    const s = rec.summary;
    expect(s).toMatchObject({
      id: w.id,
      scenario: 'quick start',
      partial: true,
      status: 'aborted',
      durationMs: 52_000,
      users: { planned: 3, arrived: 3, late: 1, completed: 1, failed: 1 },
      thresholds: [],
      verdict: 'none',
      leftovers: [{ what: 'server of u1', command: 'curl -X DELETE …' }],
    });
    expect(s.stopReason).toMatch(/without writing summary\.json/);
    expect(s.failures.timeout).toEqual({ first: 1, final: 1 });
    expect(s.trends['launch.ready']?.count).toBe(3);
  });

  it('refuses a folder without a readable meta.json (InputError, exit 2)', () => {
    const dir = join(runsDir, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'events.jsonl'), '');
    const missing = catchError(() => readRecord(dir));
    expect(missing).toBeInstanceOf(InputError);
    expect(missing).toMatchObject({ code: 'RECORD_INVALID', exitCode: 2 });
    expect(missing.message).toContain(join(dir, 'meta.json'));
    expect(missing.hint).toMatch(/runs\/<id>/);

    writeFileSync(join(dir, 'meta.json'), '{"id": "x", "startedAt": ');
    expect(catchError(() => readRecord(dir))).toMatchObject({
      code: 'RECORD_INVALID',
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(catchError(() => readRecord(join(runsDir, 'nope')))).toMatchObject({ code: 'RECORD_INVALID' });
  });
});

describe('the record is decoded by its schema (loadgen/record/schema.ts)', () => {
  function finished(): string {
    const w = RecordWriter.create(runsDir, newMeta());
    w.finish(summaryOf(w.id, { status: 'running' }), 'completed');
    w.close();
    return w.dir;
  }
  const editMeta = (dir: string, edit: (meta: Record<string, unknown>) => void) => {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
    edit(meta);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
  };

  it('says whether a record of another version is older or newer, and which rehearse wrote it', () => {
    const dir = finished();
    editMeta(dir, (m) => {
      m.version = 0;
    });
    const older = catchError(() => readRecord(dir));
    expect(older).toMatchObject({ code: 'RECORD_INVALID', exitCode: 2 });
    expect(older.message).toMatch(
      /record version 0 \(written by rehearse 0\.1\.0\), older than the version 1/,
    );
    editMeta(dir, (m) => {
      m.version = 2;
    });
    expect(catchError(() => readRecord(dir)).message).toMatch(/newer than the version 1 .*upgrade rehearse/);
  });

  it('refuses a meta.json of the right version with a wrong field, naming its line and path', () => {
    const dir = finished();
    editMeta(dir, (m) => {
      m.seed = 'seven';
    });
    const e = catchError(() => readRecord(dir));
    expect(e.code).toBe('RECORD_INVALID');
    expect(e.message).toMatch(/meta\.json:\d+:\d+ seed: Invalid input: expected number, received string/);
  });

  it('rebuilds a summary.json that does not decode, and says why', () => {
    const dir = finished();
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'summary.json'), JSON.stringify({ ...summary, verdict: 'maybe' }));
    const rec = readRecord(dir);
    expect(rec.partial).toBe(true);
    expect(rec.summary.verdict).toBe('none');
    expect(rec.warnings.join('\n')).toMatch(/summary\.json is not a run summary \(verdict: .*\); rebuilt/);
  });

  it('skips an event line of an unknown shape with a warning', () => {
    const dir = finished();
    appendFileSync(join(dir, 'events.jsonl'), `${JSON.stringify({ type: 'arrival', t: 1, user: 3 })}\n`);
    const rec = readRecord(dir);
    expect(rec.events.some((e) => e.type === 'arrival')).toBe(false);
    expect(rec.warnings.some((w) => w.includes('events.jsonl') && w.includes('unreadable line'))).toBe(true);
  });
});

function catchError(fn: () => unknown): RehearseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RehearseError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('the token guard', () => {
  it.each([
    'http://hub/hub/api/users?token=4f1c2a9be0d8476f9a3c',
    'Authorization: token 0123456789abcdef0123456789',
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9abcdef',
    '{"token": "sk_live_0123456789abcdefghij"}',
    'sent token AbCdEfGhIjKlMnOpQrStUv',
  ])('refuses %s', (text) => {
    expect(() => assertNoSecrets({ a: [{ b: text }] }, 'x')).toThrow(/looks like a token .*\(x\.a\[0\]\.b\)/);
  });

  it.each([
    'REHEARSE_HUB_TOKEN',
    'MY_VERY_LONG_SERVICE_TOKEN_VARIABLE_NAME',
    'token authentication failed',
    'Authorization header missing',
    'token abc123',
  ])('lets %s through', (text) => {
    expect(() => assertNoSecrets({ detail: text }, 'x')).not.toThrow();
  });

  it('stops a token in meta or an event from reaching the record, without echoing it', () => {
    const secret = 'a0b1c2d3e4f5a6b7c8d9e0f1';
    const bad = newMeta({
      target: { kind: 'binderhub', binderUrl: `https://binder.example/?token=${secret}` },
    });
    expect(() => RecordWriter.create(runsDir, bad)).toThrow(/meta\.target\.binderUrl/);
    expect(readdirSync(runsDir)).toEqual([]);

    const w = RecordWriter.create(runsDir, newMeta());
    const ev: RunEvent = {
      type: 'cleanup',
      t: 1,
      what: 'user u0',
      ok: false,
      detail: `Authorization: token ${secret}`,
    };
    // Events quote the outside world (error messages): redacted, never thrown on mid-run.
    w.event(ev);
    w.close();
    const written = readFileSync(join(w.dir, 'events.jsonl'), 'utf8');
    expect(written).not.toContain(secret);
    expect(JSON.parse(written)).toMatchObject({ type: 'cleanup', detail: '[redacted]' });
  });
});

describe('latestRun and `rehearse summary`', () => {
  class Sink extends Writable {
    text = '';
    override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
      this.text += chunk.toString();
      cb();
    }
  }
  const cli = async (...args: string[]) => {
    const io = { stdout: new Sink(), stderr: new Sink(), env: { NO_COLOR: '1' } };
    const code = await main(args, io);
    return { code, out: io.stdout.text, err: io.stderr.text };
  };

  it('picks the newest record by start time; none → null', () => {
    expect(latestRun(join(runsDir, 'absent'))).toBeNull();
    expect(latestRun(runsDir)).toBeNull();
    const newer = RecordWriter.create(
      runsDir,
      newMeta({ id: 'a-newer', startedAt: '2025-03-05T00:00:00.000Z' }),
    );
    const older = RecordWriter.create(
      runsDir,
      newMeta({ id: 'z-older', startedAt: '2025-03-04T00:00:00.000Z' }),
    );
    newer.close();
    older.close();
    expect(latestRun(runsDir)).toBe(newer.dir);
  });

  it('prints the latest record, exits 99 on a failed verdict, 2 on an unreadable record', async () => {
    const w = RecordWriter.create(runsDir, newMeta());
    const failed = {
      expr: 'launch.failed rate < 0.01',
      pass: false,
      actual: 1 / 3,
      limit: 0.01,
      op: '<',
      abortOnFail: false,
    };
    w.finish(summaryOf(w.id, { thresholds: [failed], verdict: 'fail' }), 'completed');
    w.close();

    const text = await cli('summary', runsDir);
    expect(text.code).toBe(99);
    expect(text.out).toContain(w.dir);
    expect(text.out).toContain('Verdict: FAIL (1 of 1 thresholds)');
    expect(text.out.includes('\x1b')).toBe(false);

    const json = await cli('summary', w.dir, '--json');
    expect(json.code).toBe(99);
    expect(JSON.parse(json.out)).toMatchObject({ id: w.id, verdict: 'fail', users: { completed: 2 } });

    const empty = mkdtempSync(join(tmpdir(), 'rehearse-empty-'));
    try {
      const none = await cli('summary', empty);
      expect(none.code).toBe(2);
      expect(none.err).toContain('holds no run record');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    rmSync(join(w.dir, 'meta.json'));
    const broken = await cli('summary', w.dir);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/error: cannot read .*meta\.json/);
  });
});
