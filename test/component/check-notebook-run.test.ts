import { describe, expect, it } from 'vitest';
import { type NotebookRunState, runNotebook } from '../../loadgen/check/notebook-run.js';
import { KernelError } from '../../loadgen/clients/kernel-rest.js';
import { fake } from '../helpers/fake-check-server.js';

/**
 * runNotebook against a fake server whose kernel runs each cell in a known virtual time: the
 * rules of the loop (stop at the first failure, keep going, the notebook bound, a lost kernel)
 * with exact outcomes. The real kernel's side is tested on the real stack (check-local).
 */
const opts = (now: () => number, keepGoing: boolean) => ({
  keepGoing,
  cellTimeoutMs: 10_000,
  notebookTimeoutMs: 60_000,
  now,
});

describe('runNotebook', () => {
  const cells = { a: { ms: 100 }, b: { ms: 200, result: 'error' as const }, c: { ms: 100 } };

  it('stops at the first error by default; the rest is not run, with the reason', async () => {
    const log: string[] = [];
    const { api, now } = fake(cells, log);
    const state: NotebookRunState = {};
    const nb = await runNotebook(api, 'x.ipynb', opts(now, false), state);
    expect(nb.status).toBe('failed');
    expect(nb.cells.map((c) => [c.outcome, c.durationMs])).toEqual([
      ['ok', 100],
      ['error', 200],
      ['not-run', undefined],
    ]);
    expect(nb.cells[2]?.note).toBe('cell 1 failed first');
    expect(log).toEqual(['start python3', 'run a', 'run b']);
    expect(state).toMatchObject({ kernelId: 'k', languageInfo: { name: 'python', version: '3.11.2' } });
  });

  it('--keep-going runs every cell', async () => {
    const log: string[] = [];
    const { api, now } = fake(cells, log);
    const nb = await runNotebook(api, 'x.ipynb', opts(now, true), {});
    expect(nb.cells.map((c) => c.outcome)).toEqual(['ok', 'error', 'ok']);
  });

  it('the notebook bound: cells it leaves no time for are not run', async () => {
    const { api, now } = fake({ a: { ms: 40_000 }, b: { ms: 30_000 }, c: { ms: 1 } }, []);
    const nb = await runNotebook(api, 'x.ipynb', opts(now, true), {});
    expect(nb.cells.map((c) => c.outcome)).toEqual(['ok', 'ok', 'not-run']);
    expect(nb.cells[2]?.note).toBe('the notebook time limit was reached');
    expect(nb.status).toBe('passed');
  });

  it('a timed-out cell: the kernel is interrupted, answers a probe, and the next cell runs', async () => {
    const log: string[] = [];
    const { api, now } = fake(
      { a: { ms: 10_000, throws: new KernelError('timeout', 'no answer') }, b: { ms: 5 } },
      log,
    );
    const nb = await runNotebook(api, 'x.ipynb', opts(now, true), {});
    expect(nb.cells.map((c) => c.outcome)).toEqual(['timeout', 'ok']);
    expect(nb.cells[0]?.note).toBe('no reply within 10000 ms: the kernel was interrupted');
    expect(log).toEqual(['start python3', 'run a', 'interrupt', 'run b']);
  });

  it('a kernel that does not come back after the interrupt is restarted, and the notebook goes on', async () => {
    const log: string[] = [];
    const { api, now } = fake(
      { a: { ms: 10_000, throws: new KernelError('timeout', 'no answer') }, b: { ms: 5 } },
      log,
      'aborted',
    );
    const nb = await runNotebook(api, 'x.ipynb', opts(now, true), {});
    expect(nb.cells[0]?.note).toBe(
      'no reply within 10000 ms: the kernel did not answer after an interrupt and was restarted (its state is lost)',
    );
    expect(log).toEqual(['start python3', 'run a', 'interrupt', 'restart', 'run b']);
  });

  it('interrupted (Ctrl-C): the cells not yet started are not run', async () => {
    const ctl = new AbortController();
    const { api, now } = fake({ a: { ms: 1 }, b: { ms: 1 } }, []);
    const onCell = () => ctl.abort();
    const nb = await runNotebook(api, 'x.ipynb', { ...opts(now, true), signal: ctl.signal, onCell }, {});
    expect(nb.cells.map((c) => [c.outcome, c.note])).toEqual([
      ['ok', undefined],
      ['not-run', 'the check was interrupted'],
    ]);
  });

  it('a lost kernel connection ends the notebook, even with --keep-going', async () => {
    const { api, now } = fake(
      { a: { ms: 1, throws: new KernelError('kernel-died', 'kernel k is dead') }, b: { ms: 1 } },
      [],
    );
    const nb = await runNotebook(api, 'x.ipynb', opts(now, true), {});
    expect(nb.cells.map((c) => c.outcome)).toEqual(['error', 'not-run']);
    expect(nb.cells[0]?.error).toMatchObject({ ename: 'kernel kernel-died', evalue: 'kernel k is dead' });
    expect(nb.cells[1]?.note).toBe('the kernel connection was lost: kernel k is dead');
  });
});
