import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `bin/rehearse.js` (the built CLI: test/global-setup.ts compiles dist/ first). */
export const BIN = fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url));

export interface CliChild {
  /** The exit code (null when killed by a signal). */
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (sig: NodeJS.Signals) => void;
}

/**
 * `rehearse <args>` as a child process, its output collected; SIGKILLed after `killAfterMs` so
 * that a hung run fails its test instead of the suite.
 */
export function rehearseChild(
  args: string[],
  o: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {},
): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...o.env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 200_000);
  const code = new Promise<number | null>((resolve) =>
    child.on('exit', (c) => {
      clearTimeout(killer);
      resolve(c);
    }),
  );
  return { code, stdout: () => out, stderr: () => err, kill: (s) => child.kill(s) };
}
