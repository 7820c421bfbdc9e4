import type { KernelError } from '../../loadgen/clients/kernel-rest.js';
import type { ExecuteResult } from '../../loadgen/clients/kernel-wire.js';
import type { RealServerApi } from '../../loadgen/runner/user.js';

/**
 * A Jupyter server for `rehearse check`'s loop, in process: one notebook `x.ipynb` whose code
 * cells are the keys of `cells`, each running in a known virtual time with a known result.
 */
export type Behaviour = { ms: number; result?: 'ok' | 'error'; throws?: KernelError };

export function fake(cells: Record<string, Behaviour>, log: string[], probe: 'ok' | 'aborted' = 'ok') {
  let t = 0;
  const notebook = {
    metadata: { kernelspec: { name: 'python3' } },
    cells: Object.keys(cells).map((source) => ({ cell_type: 'code', source })),
  };
  const ok = (): ExecuteResult => ({
    status: 'ok',
    executionCount: 1,
    stdout: '',
    stderr: '',
    result: undefined,
    displayData: 0,
  });
  const api: RealServerApi = {
    rest: {
      contents: async (path) =>
        path === ''
          ? {
              name: '',
              path: '',
              type: 'directory',
              content: [{ name: 'x.ipynb', path: 'x.ipynb', type: 'notebook', content: null }],
            }
          : { name: path, path, type: 'notebook', content: notebook },
      kernelSpecNames: async () => ['python3'],
      interruptKernel: async () => {
        log.push('interrupt');
      },
      restartKernel: async () => {
        log.push('restart');
        return { id: 'k', name: 'python3', last_activity: '', execution_state: 'idle', connections: 0 };
      },
    },
    startKernel: async (name) => {
      log.push(`start ${name}`);
      return { id: 'k' };
    },
    deleteKernel: async () => 'deleted',
    connect: async () => ({
      kernelInfo: async () => ({ language_info: { name: 'python', version: '3.11.2' } }),
      close: async () => undefined,
      execute: async (code) => {
        if (code === 'pass') return { ...ok(), status: probe };
        const b = cells[code];
        if (b === undefined) return { ...ok(), stdout: '{"python": "3.11.2", "pandas": "1.5.3"}\n' }; // the versions snippet
        t += b.ms;
        log.push(`run ${code}`);
        if (b.throws) throw b.throws;
        if (b.result === 'error')
          return {
            ...ok(),
            status: 'error',
            error: { ename: 'NameError', evalue: "name 'x' is not defined", traceback: [] },
          };
        return ok();
      },
    }),
  };
  return { api, now: () => t };
}
