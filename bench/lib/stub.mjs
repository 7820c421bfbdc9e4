// Starting and stopping bench/stub-target.mjs as a child process, and reading its stats.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const STUB = fileURLToPath(new URL('../stub-target.mjs', import.meta.url));

/** A fresh token for one bench run (passed to children through STUB_TOKEN, never argv). */
export const newToken = () => randomBytes(16).toString('hex');

/**
 * Spawn the stub; resolves once it printed its port (bounded by 15 s).
 * opts: { token, replyDelayMs?, stall?: [t1, t2], maxSeconds? }
 */
export async function startStub(opts) {
  const args = [STUB, `--max-seconds=${opts.maxSeconds ?? 600}`];
  if (opts.replyDelayMs) args.push(`--reply-delay-ms=${opts.replyDelayMs}`);
  if (opts.stall) args.push(`--stall=${opts.stall[0]}:${opts.stall[1]}`);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, STUB_TOKEN: opts.token },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let buf = '';
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('stub-target did not print its port within 15 s')),
      15_000,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`stub-target exited with ${code} before listening`));
    });
    child.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(buf.slice(0, nl)));
    });
  });
  const url = `http://127.0.0.1:${info.port}/`;
  return {
    ...info,
    url,
    child,
    async stats() {
      const res = await fetch(`${url}_stub/stats`, { signal: AbortSignal.timeout(10_000) });
      return res.json();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end(); // the stub quits when its stdin closes
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await once(child, 'exit');
      clearTimeout(t);
    },
  };
}
