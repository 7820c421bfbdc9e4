import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';
import type { CellHealth, HealthRecord, NotebookHealth } from '../../loadgen/record/health.js';
import { writeNotebook } from './local-stack.js';

/** The repos `rehearse check` is tested on (test/integration/check-local.test.ts) and their expected outcomes. */
export type Stack = 'debian12' | 'debian13';

/** A cell as asserted: outcome, and for errors ename, line and whether it is a consequence. */
export type Expect = [CellHealth['outcome'], string?, number?, 'consequence'?];

/**
 * The bundled notebooks/pandas-2022.ipynb, code cell by code cell:
 *
 * | cell | code                          | debian12 (pandas 1.5.3, NumPy 1.24.2) | debian13 (pandas 2.2, NumPy 2.2)       |
 * |------|-------------------------------|----------------------------------------|----------------------------------------|
 * | 0    | imports, print versions       | ok                                     | ok                                     |
 * | 1    | readings.append(late) line 3  | ok                                     | AttributeError (pandas 2.0 removed it) |
 * | 2    | uses `combined`               | ok                                     | NameError, consequence of cell 1       |
 * | 3    | np.NaN, line 1                | ok                                     | AttributeError (NumPy 2.0 removed it)  |
 * | 4    | DataFrame.iteritems, line 2   | ok                                     | AttributeError (pandas 2.0 removed it) |
 * | 5    | np.float_, line 1             | ok                                     | AttributeError (NumPy 2.0 removed it)  |
 * | 6    | shape and mean                | ok                                     | ok                                     |
 *
 * Without --keep-going a Debian 13 check stops at cell 1 (cells 2-6 not run), exit 99.
 */
export const LEGACY_EXPECTED: Record<Stack, { stop: Expect[]; keepGoing: Expect[]; exit: number }> = {
  debian12: {
    stop: Array.from({ length: 7 }, (): Expect => ['ok']),
    keepGoing: Array.from({ length: 7 }, (): Expect => ['ok']),
    exit: 0,
  },
  debian13: {
    stop: [
      ['ok'],
      ['error', 'AttributeError', 3],
      ['not-run'],
      ['not-run'],
      ['not-run'],
      ['not-run'],
      ['not-run'],
    ],
    keepGoing: [
      ['ok'],
      ['error', 'AttributeError', 3],
      ['error', 'NameError', 1, 'consequence'],
      ['error', 'AttributeError', 1],
      ['error', 'AttributeError', 2],
      ['error', 'AttributeError', 1],
      ['ok'],
    ],
    exit: 99,
  },
};

export function shape(cells: readonly CellHealth[]): Expect[] {
  return cells.map((c): Expect => {
    if (c.outcome !== 'error') return [c.outcome];
    return c.consequence
      ? ['error', c.error?.ename, c.error?.line, 'consequence']
      : ['error', c.error?.ename, c.error?.line];
  });
}

export function nb(h: HealthRecord, path: string): NotebookHealth {
  const found = h.checks.flatMap((c) => c.notebooks).find((n) => n.path === path);
  if (!found)
    throw new Error(`no ${path} in ${JSON.stringify(h.checks.map((c) => c.notebooks.map((n) => n.path)))}`);
  return found;
}

/** The bad-input repo: every way a notebook can fail to run, and cells that err or hang. */
export function badRepo(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'invalid.ipynb'), '{"cells": [ this is not json');
  writeFileSync(
    join(dir, 'empty.ipynb'),
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{ cell_type: 'markdown', metadata: {}, source: '# words' }],
    }),
  );
  writeNotebook(join(dir, 'kernel.ipynb'), '1 + 1');
  const k = JSON.parse(readFileSync(join(dir, 'kernel.ipynb'), 'utf8'));
  k.metadata = { kernelspec: { name: 'julia-1.9', display_name: 'Julia 1.9' } };
  writeFileSync(join(dir, 'kernel.ipynb'), JSON.stringify(k));
  writeNotebook(
    join(dir, 'errors.ipynb'),
    'import math',
    'import not_a_module as nm\nx = 1',
    'print(nm.x)',
    'a = 1\n1 / 0',
    "print('fine')",
  );
  writeNotebook(join(dir, 'timeout.ipynb'), 'import time\ntime.sleep(120)', "print('after')");
}

/** The health section in headless Chromium: grid marks, one detail per failing item, no errors. */
export async function screenshotHealth(html: string, details: number, screenshot: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const url = pathToFileURL(html).href;
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    expect(await page.locator('.badge').textContent()).toBe('FAIL');
    const grid = page.locator('section#health figure svg');
    expect(await grid.count()).toBe(1);
    // 5 + 2 cells of the two notebooks that ran, 3 notebooks that could not run: 10 squares
    expect(await grid.locator('g.mark-rect.role-mark path').count()).toBe(10);
    expect(await page.locator('section#health-failures article.detail').count()).toBe(details);
    expect(await page.locator('section#health-failures').textContent()).toContain('line 2: 1 / 0');
    mkdirSync(resolve(screenshot, '..'), { recursive: true });
    await page.locator('section#health').screenshot({ path: screenshot });
    console.log(`health screenshot: ${screenshot}`);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
  }
}
