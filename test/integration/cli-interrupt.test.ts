import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HubClient } from '../../loadgen/clients/hub.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// Ctrl-C in the middle of a cell: `rehearse launch` (a child process, signalled like a terminal
// would) stops waiting, removes the kernel, the server and the temporary user, and exits non-zero.
const BIN = fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url));
describeEachStack('cli-interrupt', (stack) => {
  let t: TestStack;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 0 });
  });

  afterAll(async () => {
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  it('SIGINT during a long cell cleans up on the hub and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-int-'));
    const nb = writeNotebook(join(dir, 'slow.ipynb'), 'import time\ntime.sleep(120)');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'launch',
        'gh/rehearse-examples/dask-intro/HEAD',
        '--target',
        'local',
        '--state-dir',
        t.stack.stateDir,
        '--notebook',
        nb,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait (bounded) until the cell is running, then interrupt.
    const deadline = Date.now() + 90_000;
    while (!stderr.includes('running 1 code cell') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toContain('running 1 code cell');
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(1);
    expect(stderr).toContain('interrupted');
    const users = await new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();
    expect(users).toEqual([]);
  });
});
