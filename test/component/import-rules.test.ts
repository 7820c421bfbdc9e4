import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The import table (.dependency-cruiser.cjs, run by `npm run lint:imports` in `npm test`) fails on a
 * violation and says why. A process (depcruise), so component tier. The repo's own tree is checked
 * by `npm test` itself; here a scratch tree with one file per case shows that the rules can fail.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'rehearse-import-rules-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(scratch, 'tree-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext' } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = spawnSync(
    process.execPath,
    [
      DEPCRUISE,
      '--config',
      join(ROOT, '.dependency-cruiser.cjs'),
      '--output-type',
      'err-long',
      ...Object.keys(files),
    ],
    { cwd: dir, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the import table', () => {
  it('passes a tree that follows it', () => {
    const r = cruise({
      'core/errors.ts': 'export const E = 1;\n',
      'analysis/a.ts':
        "import { E } from '../core/errors.js';\nimport { R } from '../loadgen/record/r.js';\nexport const A = E + R;\n",
      'loadgen/record/r.ts': "import { E } from '../../core/errors.js';\nexport const R = E;\n",
    });
    expect(r.out).toContain('no dependency violations');
    expect(r.status).toBe(0);
  });

  it.each([
    [
      'analysis/a.ts',
      'loadgen/runner/u.ts',
      "import { U } from '../loadgen/runner/u.js';\nexport const A = U;\n",
      'analysis-reads-loadgen-only-through-the-record',
      'reads runs only through the run record',
    ],
    [
      'core/c.ts',
      'loadgen/runner/u.ts',
      "import type { U } from '../loadgen/runner/u.js';\nexport type C = U;\n",
      'core-imports-nothing-of-ours',
      'may import only third-party packages',
    ],
    [
      'loadgen/l.ts',
      'cli/main.ts',
      "export const l = () => import('../cli/main.js');\n",
      'nothing-imports-cli',
      'no library folder imports cli/',
    ],
  ])('fails %s importing %s with the rule and its reason', (from, to, text, rule, reason) => {
    const r = cruise({ [from]: text, [to]: 'export const U = 1;\nexport type U = number;\n' });
    expect(r.status).not.toBe(0);
    expect(r.out).toContain(`error ${rule}: ${from} → ${to}`);
    expect(r.out.replace(/\s+/g, ' ')).toContain(reason);
  });
});
