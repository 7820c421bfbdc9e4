import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesWithMarker } from '../../provision/local/processes.js';
import { down, type UpOptions, type UpResult, up } from '../../provision/local/stack.js';

/**
 * A real local stack (JupyterHub 3 + configurable-http-proxy + the BinderHub-API front) in a
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
