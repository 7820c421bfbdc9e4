import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError, RehearseError } from '../../core/errors.js';
import { inRoot, removeRootDir } from './root-exec.js';
import { withStateLock } from './state.js';

/**
 * The Debian 13 ("trixie") root of the `debian13` local stack, built by set-up with mmdebstrap
 * into a cache folder outside the checkout that survives between runs:
 *
 *   <cache>/roots/debian13/        the root, used only when its stamp matches
 *   <cache>/roots/debian13.json    the stamp: package list hash, suite, mirror, build time, size
 *   <cache>/roots/debian13.partial a build in progress, or an interrupted one (deleted, never used)
 *
 * The stamp is written last, after the root was renamed into place and checked to import every
 * module the stack needs, so a folder without a matching stamp is half-built and gets rebuilt.
 * mmdebstrap runs in its `unshare` mode: as root it still unshares the mount namespace, so an
 * interrupted build leaves no mount on the host (its default `root` mode mounts /proc, /sys and
 * /dev into the target on the host).
 */

export const DEBIAN13_SUITE = 'trixie';

/**
 * What the root holds: the stack of a JupyterHub 5 hub with Dask and xarray, plus what a 2i2c-style
 * workshop hub serves: JupyterLab 4 (the UI the browser canaries drive), nbgitpuller and git (the
 * `session.gitpull` step). `jupyterlab` brings Debian's node-* build tree with it: ~2.1 GB and
 * about twice the build time of the hub alone, measured. A change here rebuilds the root.
 */
export const DEBIAN13_PACKAGES = [
  'jupyterhub',
  'python3-jupyter-server',
  'python3-ipykernel',
  'python3-dask',
  'python3-distributed',
  'python3-xarray',
  'python3-bottleneck',
  'python3-pandas',
  'python3-numpy',
  'jupyterlab',
  'python3-nbgitpuller',
  'git',
] as const;

/** Modules the root's /usr/bin/python3 must import for the stack to count as intact. */
export const ROOT_MODULES = [
  'jupyterhub',
  'jupyter_server',
  'ipykernel',
  'dask',
  'distributed',
  'xarray',
  'jupyterlab',
  'nbgitpuller',
];

export interface RootStamp {
  stamp: 1;
  suite: string;
  packages: string[];
  packagesHash: string;
  mirror: string;
  builtAt: string;
  buildSeconds: number;
  bytes: number;
}

export const packagesHash = (suite: string, packages: readonly string[]): string =>
  createHash('sha256')
    .update(`${suite}\n${[...packages].sort().join('\n')}`)
    .digest('hex')
    .slice(0, 16);

/** `$REHEARSE_CACHE`, else `$XDG_CACHE_HOME/rehearse`, else `~/.cache/rehearse`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REHEARSE_CACHE) return env.REHEARSE_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'rehearse');
}

export function rootPaths(env: NodeJS.ProcessEnv = process.env) {
  const base = join(cacheDir(env), 'roots');
  return {
    base,
    dir: join(base, 'debian13'),
    stamp: join(base, 'debian13.json'),
    partial: join(base, 'debian13.partial'),
  };
}

export type RootState =
  | { state: 'intact'; dir: string; stamp: RootStamp }
  | { state: 'missing' | 'stale' | 'half-built'; dir: string; why: string };

/** Whether the root can be used as it is (no process is started: files only). */
export function rootState(env: NodeJS.ProcessEnv = process.env): RootState {
  const p = rootPaths(env);
  const want = packagesHash(DEBIAN13_SUITE, DEBIAN13_PACKAGES);
  const hasDir = existsSync(join(p.dir, 'usr', 'bin', 'python3'));
  if (!existsSync(p.stamp)) {
    if (existsSync(p.dir) || existsSync(p.partial))
      return { state: 'half-built', dir: p.dir, why: 'a build did not finish (no stamp)' };
    return { state: 'missing', dir: p.dir, why: `no root in ${p.dir}` };
  }
  let stamp: RootStamp;
  try {
    stamp = JSON.parse(readFileSync(p.stamp, 'utf8')) as RootStamp;
  } catch {
    return { state: 'half-built', dir: p.dir, why: `unreadable stamp ${p.stamp}` };
  }
  if (!hasDir) return { state: 'half-built', dir: p.dir, why: `stamp without a root in ${p.dir}` };
  if (stamp.packagesHash !== want)
    return { state: 'stale', dir: p.dir, why: 'the package list changed since it was built' };
  return { state: 'intact', dir: p.dir, stamp };
}

/** The mirror to build from: REHEARSE_DEBIAN_MIRROR, else the host's own apt sources. */
export function debianMirror(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REHEARSE_DEBIAN_MIRROR) return env.REHEARSE_DEBIAN_MIRROR;
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    // deb822 `URIs: <url>` or one-line `deb <url> <suite> ...`; the archive, not the security one.
    const urls = [...text.matchAll(/^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/gm)].map(
      (m) => m[1] as string,
    );
    const archive = urls.find((u) => /\/debian\/?$/.test(u));
    if (archive) return archive;
  }
  throw new InputError('MIRROR_UNKNOWN', 'cannot find a Debian mirror in the apt sources of this machine', {
    hint: 'Set REHEARSE_DEBIAN_MIRROR to the URL of a Debian archive mirror that serves trixie.',
  });
}

export interface EnsureRootResult {
  dir: string;
  built: boolean;
  stamp: RootStamp;
  /** Why it was (re)built: missing, stale, half-built. */
  reason?: string;
}

/**
 * Make sure the Debian 13 root is built and intact: reuse it when its stamp matches, otherwise
 * (missing, package list changed, interrupted build) build it anew. Root only (mmdebstrap needs to
 * create files owned by root and mount inside its namespace).
 */
export async function ensureDebian13Root(
  opts: { env?: NodeJS.ProcessEnv; log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<EnsureRootResult> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const p = rootPaths(env);
  mkdirSync(p.base, { recursive: true });
  return withStateLock(p.dir, async () => {
    const st = rootState(env);
    if (st.state === 'intact') return { dir: st.dir, built: false, stamp: st.stamp };
    if (process.getuid?.() !== 0) throw notRootError(st.why);
    if (!existsSync('/usr/bin/mmdebstrap')) {
      throw new RehearseError('MMDEBSTRAP_MISSING', 'building the Debian 13 root needs mmdebstrap', {
        exitCode: 2,
        hint: 'apt-get install -y mmdebstrap   (then run the set-up again)',
      });
    }
    const mirror = debianMirror(env);
    log(
      `building the Debian 13 root (${st.why}) in ${p.dir} from ${mirror}; this takes 4 minutes or more (JupyterLab brings ~1 GB of Debian node packages)`,
    );
    removeRootDir(p.partial);
    const started = Date.now();
    await runMmdebstrap(p.partial, mirror, log, opts.timeoutMs ?? 20 * 60_000);
    checkImports(p.partial);
    const buildSeconds = Math.round((Date.now() - started) / 100) / 10;
    const bytes = duBytes(p.partial);
    removeRootDir(p.dir);
    renameSync(p.partial, p.dir);
    const stamp: RootStamp = {
      stamp: 1,
      suite: DEBIAN13_SUITE,
      packages: [...DEBIAN13_PACKAGES],
      packagesHash: packagesHash(DEBIAN13_SUITE, DEBIAN13_PACKAGES),
      mirror,
      builtAt: new Date().toISOString(),
      buildSeconds,
      bytes,
    };
    const tmp = `${p.stamp}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(stamp, null, 2)}\n`);
    renameSync(tmp, p.stamp);
    log(`built the Debian 13 root in ${buildSeconds} s, ${(bytes / 1e6).toFixed(0)} MB`);
    return { dir: p.dir, built: true, stamp, reason: st.why };
  });
}

export function notRootError(why: string): InputError {
  return new InputError('STACK_ROOT_MISSING', `the debian13 stack needs its Debian 13 root (${why})`, {
    hint: [
      'Two ways forward:',
      '  1. as root, build it (4+ minutes, ~1.8 GB, once):  npm run bootstrap -- --with-stack debian13',
      '  2. bring your own interpreter with JupyterHub 5 (a venv with jupyterhub, jupyter-server, ipykernel,',
      "     'dask[distributed]', xarray):  REHEARSE_PYTHON=/path/to/venv/bin/python rehearse up local --stack custom",
    ].join('\n'),
  });
}

function runMmdebstrap(target: string, mirror: string, log: (l: string) => void, timeoutMs: number) {
  const args = [
    '--mode=unshare',
    '--variant=apt',
    '--format=directory',
    `--include=${DEBIAN13_PACKAGES.join(',')}`,
    DEBIAN13_SUITE,
    target,
    mirror,
  ];
  return new Promise<void>((resolvePromise, reject) => {
    const child = spawn('/usr/bin/mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.startsWith('I: ')) log(`  mmdebstrap ${line.slice(3)}`);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else
        reject(
          new RehearseError('ROOT_BUILD_FAILED', `mmdebstrap failed (${signal ?? `exit ${code}`})`, {
            hint: `Its last output:\n${tail.trim()}\nThe partial root ${target} is removed by the next set-up.`,
          }),
        );
    });
  });
}

/** Every module the stack needs imports with the root's own python3, run inside the root. */
function checkImports(dir: string): void {
  const code = `import ${ROOT_MODULES.join(', ')}`;
  const { command, args } = inRoot(dir, ['/usr/bin/python3', '-c', code], []);
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    throw new RehearseError(
      'ROOT_BUILD_FAILED',
      `the new Debian 13 root cannot import the stack: ${r.stderr.trim().split('\n').at(-1) ?? r.status}`,
      {
        hint: 'Report this with the output above; the partial root is removed by the next set-up.',
      },
    );
  }
}

function duBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', '--one-file-system', dir], { encoding: 'utf8', timeout: 120_000 });
  return Number(r.stdout.split('\t')[0]) || 0;
}
