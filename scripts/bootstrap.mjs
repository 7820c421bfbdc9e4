#!/usr/bin/env node
// Set-up shared by `npm test` and `npm run quickstart`. Idempotent; each step only when needed:
//   1. npm ci when node_modules is missing or older than package-lock.json;
//   2. compile TypeScript to dist/ (incremental);
//   3. with --with-local-stack: make sure Python has JupyterHub, Jupyter Server, ipykernel, Dask,
//      distributed and xarray; as root with apt, install Debian's packages; otherwise print the
//      exact command for this machine and fail.
//   4. with --with-stack debian13: build the Debian 13 root of the `debian13` stack (mmdebstrap,
//      as root) into the cache folder, or reuse it when its stamp says it is intact. Under CI=true
//      a root that cannot be built fails the set-up; elsewhere it is a warning with the ways forward.
//   5. with --with-browser / --with-prometheus: Debian's chromium / prometheus (+ promtool), as root.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const withLocalStack = process.argv.includes('--with-local-stack');
const stackArg = process.argv.indexOf('--with-stack');
const withStack = stackArg >= 0 ? process.argv[stackArg + 1] : undefined;
const say = (msg) => process.stderr.write(`[bootstrap] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    say(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 18)) {
  say(`Node ${process.versions.node} is too old: rehearse needs Node >= 20.18.`);
  process.exit(1);
}

const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);
const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(join(root, 'package-lock.json')) > mtime(installed)) {
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

say('compiling TypeScript (tsc -p tsconfig.build.json)');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);

if (withLocalStack) {
  const { APT_PACKAGES, findPython, installHint } = await import('../dist/provision/local/prerequisites.js');
  let lastProblem = '';
  const tryFind = () => {
    try {
      return findPython(process.env);
    } catch (err) {
      lastProblem = err.message; // names each interpreter tried and what it lacks
      return null;
    }
  };
  let python = tryFind();
  const hasApt = existsSync('/usr/bin/apt-get');
  const isRoot = process.getuid?.() === 0;
  if (!python && hasApt && isRoot && !process.env.REHEARSE_PYTHON) {
    say(`installing the local stack from Debian: ${APT_PACKAGES.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', ...APT_PACKAGES], { env });
    python = tryFind();
  }
  if (!python) {
    say(lastProblem);
    process.stderr.write(`${installHint()}\n`);
    process.exit(1);
  }
  const v = execFileSync(python, ['-c', 'import jupyterhub; print(jupyterhub.__version__)'], {
    encoding: 'utf8',
  }).trim();
  say(`local stack: ${python} (JupyterHub ${v})`);
}

if (withStack !== undefined && withStack !== 'debian13') {
  say(`--with-stack: only debian13 is built by set-up (debian12 is the system Python), got "${withStack}"`);
  process.exit(2);
}
if (withStack === 'debian13') {
  const { ensureDebian13Root } = await import('../dist/provision/local/debian-root.js');
  const isRoot = process.getuid?.() === 0;
  if (isRoot && !existsSync('/usr/bin/mmdebstrap') && existsSync('/usr/bin/apt-get')) {
    say('installing mmdebstrap (builds the Debian 13 root)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', 'mmdebstrap'], { env });
  }
  try {
    const started = Date.now();
    const res = await ensureDebian13Root({ log: (l) => say(l) });
    const mb = (res.stamp.bytes / 1e6).toFixed(0);
    say(
      res.built
        ? `debian13 stack: built ${res.dir} in ${res.stamp.buildSeconds} s (${mb} MB)`
        : `debian13 stack: ${res.dir} is intact (built ${res.stamp.builtAt}, ${mb} MB; checked in ${Date.now() - started} ms)`,
    );
  } catch (err) {
    say(`debian13 stack: ${err.message}`);
    if (err.hint) process.stderr.write(`${err.hint}\n`);
    if (process.env.CI === 'true') process.exit(1);
    say('going on without it: the debian13 stack is unavailable until it is built');
  }
}

// The HTML report is checked in a real browser by the tests (`--with-browser`, used by npm test):
// Debian's chromium, installed with apt as root when missing; elsewhere those tests say how to get it.
if (process.argv.includes('--with-browser') && !existsSync('/usr/bin/chromium')) {
  if (existsSync('/usr/bin/apt-get') && process.getuid?.() === 0) {
    say('installing Debian chromium for the report tests');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    run('apt-get', ['install', '-y', '-qq', 'chromium'], { env });
  } else {
    say(
      'chromium is not installed: the HTML report browser test will be skipped (Debian/Ubuntu: apt-get install chromium)',
    );
  }
}

// The live metrics are scraped by a real Prometheus in the tests, and their exposition checked by
// promtool (`--with-prometheus`, used by npm test): Debian's prometheus package has both.
if (process.argv.includes('--with-prometheus') && !existsSync('/usr/bin/prometheus')) {
  if (existsSync('/usr/bin/apt-get') && process.getuid?.() === 0) {
    say('installing Debian prometheus (and promtool) for the live metrics tests');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    run('apt-get', ['update', '-qq'], { env });
    // --no-install-recommends: not the exporters, and no service is started (no init system here).
    run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], { env });
  } else if (process.env.CI === 'true') {
    say('prometheus is not installed and cannot be installed here (apt-get install prometheus, as root)');
    process.exit(1);
  } else {
    say(
      'prometheus is not installed: the live metrics tests will be skipped (Debian/Ubuntu: apt-get install prometheus)',
    );
  }
}
