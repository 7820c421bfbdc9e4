import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  failingCells,
  failureMessage,
  healthJunitCases,
  healthRows,
  healthText,
  repoSummaries,
} from '../../reports/health.js';
import { healthVerdict } from '../../reports/health-sections.js';
import { writeRunReport } from '../../reports/run-report.js';
import { gridCells, slowerKey } from '../../reports/specs/health-grid.js';
import { health, legacyCheck, NOTEBOOK, REPO, writeCheckRecord } from '../helpers/health-fixtures.js';

const twoStacks = health(legacyCheck('debian12', false), legacyCheck('debian13', true));

describe('notebook health in words', () => {
  it('one row per notebook, one column per environment', () => {
    const rows = healthRows(twoStacks);
    expect(rows).toHaveLength(1);
    expect(Object.keys(rows[0]?.byEnv ?? {})).toEqual(['debian12', 'debian13']);
    expect(rows[0]?.byEnv.debian12?.status).toBe('passed');
    expect(rows[0]?.byEnv.debian13?.status).toBe('failed');
  });

  it('JUnit: one case per notebook per environment, failure "cell N, line L: Ename: evalue"', () => {
    expect(healthJunitCases(twoStacks)).toEqual([
      { name: `[debian12] ${REPO} ${NOTEBOOK}`, pass: true, message: 'passed' },
      {
        name: `[debian13] ${REPO} ${NOTEBOOK}`,
        pass: false,
        message: "cell 1, line 3: AttributeError: 'DataFrame' object has no attribute 'append'",
      },
    ]);
  });

  it('the text table names the first failing cell and lists every failing one, consequences labelled', () => {
    const text = healthText(twoStacks);
    expect(text).toContain(
      `| ${REPO} ${NOTEBOOK} | ok (7 cells) | FAIL at cell 1 (5 failing): cell 1, line 3: AttributeError`,
    );
    expect(text).toContain(
      "cell 2, line 1: NameError: name 'combined' is not defined (consequence of an earlier failure)",
    );
    expect(failingCells(twoStacks).map((f) => f.cell.index)).toEqual([1, 2, 3, 4, 5]);
    expect(text).toContain('debian13: python 3.11.2, pandas 2.2.3');
  });

  it('a notebook that could not run says why', () => {
    const h = health({
      ...legacyCheck('debian12', false),
      notebooks: [
        { path: 'x.ipynb', status: 'could-not-run', reason: 'no code cell', durationMs: 1, cells: [] },
      ],
    });
    expect(failureMessage(h.checks[0]?.notebooks[0] as never)).toBe('could not run: no code cell');
    expect(healthVerdict(h)).toMatchObject({
      label: 'FAIL',
      summary: '1 of 1 notebooks failed or could not run.',
    });
  });
});

describe('many repos', () => {
  it('one summary row per repo and environment: passing, failing, first failing cell each', () => {
    const other = { ...legacyCheck('debian13', false), repo: 'gh/org/other/HEAD' };
    const h = health(legacyCheck('debian13', true), other, {
      ...other,
      repo: 'gh/org/gone/HEAD',
      reason: 'the launch failed: 404',
      notebooks: [],
    });
    expect(repoSummaries(h)).toEqual([
      {
        environment: 'debian13',
        repo: REPO,
        passing: 0,
        failing: 1,
        firstFailures: [
          `${NOTEBOOK} cell 1, line 3: AttributeError: 'DataFrame' object has no attribute 'append'`,
        ],
      },
      { environment: 'debian13', repo: 'gh/org/other/HEAD', passing: 1, failing: 0, firstFailures: [] },
      {
        environment: 'debian13',
        repo: 'gh/org/gone/HEAD',
        passing: 0,
        failing: 1,
        firstFailures: ['not checked: the launch failed: 404'],
      },
    ]);
    expect(healthText(h)).toContain('| gh/org/other/HEAD | debian13 | 1 | 0 | — |');
  });
});

describe('the health grid', () => {
  it('labels every cell by outcome; consequences and slower cells have states of their own', () => {
    const slower = new Set([slowerKey('debian12', REPO, NOTEBOOK, 6)]);
    const cells = gridCells(twoStacks, slower);
    const states = (env: string) => cells.filter((c) => c.environment === env).map((c) => c.state);
    expect(states('debian12')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'slower']);
    expect(states('debian13')).toEqual(['ok', 'error', 'consequence', 'error', 'error', 'error', 'ok']);
    expect(cells.find((c) => c.environment === 'debian13' && c.cell === 1)?.detail).toBe(
      "AttributeError: 'DataFrame' object has no attribute 'append' (line 3)",
    );
  });
});

describe('the report of a check record', () => {
  it('HTML: health grid and failing cells instead of load charts; Markdown and JUnit the same', async () => {
    const dir = writeCheckRecord(mkdtempSync(join(tmpdir(), 'rehearse-hr-')), 'r', twoStacks);
    const files = await writeRunReport(dir);
    expect(files.verdict).toBe('FAIL');
    const html = readFileSync(files.html, 'utf8');
    expect(html).toContain('<section class="report-section" id="health"><h2>Notebook health</h2>');
    expect(html).not.toContain('id="cohort"');
    expect((html.match(/<article class="detail">/g) ?? []).length).toBe(5);
    expect(html).toContain('line 3: combined = readings.append(late, ignore_index=True)');
    const md = readFileSync(files.md, 'utf8');
    expect(md).toContain('### Notebook health');
    expect(md).toContain(
      "#### \\[debian13\\] notebooks/pandas-2022.ipynb · cell 1, line 3: AttributeError: 'DataFrame' object has no attribute 'append'",
    );
    const xml = readFileSync(files.junit, 'utf8');
    expect(xml).toContain('tests="2" failures="1"');
    expect(xml).toContain(
      'message="cell 1, line 3: AttributeError: &#39;DataFrame&#39; object has no attribute &#39;append&#39;"',
    );
  });

  it('with a baseline, cells slower than 2× beyond noise are marked "slow" in the grid', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'rehearse-hr-'));
    const dir = writeCheckRecord(runs, 'c', health(legacyCheck('debian12', false, { 0: 3000, 6: 140 })));
    const baseline = health(legacyCheck('debian12', false, { 0: 100, 6: 100 }));
    const html = readFileSync((await writeRunReport(dir, { healthBaseline: baseline })).html, 'utf8');
    expect((html.match(/>slow<\/text>/g) ?? []).length).toBe(1);
    const plain = readFileSync((await writeRunReport(dir, { outDir: join(runs, 'plain') })).html, 'utf8');
    expect(plain).not.toContain('>slow</text>');
  });
});
