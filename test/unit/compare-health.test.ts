import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../loadgen/record/reader.js';
import { compareRuns } from '../../reports/compare.js';
import { compareHealth, slower } from '../../reports/compare-health.js';
import { writeComparison } from '../../reports/compare-output.js';
import { comparisonText, junitCases } from '../../reports/compare-page.js';
import { COMPARE_DEFAULTS } from '../../reports/compare-stats.js';
import { health, legacyCheck, NOTEBOOK, writeCheckRecord } from '../helpers/health-fixtures.js';

const rule = { ...COMPARE_DEFAULTS, tolerance: 1 }; // 2×

describe('slower: the latency rule with one sample per cell', () => {
  it('needs both: beyond the factor AND beyond the 2 s noise floor', () => {
    // b 1000: tolerance limit 1000 + max(1000, 10) = 2000; spread limit max(1000, 1000 + 2000) = 3000
    expect(slower(1000, 2500, rule)).toMatchObject({
      toleranceLimit: 2000,
      fired: 'tolerance',
      regression: false,
    });
    expect(slower(1000, 3100, rule)).toMatchObject({ fired: 'both', regression: true });
    expect(slower(1000, 3100, rule).spread.limit).toBe(3000);
    // a 100 ms cell that now takes 2.15 s: both fire
    expect(slower(100, 2150, rule)).toMatchObject({ toleranceLimit: 200, fired: 'both' });
    // 20 s → 25 s: within 2×, though past the noise floor
    expect(slower(20_000, 25_000, rule)).toMatchObject({ fired: 'spread', regression: false });
  });
});

describe('compareHealth', () => {
  it('Debian 12 → Debian 13: names the cells that broke (the consequence too) and the one that slowed', () => {
    const b = health(legacyCheck('debian12', false, { 6: 100 }));
    const c = health(legacyCheck('debian13', true, { 6: 2600 }));
    const h = compareHealth(b, c, { factor: 2 });
    expect(h.pairing).toEqual(['debian12 → debian13']);
    expect(h.compared).toBe(7);
    expect(h.changes.map((x) => [x.kind, x.cell])).toEqual([
      ['newly failing', 1],
      ['newly failing', 2],
      ['newly failing', 3],
      ['newly failing', 4],
      ['newly failing', 5],
      ['slower', 6],
    ]);
    expect(h.changes[0]?.candidate).toBe(
      "cell 1, line 3: AttributeError: 'DataFrame' object has no attribute 'append'",
    );
    expect(h.regression).toBe(true);
  });

  it('the other way round the cells are fixed, which is no regression', () => {
    const h = compareHealth(health(legacyCheck('debian13', true)), health(legacyCheck('debian12', false)), {
      factor: 2,
    });
    expect(h.changes.map((x) => x.kind)).toEqual(['fixed', 'fixed', 'fixed', 'fixed', 'fixed']);
    expect(h.regression).toBe(false);
  });

  it('with several environments, cells are matched per environment; not-run cells are not compared', () => {
    const b = health(legacyCheck('debian12', false), legacyCheck('staging', false));
    const broken = legacyCheck('staging', true);
    const nb = broken.notebooks[0];
    if (nb)
      nb.cells = nb.cells.map((cell) =>
        cell.index > 1 ? { index: cell.index, outcome: 'not-run' as const } : cell,
      );
    const h = compareHealth(b, health(legacyCheck('debian12', false), broken), { factor: 2 });
    expect(h.pairing).toEqual(['debian12 → debian12', 'staging → staging']);
    expect(h.changes.map((x) => `${x.environment} ${x.kind} ${x.cell}`)).toEqual(['staging newly failing 1']);
    expect(h.compared).toBe(7 + 2);
  });

  it('a notebook that can no longer run at all is newly failing', () => {
    const c = legacyCheck('debian13', false);
    c.notebooks = [
      {
        path: NOTEBOOK,
        status: 'could-not-run',
        reason: 'kernel "python3" missing',
        durationMs: 1,
        cells: [],
      },
    ];
    const h = compareHealth(health(legacyCheck('debian12', false)), health(c), { factor: 2 });
    expect(h.changes).toMatchObject([
      { kind: 'newly failing', candidate: 'could not run: kernel "python3" missing' },
    ]);
    expect(h.changes[0]?.cell).toBeUndefined();
  });
});

describe('rehearse compare of two check records', () => {
  it('regression, with the health rows in the verdict, JUnit, text and report', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'rehearse-ch-'));
    const b = readRecord(writeCheckRecord(runs, 'deb12', health(legacyCheck('debian12', false, { 6: 100 }))));
    const c = readRecord(writeCheckRecord(runs, 'deb13', health(legacyCheck('debian13', true, { 6: 2600 }))));
    const cmp = compareRuns(b, c, { tolerance: 0.1, slowerFactor: 2 });
    expect(cmp.regression).toBe(true);
    const text = comparisonText(cmp);
    expect(text).toContain(
      'notebooks (debian12 → debian13): 5 newly failing, 0 fixed, 1 slower than ×2 of 7 cells compared',
    );
    expect(text).toContain(
      '✗ notebooks/pandas-2022.ipynb cell 6: slower: ×26.0: beyond ×2 (tolerance) and beyond the noise floor +2.00 s (spread): both fired',
    );
    const cases = junitCases(cmp);
    expect(cases.filter((x) => !x.pass).map((x) => x.name)).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `${NOTEBOOK} cell ${i}`),
    );
    const files = await writeComparison(cmp, join(runs, 'cmp'));
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('id="compare-health"');
    expect(html).not.toContain('id="compare-ready-curve"');
    expect((html.match(/<article class="detail">/g) ?? []).length).toBe(6);
  });
});
