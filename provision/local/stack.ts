import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { InputError, RehearseError } from '../../scenarios/errors.js';
import { HUB_CONFIG_PY, type HubSettings } from './hub-config.js';
import { packageRoot } from './paths.js';
import { freePorts, httpOk, isAlive, killGroup, startDaemon, sweepMarked, waitFor } from './processes.js';
import { mountsUnder } from './root-exec.js';
import { defaultStackName, openStack, type StackName, stackVersions } from './stacks.js';
import {
  defaultStateDir,
  type LocalStackState,
  type ProcessRecord,
  readState,
  withStateLock,
  writeState,
} from './state.js';

/**
 * `rehearse up|down|status local`: a real JupyterHub (SimpleLocalProcessSpawner) on one of the
 * stacks of stacks.ts, a configurable-http-proxy from node_modules, and the BinderHub-API front,
 * all on 127.0.0.1 with free ports, each a daemon in its own process group, recorded in
 * `<stateDir>/state.json` with the stack's name and the versions it reported.
 */

export interface UpOptions {
  stateDir?: string;
  /** Which stack runs the hub, servers and kernels (default: defaultStackName). */
  stack?: StackName;
  buildSeconds?: number;
  concurrentSpawnLimit?: number;
  activeServerLimit?: number;
  launchQuota?: number;
  rateLimit?: number;
  /** Launch retry base delay (BinderHub: 4 s). */
  retryDelayMs?: number;
  startTimeoutSec?: number;
  /** Where `gh/<org>/<repo>/<ref>` finds `<org>/<repo>/` (default: the bundled scenarios/repos). */
  reposDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface UpResult {
  state: LocalStackState;
  stateDir: string;
  alreadyRunning: boolean;
  recoveredStale: boolean;
}

export async function up(opts: UpOptions = {}): Promise<UpResult> {
  const env = opts.env ?? process.env;
  const dir = opts.stateDir ?? defaultStateDir(env);
  return withStateLock(dir, () => upLocked(dir, env, opts));
}

async function upLocked(dir: string, env: NodeJS.ProcessEnv, opts: UpOptions): Promise<UpResult> {
  const log = opts.log ?? (() => undefined);
  const existing = readState(dir);
  let recoveredStale = false;
  if (existing) {
    if (await healthy(existing)) {
      const running = existing.stack?.name;
      if (opts.stack && running !== opts.stack) {
        throw new InputError(
          'STACK_MISMATCH',
          `the running local target is on the ${running ?? 'debian12'} stack, not ${opts.stack}`,
          {
            hint: `Stop it first (rehearse down local), or use --stack ${running ?? 'debian12'}.`,
          },
        );
      }
      return { state: existing, stateDir: dir, alreadyRunning: true, recoveredStale };
    }
    log(`found a stale local stack in ${dir} (a crash?); cleaning it up`);
    await teardown(existing, dir);
    recoveredStale = true;
  }
  const stack = openStack(opts.stack ?? defaultStackName(env), env);
  const versions = stackVersions(stack);
  log(
    `stack ${stack.name}: JupyterHub ${versions.packages.jupyterhub}, jupyter_server ${versions.packages.jupyter_server}, Python ${versions.python}`,
  );
  const python = stack.python;
  const root = packageRoot();
  const frontMain = join(root, 'dist', 'provision', 'local', 'front-main.js');
  if (!existsSync(frontMain)) {
    throw new RehearseError('NOT_BUILT', `${frontMain} is missing`, {
      hint: 'Run `npm run bootstrap` first.',
    });
  }
  const chp = createRequire(import.meta.url).resolve('configurable-http-proxy/bin/configurable-http-proxy');

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'homes'), { recursive: true, mode: 0o700 });
  const stackId = randomBytes(8).toString('hex');
  const hubToken = randomBytes(32).toString('hex');
  const proxyToken = randomBytes(32).toString('hex');
  const tokenFile = join(dir, 'hub-token');
  writeFileSync(tokenFile, `${hubToken}\n`, { mode: 0o600 });
  // Kept (0600, like the hub token) so that the hub alone can be restarted on the same database
  // and proxy (restart.ts); `down` removes the folder with it.
  writeFileSync(join(dir, 'proxy-token'), `${proxyToken}\n`, { mode: 0o600 });
  const [proxyPort, proxyApiPort, hubPort, frontPort] = (await freePorts(4)) as [
    number,
    number,
    number,
    number,
  ];
  const hubUrl = `http://127.0.0.1:${proxyPort}/`;
  const settings = {
    buildSeconds: opts.buildSeconds ?? 10,
    concurrentSpawnLimit: opts.concurrentSpawnLimit ?? 64,
    activeServerLimit: opts.activeServerLimit ?? 0,
    launchQuota: opts.launchQuota ?? 0,
    rateLimit: opts.rateLimit ?? 0,
  };
  const hubSettings: HubSettings = {
    stackId,
    python,
    bindUrl: hubUrl,
    hubPort,
    proxyApiUrl: `http://127.0.0.1:${proxyApiPort}`,
    dbUrl: `sqlite:///${join(dir, 'jupyterhub.sqlite')}`,
    cookieSecretFile: join(dir, 'jupyterhub_cookie_secret'),
    pidFile: join(dir, 'jupyterhub.pid'),
    homesDir: join(dir, 'homes'),
    reposDir: opts.reposDir ?? join(root, 'scenarios', 'repos'),
    concurrentSpawnLimit: settings.concurrentSpawnLimit,
    activeServerLimit: settings.activeServerLimit,
    startTimeoutSec: opts.startTimeoutSec ?? 120,
    runningAsRoot: process.getuid?.() === 0,
  };
  writeFileSync(join(dir, 'hub-settings.json'), JSON.stringify(hubSettings, null, 2));
  writeFileSync(join(dir, 'jupyterhub_config.py'), HUB_CONFIG_PY);
  writeFileSync(
    join(dir, 'front-settings.json'),
    JSON.stringify({
      host: '127.0.0.1',
      port: frontPort,
      hubApiUrl: `${hubUrl}hub/api/`,
      hubUrl,
      reposDir: hubSettings.reposDir,
      buildMs: settings.buildSeconds * 1000,
      launchQuota: settings.launchQuota,
      rateLimit: settings.rateLimit,
      ratePeriodSec: 3600,
      keepaliveMs: 25_000,
      holdOpenAfterReadyMs: 60_000,
      retries: 4,
      retryDelayMs: opts.retryDelayMs ?? 4000,
      launchTimeoutMs: 600_000,
      version: readVersion(root),
    }),
  );

  const baseEnv = { ...env, REHEARSE_STACK_ID: stackId };
  const processes: ProcessRecord[] = [];
  const state: LocalStackState = {
    version: 2,
    stackId,
    startedAt: new Date().toISOString(),
    binderUrl: `http://127.0.0.1:${frontPort}/`,
    hubUrl,
    hubApiUrl: `${hubUrl}hub/api/`,
    tokenFile,
    python,
    stack: { name: stack.name, ...(stack.root ? { root: stack.root } : {}), versions },
    processes,
    settings,
  };
  const start = (
    name: ProcessRecord['name'],
    command: string,
    args: string[],
    extraEnv: NodeJS.ProcessEnv,
  ) => {
    const logFile = join(dir, `${name}.log`);
    const pid = startDaemon({ name, command, args, cwd: dir, logFile, env: { ...baseEnv, ...extraEnv } });
    processes.push({ name, pid, logFile });
    writeState(dir, state); // recorded from creation: a crash from here on leaves state `down` can clean
    return pid;
  };
  try {
    log(`starting configurable-http-proxy on ${hubUrl}`);
    start(
      'proxy',
      process.execPath,
      [
        chp,
        '--ip',
        '127.0.0.1',
        '--port',
        String(proxyPort),
        '--api-ip',
        '127.0.0.1',
        '--api-port',
        String(proxyApiPort),
        '--default-target',
        `http://127.0.0.1:${hubPort}`,
        '--error-target',
        `http://127.0.0.1:${hubPort}/hub/error`,
        '--log-level',
        'warn',
      ],
      { CONFIGPROXY_AUTH_TOKEN: proxyToken },
    );
    log(`starting JupyterHub (${stack.name}: ${python})`);
    const hub = stack.command(
      [python, '-m', 'jupyterhub', '-f', join(dir, 'jupyterhub_config.py')],
      [dir, hubSettings.reposDir],
    );
    const hubPid = start('hub', hub.command, hub.args, {
      CONFIGPROXY_AUTH_TOKEN: proxyToken,
      REHEARSE_HUB_TOKEN: hubToken,
    });
    await waitFor('JupyterHub', () => httpOk(`${hubUrl}hub/api/`, (s) => s === 200), {
      timeoutMs: 90_000,
      alive: () => isAlive(hubPid),
    });
    log('starting the BinderHub-API front (emulated builds)');
    const frontPid = start('front', process.execPath, [frontMain, join(dir, 'front-settings.json')], {
      REHEARSE_HUB_TOKEN: hubToken,
    });
    await waitFor('BinderHub-API front', () => httpOk(`${state.binderUrl}health`, (s) => s === 200), {
      timeoutMs: 30_000,
      alive: () => isAlive(frontPid),
    });
  } catch (err) {
    const logs = processes.map((p) => `--- ${p.logFile} (last lines)\n${tail(p.logFile, 15)}`).join('\n');
    await teardown(state, dir, { keepLogs: true });
    throw new RehearseError('LOCAL_STACK_START', `the local stack did not start: ${(err as Error).message}`, {
      hint: `Logs are kept in ${dir}.\n${logs}`,
      cause: err,
    });
  }
  return { state, stateDir: dir, alreadyRunning: false, recoveredStale };
}

export interface DownResult {
  wasRunning: boolean;
  stateDir: string;
  /** PIDs of ours still alive after everything was tried (empty on success). */
  leftovers: number[];
  /** Mounts on the host under the stack's Debian root (always empty: its mounts live in private namespaces). */
  mounts: string[];
}

export async function down(opts: { stateDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DownResult> {
  const dir = opts.stateDir ?? defaultStateDir(opts.env ?? process.env);
  return withStateLock(dir, async () => {
    const state = readState(dir);
    if (!state) {
      rmSync(dir, { recursive: true, force: true });
      return { wasRunning: false, stateDir: dir, leftovers: [], mounts: [] };
    }
    const leftovers = await teardown(state, dir);
    const mounts = state.stack?.root ? mountsUnder(state.stack.root) : [];
    return { wasRunning: true, stateDir: dir, leftovers, mounts };
  });
}

/**
 * Stop the front, then the hub (which stops its servers: cleanup_servers), then the proxy; then
 * kill anything still carrying the stack marker (servers, kernels, Dask workers); then remove the
 * state folder. Each step bounded.
 */
async function teardown(
  state: LocalStackState,
  dir: string,
  opts: { keepLogs?: boolean } = {},
): Promise<number[]> {
  const order: ProcessRecord['name'][] = ['front', 'hub', 'proxy'];
  for (const name of order) {
    for (const p of state.processes.filter((x) => x.name === name)) {
      await killGroup(p.pid, name === 'hub' ? 20_000 : 5_000);
    }
  }
  // Only what carries this stack's marker: several stacks may run in one Debian root at once (the
  // test suite's files do), so "every process inside the root" would include another stack's hub.
  const leftovers = await sweepMarked(state.stackId, 5_000);
  if (leftovers.length === 0) {
    if (opts.keepLogs) {
      rmSync(join(dir, 'state.json'), { force: true });
      rmSync(join(dir, 'hub-token'), { force: true }); // logs stay for diagnosis; the secret does not
    } else rmSync(dir, { recursive: true, force: true });
  }
  return leftovers;
}

async function healthy(state: LocalStackState): Promise<boolean> {
  if (!state.processes.every((p) => isAlive(p.pid))) return false;
  return (
    (await httpOk(`${state.hubApiUrl}`, (s) => s === 200)) &&
    (await httpOk(`${state.binderUrl}health`, (s) => s === 200))
  );
}

export interface StatusResult {
  stateDir: string;
  running: boolean;
  state: LocalStackState | null;
  processes: (ProcessRecord & { alive: boolean })[];
  hubOk: boolean;
  binderOk: boolean;
}

export async function status(
  opts: { stateDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<StatusResult> {
  const dir = opts.stateDir ?? defaultStateDir(opts.env ?? process.env);
  const state = readState(dir);
  if (!state)
    return { stateDir: dir, running: false, state: null, processes: [], hubOk: false, binderOk: false };
  const processes = state.processes.map((p) => ({ ...p, alive: isAlive(p.pid) }));
  const hubOk = await httpOk(state.hubApiUrl, (s) => s === 200);
  const binderOk = await httpOk(`${state.binderUrl}health`, (s) => s === 200);
  return {
    stateDir: dir,
    running: hubOk && binderOk && processes.every((p) => p.alive),
    state,
    processes,
    hubOk,
    binderOk,
  };
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function readVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}
