import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { RehearseError } from '../../core/errors.js';

/**
 * One canary attendee in headless Chromium (Debian's `chromium`), from the link a person clicks to
 * an interactive JupyterLab 4:
 *
 *   login page (when the hub has a login form) → the link (nbgitpuller's, through user-redirect)
 *   → JupyterLab with the notebook open and its kernel idle        = browser.ready
 *   → run the first code cell from the UI (Shift+Enter) → output    = browser.cell
 *   → a screenshot of the final page into the run record
 *
 * Driven through playwright-core, which speaks Chromium's DevTools protocol and downloads no
 * browser of its own (it is a runtime dependency for this reason: a well-kept CDP client, lazily
 * imported only when a scenario asks for canaries). Bounded: after `timeoutMs` the browser process
 * is closed, whatever it was doing, and the canary is classified `browser-timeout` with the stage
 * it was stuck at; the screenshot is still taken when the page answers.
 */

export class BrowserCanaryError extends RehearseError {
  constructor(
    code: 'BROWSER_TIMEOUT' | 'BROWSER_FAILED',
    message: string,
    readonly stage: string,
    readonly screenshot?: string,
  ) {
    super(code, message);
    this.name = 'BrowserCanaryError';
  }
}

export const CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.REHEARSE_CHROMIUM) return env.REHEARSE_CHROMIUM;
  return CHROMIUM_PATHS.find((p) => existsSync(p));
}

export interface CanaryInput {
  user: string;
  hubUrl: string;
  /** The link the attendee clicks (absolute). */
  link: string;
  /** Log in through the hub's form first (hub user name, password); else `token` goes in a header. */
  login?: { username: string; password: string };
  token?: string;
  /** Where the PNG goes (absolute) and its path relative to the record. */
  screenshotFile: string;
  timeoutMs: number;
  now: () => number;
  signal?: AbortSignal;
}

export interface CanaryResult {
  readyMs: number;
  cellMs: number;
  stage: string;
  output: string;
}

const NOTEBOOK = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook';
const IDLE = '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status="idle"]';
const FIRST_CODE_CELL = `${NOTEBOOK} .jp-CodeCell`;

export async function runCanary(c: CanaryInput): Promise<CanaryResult> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new BrowserCanaryError(
      'BROWSER_FAILED',
      'no Chromium for browser canaries (looked in /usr/bin; REHEARSE_CHROMIUM names another)',
      'launch',
    );
  }
  const { chromium } = await import('playwright-core');
  let stage = 'launch';
  let browser: Browser | undefined;
  let page: Page | undefined;
  const timer = AbortSignal.timeout(c.timeoutMs);
  const bound = c.signal ? AbortSignal.any([timer, c.signal]) : timer;
  const ended = new Promise<never>((_, reject) => {
    const fail = () =>
      reject(
        new BrowserCanaryError(
          'BROWSER_TIMEOUT',
          `the canary did not get past "${stage}" within ${c.timeoutMs} ms`,
          stage,
        ),
      );
    if (bound.aborted) fail();
    bound.addEventListener('abort', fail, { once: true });
  });
  ended.catch(() => undefined);
  const work = async (): Promise<CanaryResult> => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      // As root (CI, this machine) Chromium refuses its sandbox; no GPU in a headless box.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      timeout: c.timeoutMs,
    });
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ...(c.login || !c.token ? {} : { extraHTTPHeaders: { authorization: `token ${c.token}` } }),
    });
    page = await context.newPage();
    page.setDefaultTimeout(c.timeoutMs);
    const t0 = c.now();
    if (c.login) {
      stage = 'login';
      const next = new URL(c.link).pathname + new URL(c.link).search;
      await page.goto(`${c.hubUrl}hub/login?next=${encodeURIComponent(next)}`);
      await page.fill('#username_input', c.login.username);
      await page.fill('#password_input', c.login.password);
      stage = 'link';
      await Promise.all([
        page.waitForURL((u) => !u.pathname.endsWith('/hub/login')),
        page.click('#login_submit'),
      ]);
    } else {
      stage = 'link';
      await page.goto(c.link);
    }
    stage = 'notebook';
    await page.waitForSelector(NOTEBOOK, { state: 'visible' });
    stage = 'kernel-idle';
    await kernelReady(page, bound);
    const readyMs = c.now() - t0;
    stage = 'cell';
    const cell = page.locator(FIRST_CODE_CELL).first();
    const t1 = c.now();
    // Click into the cell and Shift+Enter, as a person runs a cell. A press that JupyterLab drops
    // (its kernel connection still settling) leaves the prompt at "[ ]": press again, at most 3 times.
    const prompt = cell.locator('.jp-InputPrompt').first();
    const out = cell.locator('.jp-OutputArea-output');
    for (let attempt = 1; ; attempt++) {
      await cell.locator('.jp-InputArea-editor').click();
      await page.keyboard.press('Shift+Enter');
      const started = await waitUntil(
        bound,
        5000,
        async () => !/\[\s*\]/.test((await prompt.textContent()) ?? ''),
      );
      if (started || attempt >= 3) break;
    }
    await out.first().waitFor({ state: 'visible' });
    await page.waitForSelector(IDLE, { state: 'attached' });
    const cellMs = c.now() - t1;
    const output = (await out.allInnerTexts()).join('\n').trim();
    stage = 'done';
    return { readyMs, cellMs, stage, output };
  };
  try {
    return await Promise.race([work(), ended]);
  } catch (err) {
    if (err instanceof BrowserCanaryError) throw err;
    throw new BrowserCanaryError(
      'BROWSER_FAILED',
      `canary failed at "${stage}": ${(err as Error).message.split('\n')[0]}`,
      stage,
    );
  } finally {
    await screenshot(page, c.screenshotFile);
    await closeBrowser(browser);
  }
}

const KERNEL_DIALOG_ACCEPT = '.jp-Dialog .jp-Dialog-button.jp-mod-accept';

/**
 * The notebook's kernel is idle and no dialog waits: JupyterLab 4 asks "Select Kernel" when the
 * notebook's kernelspec does not name one exactly; a person clicks "Select" (the preferred kernel).
 */
async function kernelReady(page: Page, signal: AbortSignal): Promise<void> {
  let idleSince: number | undefined;
  while (!signal.aborted) {
    const dialog = page.locator(KERNEL_DIALOG_ACCEPT);
    if (await dialog.isVisible().catch(() => false)) await dialog.click().catch(() => undefined);
    // The toolbar indicator and the status bar's "<kernel> | Idle" (which says Connecting or
    // Initializing until the kernel answered), seen for 500 ms without a dialog.
    const idle =
      (await page.locator(IDLE).count()) > 0 &&
      (await page.locator('.jp-StatusBar-TextItem', { hasText: /\| Idle$/ }).count()) > 0 &&
      !(await dialog.isVisible().catch(() => false));
    if (!idle) idleSince = undefined;
    else if (idleSince === undefined) idleSince = Date.now();
    else if (Date.now() - idleSince >= 500) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Poll `check` every 100 ms for up to `ms`; true as soon as it holds. */
async function waitUntil(signal: AbortSignal, ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (!signal.aborted && Date.now() < end) {
    if (await check().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function screenshot(page: Page | undefined, file: string): Promise<void> {
  if (!page) return;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    await page.screenshot({ path: file, timeout: 10_000 });
  } catch {
    // a crashed or hung page gives no screenshot; the canary event says so (no file)
  }
}

/** Close, bounded: a browser that does not close in 10 s has its process killed. */
async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  const closing = browser.close().catch(() => undefined);
  await Promise.race([closing, new Promise((r) => setTimeout(r, 10_000).unref())]);
}
