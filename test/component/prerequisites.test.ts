import { describe, expect, it } from 'vitest';
import { RehearseError } from '../../core/errors.js';
import { APT_PACKAGES, findPython } from '../../provision/local/prerequisites.js';

describe('local stack prerequisites', () => {
  it('names what is missing and gives the exact install commands', () => {
    // /bin/false stands for an interpreter without the packages (it exits 1 to any script).
    let err: unknown;
    try {
      findPython({ REHEARSE_PYTHON: '/bin/false' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RehearseError);
    const e = err as RehearseError;
    expect(e.code).toBe('LOCAL_STACK_MISSING');
    expect(e.message).toContain(
      '/bin/false: missing jupyterhub, jupyter_server, ipykernel, dask, distributed, xarray',
    );
    expect(e.hint).toContain(`apt-get install -y ${APT_PACKAGES.join(' ')}`);
    expect(e.hint).toContain('python3 -m pip install');
    expect(e.hint).toContain('conda install -c conda-forge');
    expect(e.hint).toContain('REHEARSE_PYTHON');
  });

  it('says when a configured interpreter does not exist', () => {
    expect(() => findPython({ REHEARSE_PYTHON: '/nonexistent/python3' })).toThrow(
      '/nonexistent/python3: not found',
    );
  });
});
