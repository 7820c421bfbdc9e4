import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Integration tests run daemons from dist/ (the BinderHub-API front) and the CLI binary, so dist/
 * must match the sources: compile once before any test file runs (incremental, a few seconds).
 * Type errors are reported but do not stop the tests (tsc still emits); `npm test` fails on them
 * earlier, in its bootstrap step.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0 && r.status !== 2) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
}
