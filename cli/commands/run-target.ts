import type { TargetSpec } from '../../loadgen/distributed/config.js';
import type { LedgerResource } from '../../loadgen/record/ledger.js';
import type { TargetAdapter } from '../../loadgen/runner/targets.js';
import { InputError, RehearseError, TargetError } from '../../scenarios/errors.js';
import type { Scenario } from '../../scenarios/schema.js';
import type { CliIO } from '../main.js';
import type { RunFlags } from './run.js';

/**
 * The target of `rehearse run`: the local stack (brought up when nothing runs, and down after),
 * a BinderHub or a JupyterHub (checked to answer before any arrival); also what distributed
 * workers get of it (run-workers.ts).
 */

export interface OpenTarget {
  adapter: TargetAdapter;
  /** The same target launching another repo spec (`rehearse check` of several repos). */
  forRepo(spec: string): TargetAdapter;
  /** The same target as distributed workers get it (run-workers.ts); its token via `childEnv`. */
  spec: TargetSpec;
  childEnv: Record<string, string>;
  launchTimeoutMs: number;
  /** What opening it created for the run (the local target it started): into the run's ledger. */
  owned?: LedgerResource[];
  /** The hub API token when we hold one (the local target's): the dirty-hub check uses it. */
  hubToken?: string;
  /** The local target's stack id. */
  localStackId?: string;
  close(): Promise<void>;
  /** After close(): true when nothing opening it created is left running. */
  ownedGone?(): boolean;
}

/** The variable that carries the local target's hub token to local workers (never argv). */
const LOCAL_TOKEN_ENV = 'REHEARSE_WORKER_HUB_TOKEN';

/** `reposDir`: the folder the local target's emulated images are made of (default scenarios/repos). */
export async function openTarget(
  io: CliIO,
  scenario: Pick<Scenario, 'target' | 'repo'>,
  flags: Pick<RunFlags, 'stateDir' | 'stack'> & { reposDir?: string },
): Promise<OpenTarget> {
  const { BinderTarget, JupyterHubTarget } = await import('../../loadgen/runner/targets.js');
  const launchTimeoutMs = LAUNCH_TIMEOUT_MS;
  const t = scenario.target;
  if (t.kind === 'local') {
    const stack = await import('../../provision/local/stack.js');
    const { readToken } = await import('../../provision/local/state.js');
    const { parseStackName } = await import('../../provision/local/stacks.js');
    const wanted = flags.stack ? parseStackName(flags.stack) : t.stack;
    const st = await stack.status({ stateDir: flags.stateDir, env: io.env });
    if (st.running && wanted && (st.state?.stack?.name ?? 'debian12') !== wanted) {
      throw new InputError(
        'STACK_MISMATCH',
        `the running local target is on the ${st.state?.stack?.name ?? 'debian12'} stack, not ${wanted}`,
        {
          hint: `Stop it first (rehearse down local), or run on the stack that runs (--stack ${st.state?.stack?.name ?? 'debian12'}).`,
        },
      );
    }
    const settings = {
      buildSeconds: t.buildTime === undefined ? undefined : t.buildTime / 1000,
      concurrentSpawnLimit: t.concurrentSpawnLimit,
      activeServerLimit: t.activeServerLimit,
      launchQuota: t.launchQuota,
    };
    const started = st.running
      ? null
      : await stack.up({
          stateDir: flags.stateDir,
          env: io.env,
          ...(wanted ? { stack: wanted } : {}),
          ...settings,
          ...(flags.reposDir ? { reposDir: flags.reposDir } : {}),
          log: (l) => io.stderr.write(`${l}\n`),
        });
    const state = started?.state ?? st.state;
    if (!state) throw new RehearseError('LOCAL_STACK_START', 'the local target did not start');
    if (!started)
      io.stderr.write(
        `using the running local target (${state.binderUrl}, stack ${state.stack?.name ?? 'debian12'}); its own settings apply\n`,
      );
    const hubToken = readToken(state);
    let downClean = false;
    const forRepo = (spec: string) =>
      new BinderTarget({
        binderUrl: state.binderUrl,
        hubUrl: state.hubUrl,
        spec,
        hubToken,
        launchTimeoutMs,
        kind: 'local',
        local: { ...state.settings },
        ...(state.stack ? { stack: { name: state.stack.name, versions: state.stack.versions } } : {}),
      });
    return {
      adapter: forRepo(scenario.repo),
      forRepo,
      spec: {
        kind: 'local',
        binderUrl: state.binderUrl,
        hubUrl: state.hubUrl,
        spec: scenario.repo,
        tokenEnv: LOCAL_TOKEN_ENV,
        local: { ...state.settings },
      },
      childEnv: hubToken ? { [LOCAL_TOKEN_ENV]: hubToken } : {},
      launchTimeoutMs,
      ...(hubToken ? { hubToken } : {}),
      localStackId: state.stackId,
      owned: started
        ? [
            {
              kind: 'local-stack',
              stateDir: started.stateDir,
              stackId: state.stackId,
              hubUrl: state.hubUrl,
              binderUrl: state.binderUrl,
            },
          ]
        : [],
      ownedGone: () => downClean,
      close: async () => {
        if (!started) return;
        const res = await stack.down({ stateDir: started.stateDir });
        downClean = res.leftovers.length === 0;
        io.stderr.write(
          res.leftovers.length === 0
            ? 'local target down.\n'
            : `processes survived: kill -9 ${res.leftovers.join(' ')}\n`,
        );
      },
    };
  }
  const token = t.tokenEnv ? io.env[t.tokenEnv] : undefined;
  if (t.tokenEnv && !token) {
    throw new InputError('TOKEN_MISSING', `the scenario's tokenEnv ${t.tokenEnv} is empty or unset`, {
      hint: `export ${t.tokenEnv}=<a hub API token with the scopes admin:users and servers>`,
    });
  }
  await preflight(t.kind === 'binderhub' ? `${withSlash(t.url)}versions` : `${withSlash(t.url)}hub/api/`);
  const spec = remoteTargetSpec(scenario);
  if (t.kind === 'binderhub') {
    const forRepo = (repo: string) =>
      new BinderTarget({
        binderUrl: withSlash(t.url),
        hubUrl: t.hubUrl && withSlash(t.hubUrl),
        spec: repo,
        hubToken: token,
        tokenEnv: t.tokenEnv,
        launchTimeoutMs,
      });
    return {
      spec,
      childEnv: {},
      launchTimeoutMs,
      adapter: forRepo(scenario.repo),
      forRepo,
      close: async () => undefined,
    };
  }
  const adapter = new JupyterHubTarget({
    hubUrl: withSlash(t.url),
    token: token as string,
    tokenEnv: t.tokenEnv,
    runTag: spec.kind === 'jupyterhub' ? spec.runTag : '',
    launchTimeoutMs,
  });
  return {
    spec,
    childEnv: {},
    launchTimeoutMs,
    adapter,
    forRepo: () => adapter,
    close: async () => undefined,
  };
}

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

/** A remote target as workers get it (no network: also for `--dry-run`). */
export function remoteTargetSpec(scenario: Pick<Scenario, 'target' | 'repo'>): TargetSpec {
  const t = scenario.target;
  if (t.kind === 'local') {
    throw new InputError('FLAG_INVALID', 'the local target is not reachable from other machines', {
      hint: 'Use --workers local:N with the local target.',
    });
  }
  if (t.kind === 'binderhub') {
    return {
      kind: 'binderhub',
      binderUrl: withSlash(t.url),
      hubUrl: t.hubUrl && withSlash(t.hubUrl),
      spec: scenario.repo,
      tokenEnv: t.tokenEnv,
    };
  }
  return {
    kind: 'jupyterhub',
    hubUrl: withSlash(t.url),
    tokenEnv: t.tokenEnv as string,
    runTag: Math.random().toString(36).slice(2, 6),
  };
}

export const LAUNCH_TIMEOUT_MS = 15 * 60_000;

/** Fail fast, naming the URL, when the target does not answer at all. */
async function preflight(url: string): Promise<void> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
  } catch (err) {
    throw new TargetError(
      'TARGET_UNREACHABLE',
      `cannot reach ${url}: ${(err as Error).cause ?? (err as Error).message}`,
      {
        hint: 'Check the URL in the scenario, your network or VPN, and that the hub is up.',
        cause: err,
      },
    );
  }
}
