import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { RehearseError } from '../../core/errors.js';

/**
 * Finding a Python that has the local stack's packages: Debian 12 puts them under /usr/bin/python3
 * (the `debian12` stack); your own interpreter (the `custom` stack) is REHEARSE_PYTHON, else a
 * `python3` on PATH (pyenv, conda, a venv), which may be another interpreter without them.
 */
const MODULES = ['jupyterhub', 'jupyter_server', 'ipykernel', 'dask', 'distributed', 'xarray'] as const;

export const APT_PACKAGES = [
  'jupyterhub',
  'python3-jupyter-server',
  'python3-ipykernel',
  'python3-dask',
  'python3-distributed',
  'python3-xarray',
] as const;

export function installHint(): string {
  return [
    'Install the local stack, then run the command again:',
    `  Debian/Ubuntu (as root):  apt-get install -y ${APT_PACKAGES.join(' ')}`,
    "  pip:                      python3 -m pip install 'jupyterhub>=3,<6' jupyter-server ipykernel 'dask[distributed]' xarray",
    '  conda:                    conda install -c conda-forge jupyterhub jupyter_server ipykernel dask distributed xarray',
    'With pip or conda, point rehearse at that interpreter: export REHEARSE_PYTHON=$(command -v python3)',
  ].join('\n');
}

/**
 * Modules `python` cannot import (empty when it has them all). An interpreter that cannot run at
 * all is reported as missing everything, with why in `error`.
 */
export function missingModules(python: string): { missing: string[]; error?: string } {
  const code = `import importlib.util,sys\nprint(" ".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`;
  try {
    const out = execFileSync(python, ['-c', code, ...MODULES], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: 'pipe',
    });
    return { missing: out.trim() === '' ? [] : out.trim().split(/\s+/) };
  } catch (err) {
    const e = err as { code?: string; status?: number | null; stderr?: string };
    const why =
      e.code === 'ENOENT'
        ? 'not found'
        : (e.stderr?.trim().split('\n').at(-1) ?? `exit ${e.status ?? e.code}`);
    return { missing: [...MODULES], error: why || `exit ${e.status}` };
  }
}

/**
 * The interpreter to run the local stack with: Debian's /usr/bin/python3, or with `own` yours
 * (REHEARSE_PYTHON, else python3 on PATH). Throws with the exact install command otherwise.
 */
export function findPython(env: NodeJS.ProcessEnv = process.env, opts: { own?: boolean } = {}): string {
  const own = opts.own ?? Boolean(env.REHEARSE_PYTHON);
  const candidates = own ? [env.REHEARSE_PYTHON || 'python3'] : ['/usr/bin/python3'];
  let report = '';
  for (const py of candidates) {
    if (py.startsWith('/') && !existsSync(py)) {
      report += `\n  ${py}: not found`;
      continue;
    }
    const { missing, error } = missingModules(py);
    if (missing.length === 0) return py;
    report += `\n  ${py}: missing ${missing.join(', ')}${error ? ` (${error})` : ''}`;
  }
  throw new RehearseError(
    'LOCAL_STACK_MISSING',
    `The local target needs JupyterHub, Jupyter Server, ipykernel, Dask and xarray:${report}`,
    {
      hint: installHint(),
    },
  );
}
