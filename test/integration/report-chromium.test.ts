import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report } from '../../cli/commands/report.js';
import { type CliIO, reportError } from '../../cli/main.js';
import { readRecord } from '../../loadgen/record/reader.js';
import { writeRunReport } from '../../reports/run-report.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// The HTML report of a real local run (JupyterHub, jupyter-server, ipykernel on this machine),
// opened in headless Debian Chromium: every chart present with data marks, no console or page
// errors, no request other than the file itself. A screenshot is kept under test-output/.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/rehearse.js');
const SCREENSHOT = resolve(ROOT, 'test-output/report-chromium.png');
const CHART_SECTIONS = ['cohort', 'ready', 'phases', 'cells', 'generator'];
const NOTE_SECTIONS: Record<string, string> = {
  failures: 'No failures: 2 launches, 2 cells and 2 sessions, none failed.',
  cluster: 'No cluster observer data (run with --kubeconfig).',
};

describeEachStack('report-chromium', (stack) => {
  let t: TestStack;
  let dir: string;
  let recordDir: string;
  let browser: BrowserContext;

  function rehearse(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    return new Promise((done) =>
      child.on('exit', (code) => {
        clearTimeout(killer);
        done({ code, stdout, stderr });
      }),
    );
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

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 2 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-report-'));
    const nb = join(dir, 'one.ipynb');
    writeNotebook(nb, 'sum(range(1000))');
    const scenario = join(dir, 'tiny.yaml');
    writeFileSync(
      scenario,
      [
        'name: tiny-report',
        'seed: 5',
        'target: { kind: local }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        'cohorts: [{ name: class, users: 2, arrival: { kind: list, at: [0s, 1s] } }]',
        `session: { notebook: ${nb}, thinkTime: { median: 0s, p95: 0s }, duration: 4s }`,
        'slo: ["launch.ready p(95) < 2m", "launch.failed rate < 1%", "cell.exec p(95) < 1m"]',
        '',
      ].join('\n'),
    );
    const runs = join(dir, 'runs');
    const r = await rehearse(['run', scenario, '--json', '--out', runs, '--state-dir', t.stack.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    const [id] = readdirSync(runs);
    recordDir = join(runs, id as string);
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'rehearse-chromium-')), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
      viewport: { width: 1100, height: 900 },
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  /** Open a file in a fresh page; collect console errors, page errors and every request. */
  async function open(file: string) {
    const page = await browser.newPage();
    const url = pathToFileURL(file).href;
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
    await page.goto(url, { waitUntil: 'load' });
    return { page, problems, requests, url };
  }

  describe('rehearse report of a real local run, in headless Chromium', () => {
    it('every chart is present with data marks; verdict first; no errors; no request but the file', async () => {
      const cli = io();
      expect(await report(cli, join(dir, 'runs'), { json: true })).toBe(0);
      const files = JSON.parse(cli.out()) as {
        html: string;
        verdict: string;
        partial: boolean;
        junit: string;
      };
      expect(files).toMatchObject({ html: join(recordDir, 'report.html'), verdict: 'PASS', partial: false });

      const { page, problems, requests, url } = await open(files.html);
      expect(await page.locator('.badge').textContent()).toBe('PASS');
      expect(await page.locator('.verdict-rows tbody tr').count()).toBe(3);
      expect(await page.locator('.verdict-rows .status.good').allTextContents()).toEqual([
        'pass',
        'pass',
        'pass',
      ]);
      for (const id of CHART_SECTIONS) {
        const svg = page.locator(`section#${id} figure svg`);
        expect(await svg.count(), id).toBe(1);
        const box = await svg.boundingBox();
        expect(box?.width ?? 0, id).toBeGreaterThan(300);
        expect(box?.height ?? 0, id).toBeGreaterThan(100);
        const marks = await svg.locator('g.role-mark > :is(path, rect, line, circle, text)').count();
        expect(marks, `${id} data marks`).toBeGreaterThan(0);
      }
      for (const [id, note] of Object.entries(NOTE_SECTIONS)) {
        expect(await page.locator(`section#${id} .section-note`).textContent()).toBe(note);
      }
      expect(await page.locator('.partial').count()).toBe(0);
      const footer = await page.locator('footer.identity').textContent();
      const meta = readRecord(recordDir).meta;
      for (const fact of [meta.scenario.hash, `Seed 5`, `rehearse ${meta.tool.version}`, 'Target local']) {
        expect(footer).toContain(fact);
      }
      expect(await page.content()).not.toContain(t.hubToken);

      // JUnit is well-formed XML: one testcase per threshold
      const xml = readFileSync(files.junit, 'utf8');
      // (a string, evaluated in the page: DOMParser is a browser global, not in this file's Node types)
      const junit = await page.evaluate(`(() => {
      const doc = new DOMParser().parseFromString(${JSON.stringify(xml)}, 'application/xml');
      return { error: doc.querySelector('parsererror')?.textContent ?? null, cases: doc.querySelectorAll('testcase').length };
    })()`);
      expect(junit).toEqual({ error: null, cases: 3 });

      mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`report screenshot: ${SCREENSHOT}`);
      expect(problems).toEqual([]);
      expect(requests.filter((r) => r !== url)).toEqual([]);
      await page.close();
    }, 120_000);

    it('a record without summary.json gives a report marked PARTIAL RECORD', async () => {
      const copy = join(dir, 'partial', 'r');
      cpSync(recordDir, copy, { recursive: true });
      rmSync(join(copy, 'summary.json'));
      const files = await writeRunReport(copy);
      expect(files.partial).toBe(true);
      const { page, problems } = await open(files.html);
      const banner = page.locator('.partial');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.textContent()).toContain('PARTIAL RECORD');
      expect(await page.locator('.badge').textContent()).toBe('NO THRESHOLDS');
      expect(await page.locator('section#ready figure svg g.role-mark > path').count()).toBeGreaterThan(0);
      expect(problems).toEqual([]);
      await page.close();
    }, 60_000);

    it('a record whose meta.json is corrupt: exit 2 with a clear message', async () => {
      const copy = join(dir, 'corrupt', 'r');
      cpSync(recordDir, copy, { recursive: true });
      writeFileSync(join(copy, 'meta.json'), readFileSync(join(recordDir, 'meta.json'), 'utf8').slice(0, 40));
      const cli = io();
      const code = await report(cli, copy, {}).catch((err: unknown) => reportError(err, cli, false));
      expect(code).toBe(2);
      expect(cli.err()).toMatch(/^error: .*meta\.json is not valid JSON/);
    });
  });
});
