import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { rootState } from '../../provision/local/debian-root.js';
import { processesWithMarker } from '../../provision/local/processes.js';
import { down, type UpOptions, type UpResult, up } from '../../provision/local/stack.js';
import type { StackName } from '../../provision/local/stacks.js';

/**
 * The stacks the integration suite runs on: debian12 (JupyterHub 3, jupyter-server 1.23) and
 * debian13 (JupyterHub 5, jupyter-server 2.15), both real. `REHEARSE_TEST_STACKS=debian13` (comma
 * separated) narrows the list. Under CI=true every listed stack is required: a missing Debian 13
 * root fails its tests (openStack throws) rather than skipping them. Elsewhere a root that was never
 * built (not root, no mmdebstrap) is left out with a warning.
 */
export type TestStackName = Exclude<StackName, 'custom'>;

export function testStacks(env: NodeJS.ProcessEnv = process.env): TestStackName[] {
  const listed = (env.REHEARSE_TEST_STACKS ?? 'debian12,debian13')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as TestStackName[];
  if (env.CI === 'true') return listed;
  return listed.filter((s) => {
    if (s !== 'debian13' || rootState(env).state === 'intact') return true;
    process.stderr.write(
      'warning: the debian13 stack is not built, its integration tests are left out (npm run bootstrap -- --with-stack debian13, as root)\n',
    );
    return false;
  });
}

/** One describe block per stack, named `[<stack>] <title>`, so every test name shows its stack. */
export function describeEachStack(title: string, fn: (stack: TestStackName) => void): void {
  for (const stack of testStacks()) describe(`[${stack}] ${title}`, () => fn(stack));
}

/**
 * A real local stack (JupyterHub + configurable-http-proxy + the BinderHub-API front) in a
 * temporary state folder of its own, for one test file. `stop()` tears it down and reports what
 * survived, so tests can assert that nothing of ours is left running.
 */
export interface TestStack {
  stack: UpResult;
  hubToken: string;
  stop(): Promise<{ leftovers: number[]; marked: number[] }>;
}

export async function startTestStack(opts: Omit<UpOptions, 'stateDir'> = {}): Promise<TestStack> {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'rehearse-test-')), 'local');
  const stack = await up({ buildSeconds: 2, retryDelayMs: 300, ...opts, stateDir });
  const { readToken } = await import('../../provision/local/state.js');
  return {
    stack,
    hubToken: readToken(stack.state),
    async stop() {
      const res = await down({ stateDir });
      return { leftovers: res.leftovers, marked: processesWithMarker(stack.state.stackId) ?? [] };
    },
  };
}

/** A Dask computation with a known exact answer: sum(0..999_999) = 499_999_500_000. */
export const DASK_CELL =
  'import dask.array as da\nprint(int(da.arange(1_000_000, chunks=100_000).sum().compute()))';
export const DASK_ANSWER = '499999500000';

/** Write a minimal nbformat-4 notebook whose code cells are `sources`, in order; returns `path`. */
export function writeNotebook(path: string, ...sources: string[]): string {
  const cells = sources.map((source) => ({
    cell_type: 'code',
    metadata: {},
    outputs: [],
    execution_count: null,
    source,
  }));
  writeFileSync(path, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return path;
}

/**
 * One describe block per listed stack that is also a test stack: for features that exist only on
 * some stacks (nbgitpuller and JupyterLab 4 are in the debian13 root only). The stacks left out are
 * named on stderr with `why`, so a narrower run is never silent.
 */
export function describeOnStacks(
  only: readonly TestStackName[],
  why: string,
  title: string,
  fn: (stack: TestStackName) => void,
): void {
  const all = testStacks();
  const left = all.filter((s) => !only.includes(s));
  if (left.length > 0)
    process.stderr.write(
      `note: "${title}" runs on ${only.join(', ')} only, not ${left.join(', ')}: ${why}\n`,
    );
  for (const stack of all.filter((s) => only.includes(s))) describe(`[${stack}] ${title}`, () => fn(stack));
}
