import { parseDuration } from '../../core/duration.js';
import { ExitCode, InputError } from '../../core/errors.js';
import type { RecordedStack } from '../../provision/local/state.js';
import type { CliIO } from '../main.js';

/** `rehearse up|down|status local`: thin adapters over provision/local/stack.ts. */

export interface UpFlags {
  json?: boolean;
  stateDir?: string;
  stack?: string;
  buildTime?: string;
  concurrentSpawnLimit?: string;
  activeServerLimit?: string;
  launchQuota?: string;
  rateLimit?: string;
}

function checkTarget(target: string): void {
  if (target !== 'local') {
    throw new InputError('TARGET_UNKNOWN', `unknown target "${target}"`, {
      hint: 'Only the local target is started with up/down/status; Jetstream2 clusters come from `rehearse provision`.',
    });
  }
}

function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new InputError('FLAG_INVALID', `--${name} must be a whole number >= ${min}, got "${value}"`);
  }
  return n;
}

export async function upLocal(io: CliIO, target: string, flags: UpFlags): Promise<number> {
  checkTarget(target);
  const { up } = await import('../../provision/local/stack.js');
  const { parseStackName } = await import('../../provision/local/stacks.js');
  const stack = flags.stack === undefined ? undefined : parseStackName(flags.stack);
  const buildMs = flags.buildTime === undefined ? undefined : parseDuration(flags.buildTime);
  const res = await up({
    stateDir: flags.stateDir,
    env: io.env,
    ...(stack ? { stack } : {}),
    buildSeconds: buildMs === undefined ? undefined : buildMs / 1000,
    concurrentSpawnLimit: intFlag('concurrent-spawn-limit', flags.concurrentSpawnLimit, 1),
    activeServerLimit: intFlag('active-server-limit', flags.activeServerLimit, 0),
    launchQuota: intFlag('launch-quota', flags.launchQuota, 0),
    rateLimit: intFlag('rate-limit', flags.rateLimit, 0),
    log: (line) => io.stderr.write(`${line}\n`),
  });
  const s = res.state;
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          binderUrl: s.binderUrl,
          hubUrl: s.hubUrl,
          hubApiUrl: s.hubApiUrl,
          tokenFile: s.tokenFile,
          stateDir: res.stateDir,
          alreadyRunning: res.alreadyRunning,
          recoveredStale: res.recoveredStale,
          settings: s.settings,
          stack: s.stack ?? null,
          processes: s.processes.map(({ name, pid }) => ({ name, pid })),
        },
        null,
        2,
      )}\n`,
    );
    return ExitCode.ok;
  }
  const lines = [
    res.alreadyRunning ? 'The local target is already running.' : 'The local target is up.',
    `  BinderHub API (emulated builds):  ${s.binderUrl}`,
    `  JupyterHub:                       ${s.hubUrl}`,
    `  hub API token (file):             ${s.tokenFile}`,
    `  state and logs:                   ${res.stateDir}`,
    ...stackLines(s.stack),
    `  emulated build time ${s.settings.buildSeconds}s, concurrent_spawn_limit ${s.settings.concurrentSpawnLimit}, ` +
      `active_server_limit ${s.settings.activeServerLimit || 'off'}, launch quota ${s.settings.launchQuota || 'off'}, ` +
      `rate limit ${s.settings.rateLimit ? `${s.settings.rateLimit}/h` : 'off'}`,
    '',
    'Try:  rehearse launch gh/rehearse-examples/dask-intro/HEAD --target local',
    'Stop: rehearse down local',
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
  return ExitCode.ok;
}

export async function downLocal(
  io: CliIO,
  target: string,
  flags: { stateDir?: string; json?: boolean },
): Promise<number> {
  checkTarget(target);
  const { down } = await import('../../provision/local/stack.js');
  const res = await down({ stateDir: flags.stateDir, env: io.env });
  if (flags.json) io.stdout.write(`${JSON.stringify(res)}\n`);
  else if (res.leftovers.length === 0) {
    io.stdout.write(
      res.wasRunning
        ? `The local target is down (${res.stateDir} removed).\n`
        : 'The local target was not running.\n',
    );
  }
  if (res.mounts.length > 0) {
    io.stderr.write(
      `error: ${res.mounts.length} mount(s) remain under the stack's root; unmount them before anything deletes it:\n` +
        res.mounts.map((m) => `  umount -R ${m}\n`).join(''),
    );
    return ExitCode.runtime;
  }
  if (res.leftovers.length > 0) {
    io.stderr.write(
      `error: ${res.leftovers.length} process(es) of the local target survived SIGKILL; remove them with:\n` +
        `  kill -9 ${res.leftovers.join(' ')}\n  then: rm -rf ${res.stateDir}\n`,
    );
    return ExitCode.runtime;
  }
  return ExitCode.ok;
}

export async function statusLocal(
  io: CliIO,
  target: string,
  flags: { stateDir?: string; json?: boolean },
): Promise<number> {
  checkTarget(target);
  const { status } = await import('../../provision/local/stack.js');
  const st = await status({ stateDir: flags.stateDir, env: io.env });
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({
        running: st.running,
        stateDir: st.stateDir,
        binderUrl: st.state?.binderUrl ?? null,
        hubUrl: st.state?.hubUrl ?? null,
        hubOk: st.hubOk,
        binderOk: st.binderOk,
        stack: st.state?.stack ?? null,
        processes: st.processes.map(({ name, pid, alive }) => ({ name, pid, alive })),
      })}\n`,
    );
  } else if (!st.state) {
    io.stdout.write(
      `The local target is not running (no state in ${st.stateDir}). Start it: rehearse up local\n`,
    );
  } else {
    const rows = st.processes.map(
      (p) => `  ${p.name.padEnd(6)} pid ${String(p.pid).padEnd(8)} ${p.alive ? 'alive' : 'GONE'}`,
    );
    io.stdout.write(
      `${[
        `The local target is ${st.running ? 'running' : 'NOT healthy'} (${st.stateDir}).`,
        `  BinderHub API ${st.state.binderUrl} ${st.binderOk ? 'ok' : 'not answering'}`,
        `  JupyterHub    ${st.state.hubUrl} ${st.hubOk ? 'ok' : 'not answering'}`,
        ...stackLines(st.state.stack),
        ...rows,
        st.running ? '' : 'Repair: rehearse down local && rehearse up local',
      ].join('\n')}\n`,
    );
  }
  return st.running ? ExitCode.ok : ExitCode.unreachable;
}

/** The stack's name and what it reported, for up/status. */
function stackLines(stack: RecordedStack | undefined): string[] {
  if (!stack) return ['  stack:                            debian12 (started by an older rehearse)'];
  const v = stack.versions.packages;
  const list = Object.entries(v)
    .map(([k, ver]) => `${k} ${ver ?? 'missing'}`)
    .join(', ');
  return [
    `  stack:                            ${stack.name}${stack.root ? ` (root ${stack.root})` : ''}`,
    `  versions (reported by the stack): Python ${stack.versions.python}, ${list}`,
  ];
}
