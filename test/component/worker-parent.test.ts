import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// A local worker whose coordinator dies: a real child process runs the worker's parent-death
// logic (dist/loadgen/distributed/parent-watch.js, built by the global setup), and the test
// closes the coordinator's side of all three pipes, as the OS does when the coordinator is killed.
const watchUrl = pathToFileURL(join(process.cwd(), 'dist/loadgen/distributed/parent-watch.js')).href;

describe('worker: the coordinator going away', () => {
  it('stdin ends: the worker stops cleanly (no uncaught EPIPE on stdout or stderr)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-parent-'));
    const marker = join(dir, 'gone.txt');
    const script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
import { watchParent } from ${JSON.stringify(watchUrl)};
const keepAlive = setInterval(() => undefined, 1000);
const w = watchParent({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  gone: (why) => {
    // As the worker does after 'gone': users leave, and it keeps logging while they do.
    let n = 0;
    const beat = setInterval(() => {
      if (!w.broken(process.stdout)) process.stdout.write('{"heartbeat":' + n + '}\\n');
      if (!w.broken(process.stderr)) process.stderr.write('users leaving ' + n + '\\n');
      if (++n === 20) {
        clearInterval(beat);
        clearInterval(keepAlive);
        writeFileSync(${JSON.stringify(marker)}, why);
        w.stop();
        process.exitCode = 7;
      }
    }, 5);
  },
});
process.stdout.write('ready\\n');
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
    expect(await exit).toBe(7);
    expect(readFileSync(marker, 'utf8')).toBe('stdin closed (coordinator gone)');
  }, 30_000);
});
