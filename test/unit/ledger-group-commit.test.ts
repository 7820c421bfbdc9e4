import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FlushFd, LEDGER_FILE, type LedgerResource, LedgerWriter } from '../../loadgen/record/ledger.js';
import { ledgered } from '../../loadgen/runner/ledgered.js';
import type { LaunchResult, TargetAdapter } from '../../loadgen/runner/targets.js';

// The disk flush is injected: a slow disk (a flush that takes as long as the test says) cannot be
// produced on demand with the real fdatasync. Writes are real.

/** A flush the test completes by hand, counting calls. */
function heldFlush() {
  const waiting: (() => void)[] = [];
  let calls = 0;
  const flush: FlushFd = (_fd, done) => {
    waiting.push(() => done(null));
  };
  return {
    flush,
    get calls() {
      return calls;
    },
    release() {
      const all = waiting.splice(0);
      calls += all.length;
      for (const f of all) f();
      return all.length;
    },
    pending: () => waiting.length,
  };
}

const HUB = 'http://127.0.0.1:8000/';
const res = (n: number): LedgerResource => ({ kind: 'hub-user', hubUrl: HUB, name: `u${n}` });
const tick = () => new Promise((r) => setImmediate(r));

describe('ledger group commit', () => {
  it('writes each line at once and covers every line written before a flush with that one flush', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-gc-'));
    const h = heldFlush();
    const w = LedgerWriter.open(dir, { fdatasync: h.flush });
    for (let i = 0; i < 100; i++) w.intent(res(i));
    // In the file before any flush: a SIGKILL now loses nothing.
    expect(readFileSync(join(dir, LEDGER_FILE), 'utf8').trim().split('\n')).toHaveLength(101);
    let resolved = 0;
    const all = Array.from({ length: 100 }, () => w.durable().then(() => resolved++));
    await tick();
    expect(h.pending()).toBe(1); // one flush for the 100 waiters
    expect(resolved).toBe(0);
    // A line written while that flush runs is not covered by it: its waiter needs the next one.
    w.intent(res(100));
    const late = w.durable();
    h.release();
    await Promise.all(all);
    expect(resolved).toBe(100);
    await tick();
    expect(h.pending()).toBe(1);
    h.release();
    await late;
    expect(h.calls).toBe(2);
    // Nothing new: durable() resolves without a flush.
    await w.durable();
    expect(h.pending()).toBe(0);
    w.close();
  });

  it('a flush error reaches the waiters while the ledger is open; close() flushes the rest itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-gc-'));
    const failing = LedgerWriter.open(dir, {
      fdatasync: (_fd, done) => done(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })),
    });
    failing.intent(res(1));
    await expect(failing.durable()).rejects.toThrow(/EIO/);
    failing.close();
    const h = heldFlush();
    const w = LedgerWriter.open(dir, { fdatasync: h.flush, header: false });
    w.intent(res(2));
    const p = w.durable();
    await tick();
    w.close(); // synchronous fdatasync: everything is on disk, the held flush no longer matters
    h.release();
    await expect(p).resolves.toBeUndefined();
    expect(readFileSync(join(dir, LEDGER_FILE), 'utf8')).toContain('"u2"');
  });

  it('ledgered: a launch is not sent before its intent is on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-gc-'));
    const h = heldFlush();
    const ledger = LedgerWriter.open(dir, { fdatasync: h.flush });
    const launched: string[] = [];
    const target: TargetAdapter = {
      describe: () => ({ kind: 'jupyterhub', hubUrl: HUB }),
      intent: (user) => [res(Number(user.slice(1)))],
      async launch(user) {
        launched.push(user);
        const r: LaunchResult = {
          serverUrl: `${HUB}user/${user}/`,
          token: 't',
          hubUser: user,
          readyAt: 0,
          subPhases: {},
          firstAttempt: 'ok',
        };
        return r;
      },
      stop: async () => [],
    };
    const { target: wrapped } = ledgered(
      target,
      () => {
        throw new Error('not used');
      },
      ledger,
    );
    const opts = { signal: new AbortController().signal, now: () => 0 };
    const launches = [wrapped.launch('u1', 0, opts), wrapped.launch('u2', 0, opts)];
    await tick();
    expect(launched).toEqual([]); // both intents written, the flush not done: nothing sent
    expect(h.pending()).toBe(1);
    h.release();
    await Promise.all(launches);
    expect(launched).toEqual(['u1', 'u2']);
    expect(h.calls).toBe(1);
    ledger.close();
  });
});
