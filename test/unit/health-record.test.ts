import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEALTH_FILE, readHealthRecord } from '../../loadgen/record/health.js';
import { readRecord } from '../../loadgen/record/reader.js';
import { health, legacyCheck, writeCheckRecord } from '../helpers/health-fixtures.js';

const runs = () => mkdtempSync(join(tmpdir(), 'rehearse-health-'));

describe('health.json, the per-cell part of the run record', () => {
  it('is read back through the record reader exactly as written', () => {
    const h = health(legacyCheck('debian13', true));
    const dir = writeCheckRecord(runs(), 'r1', h);
    const r = readRecord(dir);
    expect(r.health).toEqual(h);
    expect(r.health?.checks[0]?.notebooks[0]?.cells[2]).toMatchObject({
      outcome: 'error',
      consequence: true,
    });
  });

  it('a record without it has none (load-test records are unchanged)', () => {
    const dir = writeCheckRecord(runs(), 'r2', health());
    writeFileSync(join(dir, HEALTH_FILE), '');
    expect(() => readRecord(dir)).toThrow(/not valid JSON/);
    expect(readHealthRecord(runs())).toBeNull();
  });

  it('another version or a wrong shape is an InputError (exit 2) naming every issue', () => {
    const dir = writeCheckRecord(runs(), 'r3', health(legacyCheck('debian12', false)));
    const file = join(dir, HEALTH_FILE);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...data, version: 2 }));
    expect(() => readRecord(dir)).toThrow(/health record version 2; this rehearse reads 1/);
    data.checks[0].notebooks[0].cells[0].outcome = 'fine';
    data.checks[0].notebooks[0].status = 'maybe';
    writeFileSync(file, JSON.stringify(data));
    try {
      readRecord(dir);
      expect.unreachable();
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
      expect((err as Error).message).toContain('checks.0.notebooks.0.status');
      expect((err as Error).message).toContain('checks.0.notebooks.0.cells.0.outcome');
    }
  });
});
