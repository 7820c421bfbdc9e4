import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLeftovers, sameTarget } from '../../loadgen/leftovers/find.js';
import {
  foldLedger,
  LEDGER_FILE,
  type LedgerResource,
  LedgerWriter,
  ledgerKey,
  readLedger,
  writerAlive,
} from '../../loadgen/record/ledger.js';

const HUB = 'http://127.0.0.1:8000/';
const user: LedgerResource = { kind: 'hub-user', hubUrl: HUB, name: 'alice-x1' };
const server: LedgerResource = { kind: 'server', hubUrl: HUB, user: 'alice-x1', serverName: '' };

function record(dir: string, meta: Record<string, unknown>): string {
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({
      id: 'r1',
      status: 'running',
      startedAt: 'x',
      target: { kind: 'jupyterhub', hubUrl: HUB },
      ...meta,
    }),
  );
  return dir;
}

describe('ledger', () => {
  it('writes intent before, gone after, one line each, and folds to what is live', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    const w = LedgerWriter.open(dir, { pid: 4242, host: 'h' });
    const k1 = w.intent(user);
    const k2 = w.intent(server);
    w.created(k1);
    w.gone(k2, 'stopped');
    w.close();
    const lines = readFileSync(join(dir, LEDGER_FILE), 'utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).op)).toEqual(['open', 'intent', 'intent', 'created', 'gone']);
    const s = readLedger(dir);
    expect(s.opens).toEqual([{ pid: 4242, host: 'h', t: expect.any(String) }]);
    expect(s.live.map((e) => [e.key, e.state])).toEqual([[ledgerKey(user), 'created']]);
    expect(s.entries.find((e) => e.key === k2)?.state).toBe('gone');
  });

  it('skips a torn last line (a writer killed mid-write) and keeps the rest', () => {
    const good = JSON.stringify({ op: 'intent', t: 't', key: ledgerKey(user), res: user });
    const s = foldLedger(`${good}\n{"op":"gone","t":"t","key":"hub-us`);
    expect(s.live).toHaveLength(1);
    expect(s.live[0]?.state).toBe('intent');
  });

  it('learns a name at `created` (a BinderHub launch: the hub user is known when ready)', () => {
    const launch: LedgerResource = { kind: 'kernel', serverUrl: `${HUB}user/a/`, user: 'a' };
    const k = ledgerKey(launch);
    const s = foldLedger(
      [
        JSON.stringify({ op: 'intent', t: 't', key: k, res: launch }),
        JSON.stringify({ op: 'created', t: 't', key: k, res: { ...launch, id: 'k-1' } }),
      ].join('\n'),
    );
    expect(s.live[0]?.res).toEqual({ ...launch, id: 'k-1' });
  });

  it('refuses to write a token into the ledger', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    const w = LedgerWriter.open(dir);
    expect(() => w.gone('k', 'token=abcdefghijklmnopqrstuvwxyz0123')).toThrow(/token/);
    w.close();
  });

  it('tells a dead writer from a live one on this host', () => {
    const s = foldLedger(JSON.stringify({ op: 'open', t: 't', pid: 77, host: 'here' }));
    expect(writerAlive(s, { host: 'here', isAlive: () => true })).toBe(true);
    expect(writerAlive(s, { host: 'here', isAlive: () => false })).toBe(false);
    expect(writerAlive(s, { host: 'elsewhere', isAlive: () => true })).toBe(false);
  });

  it('finds records of dead runs with live entries, never those of a run still going', () => {
    const runs = mkdtempSync(join(tmpdir(), 'runs-'));
    for (const [id, pid] of [
      ['dead', 1001],
      ['alive', 1002],
    ] as const) {
      const dir = join(runs, id);
      mkdirSync(dir);
      record(dir, { id });
      const w = LedgerWriter.open(dir, { pid });
      w.intent(user);
      w.close();
    }
    const clean = join(runs, 'clean');
    mkdirSync(clean);
    record(clean, { id: 'clean' });
    const w = LedgerWriter.open(clean, { pid: 1001 });
    w.gone(w.intent(user));
    w.close();
    const found = findLeftovers(runs, { isAlive: (pid) => pid === 1002 });
    expect(found.map((r) => r.id)).toEqual(['dead']);
    expect(found[0]?.pid).toBe(1001);
    expect(
      sameTarget(found[0]?.target ?? { kind: 'local' }, {
        kind: 'jupyterhub',
        hubUrl: 'http://127.0.0.1:8000',
      }),
    ).toBe(true);
    expect(
      sameTarget(found[0]?.target ?? { kind: 'local' }, {
        kind: 'jupyterhub',
        hubUrl: 'http://127.0.0.1:9000/',
      }),
    ).toBe(false);
  });
});
