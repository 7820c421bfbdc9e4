import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserCanaryError, findChromium, runCanary } from '../../loadgen/workshop/browser.js';

// A browser canary is bounded: against a "hub" that accepts the connection and never answers (a
// fault the real stack cannot be made to produce on demand), real headless Chromium is ended at
// its timeout and the canary classified BROWSER_TIMEOUT with the stage it was stuck at, and no
// Chromium process of ours is left. Under CI a missing Chromium fails this test (findChromium).
describe('browser canary bound', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer(() => undefined); // never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('ends a hanging canary at its timeout, classified, with no Chromium left', async () => {
    expect(findChromium(), 'Debian chromium (scripts/bootstrap.mjs --with-browser)').toBeDefined();
    const err = await runCanary({
      user: 'u0001',
      hubUrl: url,
      link: `${url}hub/user-redirect/lab`,
      token: 'not-a-secret',
      screenshotFile: join(mkdtempSync(join(tmpdir(), 'canary-')), 'u0001.png'),
      timeoutMs: 4000,
      now: () => performance.now(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserCanaryError);
    expect((err as BrowserCanaryError).code).toBe('BROWSER_TIMEOUT');
    expect((err as BrowserCanaryError).stage).toBe('link');
    const children = execFileSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    expect(children).not.toMatch(/chrom/i);
  }, 90_000);
});
