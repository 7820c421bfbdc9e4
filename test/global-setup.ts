import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Integration tests run daemons from dist/ (the BinderHub-API front) and the CLI binary, so dist/
 * must match the sources: compile once before any test file runs (incremental, a few seconds).
 * Type errors stop the suite: a test run on a build with type errors proves nothing. (`npm test`
 * type-checks the tests too, with `npm run typecheck`, before vitest starts.)
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    throw new Error(
      `tsc -p tsconfig.build.json failed (exit ${r.status ?? r.signal}): fix the errors above first`,
    );
  }
}
