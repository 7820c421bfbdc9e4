import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { InputError, RehearseError } from '../../core/errors.js';
import { LOCAL_STACKS } from '../../scenarios/schema.js';
import { notRootError, rootState } from './debian-root.js';
import { findPython, installHint } from './prerequisites.js';
import { inRoot } from './root-exec.js';

/**
 * The local target's stacks: which Python (and so which JupyterHub, jupyter-server, Dask) runs
 * the hub, the single-user servers, the kernels and Dask.
 *
 * - `debian12`: Debian 12's system Python, /usr/bin/python3 with Debian's packages (JupyterHub 3.0,
 *   jupyter-server 1.23, Dask 2022.12). Only on a Debian 12 host.
 * - `debian13`: a Debian 13 root built by set-up (debian-root.ts): JupyterHub 5.2, jupyter-server
 *   2.15, Dask 2024.12 — what today's hubs run. Its processes run inside the root in a private
 *   mount namespace (root-exec.ts).
 * - `custom`: your own interpreter, $REHEARSE_PYTHON (else `python3` on PATH), e.g. a venv.
 *
 * Whatever the name, the versions recorded are the ones the stack reports itself (stackVersions).
 */
export const STACK_NAMES = LOCAL_STACKS;
export type StackName = (typeof STACK_NAMES)[number];

export const STACK_SUMMARY: Record<StackName, string> = {
  debian12: "Debian 12's system Python (/usr/bin/python3): JupyterHub 3.0, jupyter-server 1.23, Dask 2022.12",
  debian13: 'a Debian 13 root built by set-up: JupyterHub 5.2, jupyter-server 2.15, Dask 2024.12',
  custom: 'your own interpreter: $REHEARSE_PYTHON, else python3 on PATH',
};

export function isStackName(s: string): s is StackName {
  return (STACK_NAMES as readonly string[]).includes(s);
}

/** A stack name from a flag or a scenario; an unknown one is invalid input naming the valid ones. */
export function parseStackName(s: string): StackName {
  if (isStackName(s)) return s;
  throw new InputError('STACK_UNKNOWN', `unknown stack "${s}"`, {
    hint: `Valid stacks:\n${STACK_NAMES.map((n) => `  ${n.padEnd(9)} ${STACK_SUMMARY[n]}`).join('\n')}`,
  });
}

/** The stack used when none is named: your interpreter when REHEARSE_PYTHON is set, else debian12. */
export function defaultStackName(env: NodeJS.ProcessEnv = process.env): StackName {
  return env.REHEARSE_PYTHON ? 'custom' : 'debian12';
}

export interface Stack {
  name: StackName;
  /** The interpreter's path as the stack's own processes see it. */
  python: string;
  /** The Debian root the stack runs in (debian13). */
  root?: string;
  /**
   * The command line that runs `argv` in this stack with `hostPaths` (absolute folders) visible
   * at the same paths: `argv` itself on the host, or entering the root.
   */
  command(argv: string[], hostPaths: string[]): { command: string; args: string[] };
}

/** The stack named `name`, checked to be usable here; throws with the ways forward otherwise. */
export function openStack(name: StackName, env: NodeJS.ProcessEnv = process.env): Stack {
  const onHost = (python: string): Stack => ({
    name,
    python,
    command: (argv) => ({ command: argv[0] as string, args: argv.slice(1) }),
  });
  if (name === 'custom') return onHost(findPython(env, { own: true }));
  if (name === 'debian12') {
    const release = osRelease();
    if (release.ID !== 'debian' || release.VERSION_ID !== '12') {
      throw new InputError(
        'STACK_UNAVAILABLE',
        `the debian12 stack needs a Debian 12 host; this is ${release.PRETTY_NAME ?? 'not Debian'}`,
        {
          hint: 'Use --stack debian13 (as root: npm run bootstrap -- --with-stack debian13), or bring your own interpreter: REHEARSE_PYTHON=/path/to/python --stack custom',
        },
      );
    }
    return onHost(findPython(env, { own: false }));
  }
  const st = rootState(env);
  if (st.state !== 'intact') throw notRootError(st.why);
  if (process.getuid?.() !== 0) {
    throw new InputError(
      'STACK_NEEDS_ROOT',
      'the debian13 stack runs its processes in a Debian root, which needs root (mount namespaces, chroot)',
      {
        hint: 'Run as root, or bring your own interpreter with JupyterHub 5: REHEARSE_PYTHON=/path/to/venv/bin/python --stack custom',
      },
    );
  }
  const root = st.dir;
  return {
    name,
    python: '/usr/bin/python3',
    root,
    command: (argv, hostPaths) => inRoot(root, argv, hostPaths),
  };
}

function osRelease(): Record<string, string> {
  const out: Record<string, string> = {};
  const f = '/etc/os-release';
  if (!existsSync(f)) return out;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = (m[2] as string).replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** The packages whose versions every record and `status` show, as the stack reports them. */
export const VERSIONED = [
  'jupyterhub',
  'jupyter_server',
  'ipykernel',
  'dask',
  'distributed',
  'xarray',
  'numpy',
  'pandas',
] as const;

export interface StackVersions {
  python: string;
  packages: Record<string, string | null>;
}

/**
 * Python's own view of each package version (importlib.metadata). Debian's xarray says "999"
 * there (its build lacks the version file); then dpkg's upstream version of python3-<name> is used.
 */
const VERSIONS_PY = `
import importlib.metadata as md, json, platform, subprocess, sys
out = {"python": platform.python_version(), "packages": {}}
for name in sys.argv[1:]:
    try:
        v = md.version(name)
    except Exception:
        v = None
    if v is not None and v.startswith("999"):
        try:
            deb = subprocess.run(["dpkg-query", "-W", "-f=\${Version}", "python3-" + name.replace("_", "-")],
                                 capture_output=True, text=True, timeout=20).stdout.strip()
            v = deb.split("-")[0] or v
        except Exception:
            pass
    out["packages"][name] = v
print(json.dumps(out))
`;

export function stackVersions(stack: Stack): StackVersions {
  const { command, args } = stack.command([stack.python, '-c', VERSIONS_PY, ...VERSIONED], []);
  try {
    const text = execFileSync(command, args, { encoding: 'utf8', timeout: 60_000, stdio: 'pipe' });
    return JSON.parse(text) as StackVersions;
  } catch (err) {
    throw new RehearseError(
      'STACK_BROKEN',
      `the ${stack.name} stack did not report its versions: ${(err as Error).message.split('\n')[0]}`,
      {
        hint: installHint(),
        cause: err,
      },
    );
  }
}

/** One line: "JupyterHub 5.2.1, jupyter_server 2.15.0, ..." */
export function formatVersions(v: StackVersions): string {
  const parts = Object.entries(v.packages).map(([k, ver]) => `${k} ${ver ?? 'missing'}`);
  return `Python ${v.python}, ${parts.join(', ')}`;
}
