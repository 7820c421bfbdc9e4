import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readRecord } from '../../loadgen/record/reader.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// examples/rehearse-from-a-script.mjs end to end: the library entry (`import … from 'rehearse'`,
// package.json exports, built dist/) runs a local rehearsal on the real local stack and writes its
// report. The stack is started by the test (the script is given its state folder), so the script
// uses it and leaves it running; the test then checks the hub was left as found.
const EXAMPLE = fileURLToPath(new URL('../../examples/rehearse-from-a-script.mjs', import.meta.url));

describeEachStack('examples/rehearse-from-a-script.mjs', (stack) => {
  let t: TestStack;
  let dir: string;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 1 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-example-'));
  });

  afterAll(async () => {
    const { leftovers, marked } = await t.stop();
    expect(leftovers).toEqual([]);
    expect(marked).toEqual([]);
  });

  it('runs a 2-user rehearsal through the library API, writes the record and the report, exits 0', async () => {
    const notebook = writeNotebook(join(dir, 'nb.ipynb'), 'print(6 * 7)');
    const scenario = join(dir, 'two.yaml');
    writeFileSync(
      scenario,
      [
        'name: two',
        'seed: 5',
        'target: { kind: local }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        'cohorts: [{ name: pair, users: 2, arrival: { kind: burst, over: 2s } }]',
        `session: { notebook: ${notebook}, thinkTime: { median: 200ms, p95: 400ms }, duration: 10s }`,
        'slo: ["launch.failed rate < 1%", "session.failed count == 0"]',
        '',
      ].join('\n'),
    );
    const runs = join(dir, 'runs');
    const child = spawn(process.execPath, [EXAMPLE, scenario, runs, t.stack.stateDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    expect(code, err).toBe(0);
    const line = JSON.parse(out.trim()) as {
      dir: string;
      verdict: string;
      users: { completed: number; failed: number };
      report: string;
      exitCode: number;
    };
    expect(line).toMatchObject({ verdict: 'pass', exitCode: 0, users: { completed: 2, failed: 0 } });
    expect(existsSync(line.report)).toBe(true);
    const record = readRecord(line.dir);
    expect(record.meta.rng).toBe('sfc32/splitmix32, fnv1a-fmix32 labels');
    expect(record.summary.verdict).toBe('pass');
    expect(err).toContain('using the running local target');
  }, 175_000);
});
