import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ExitCode, InputError, RehearseError, TargetError } from '../core/errors.js';
import { parseThresholds, type Threshold } from '../core/slo.js';
import type { CoordinatedResult } from '../loadgen/distributed/coordinator.js';
import { checkDirtyHub, dirtyHubError } from '../loadgen/leftovers/dirty.js';
import { markGone } from '../loadgen/leftovers/hooks.js';
import { runHealthError } from '../loadgen/leftovers/run-health.js';
import type { ObserveSpec } from '../loadgen/observe/attach.js';
import type { RunSummary } from '../loadgen/record/types.js';
import type { RehearseResult } from '../loadgen/run.js';
import { profileRefusal } from '../loadgen/workshop/summary.js';
import { type LoadedScenario, loadScenario } from '../scenarios/load.js';
import { type LibraryIO, processIO } from './io.js';
import type { RehearseOptions } from './options.js';
import { type OpenTarget, openTarget } from './target.js';

/**
 * `rehearse(scenario, options)`: the main job as a library call. Loads and checks the scenario
 * (a path, or one already loaded), brings the local target up when the scenario asks for it and
 * nothing runs (and down afterwards), runs the rehearsal — in this process, or as N shards with
 * `workers` (api/workers.ts) — writes `runs/<id>/`, and decides the outcome and its exit code
 * (`judgeOutcome`, below). It prints nothing but progress lines to `io.stderr`.
 *
 * `stop` once: no new arrivals, users leave and clean up, the record is completed as partial.
 * `abort`: every wait is abandoned and what can be cleaned up in a few seconds is.
 */
export type RehearsalOutcome =
  | { dryRun: true; exitCode: ExitCode; manifests: string }
  | {
      dryRun: false;
      exitCode: ExitCode;
      summary: RunSummary;
      /** The run record's folder. */
      dir: string;
      /** Why the exit code is not 0 or 99, as the error the CLI prints (rate limit, refused, no data). */
      problem?: RehearseError;
      /** Lines for stderr after the summary (lost workers' users). */
      notes: string[];
    };

export async function rehearse(
  scenario: string | LoadedScenario,
  options: RehearseOptions = {},
): Promise<RehearsalOutcome> {
  const io = options.io ?? processIO();
  const [{ readCodeCells }, { rehearse: runPlan }] = await Promise.all([
    import('../loadgen/notebook.js'),
    import('../loadgen/run.js'),
  ]);
  const loaded = typeof scenario === 'string' ? await loadScenario(scenario) : scenario;
  const thresholds = scenarioThresholds(loaded);
  const protocol = options.protocol ?? 'v1';
  if (protocol !== 'v1' && protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${String(protocol)}"`);
  }
  const seed = options.seed;
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new InputError('FLAG_INVALID', `--seed must be an integer 0..2^32-1, got "${seed}"`);
  }
  const workersMod = options.workers === undefined ? undefined : await import('./workers.js');
  const workers = workersMod?.checkWorkerFlags(options, loaded.scenario);
  if (!workers && (options.dryRun || options.image || options.workerNamespace)) {
    throw new InputError('FLAG_INVALID', '--dry-run, --image and --worker-namespace go with --workers k8s:N');
  }
  const observe = observeSpec(io, options, workers?.kind === 'k8s');
  const cells = readCodeCells(loaded.notebookPath);
  const toolVersion = await packageVersion();
  if (workersMod && workers && options.dryRun) {
    const manifests = workersMod.dryRun({ loaded, cells, seed, flags: options, workers, env: io.env });
    return { dryRun: true, exitCode: ExitCode.ok, manifests };
  }
  const stop = options.stop ?? new AbortController().signal;
  const abort = options.abort ?? new AbortController().signal;
  const reporter = options.reporter ?? {};
  let target: OpenTarget | undefined;
  let recordDir: string | undefined;
  try {
    target = await openTarget(io, loaded.scenario, { ...options, loaded });
    if (target.workshop && workers) {
      throw new InputError(
        'FLAG_INVALID',
        'workshop scenarios (server options, gitpull, browser) run without --workers',
        { hint: 'Run them from one process; canaries and the nbgitpuller step are not sharded yet.' },
      );
    }
    await refuseDirtyHub(io, target, options);
    const common = {
      loaded,
      runsDir: resolve(options.out ?? 'runs'),
      runId: options.id,
      thresholds,
      cells,
      seed,
      protocol,
      reporter,
      stop,
      abort,
      toolVersion,
      ...(observe ? { observe } : {}),
      ...(options.tap ? { tap: options.tap } : {}),
    };
    const result =
      workersMod && workers
        ? await workersMod.runWorkers({ ...common, io, flags: options, workers, target })
        : await runPlan({
            ...common,
            target: target.adapter,
            owned: target.owned,
            ...(target.workshop ? { workshop: target.workshop } : {}),
          });
    recordDir = result.dir;
    return { dryRun: false, ...judgeOutcome(result, stop.aborted || abort.aborted), dir: result.dir };
  } finally {
    await target?.close();
    if (target?.ownedGone?.() && recordDir && target.owned?.length) {
      markGone(recordDir, target.owned, 'the local target the run started is down');
    }
  }
}

/** Refuse (unless `allowDirty`) a hub on which records of dead runs list leftovers. */
async function refuseDirtyHub(io: LibraryIO, target: OpenTarget, options: RehearseOptions): Promise<void> {
  const tokenEnv = target.adapter.describe().tokenEnv;
  const dirty = await checkDirtyHub({
    runsDir: resolve(options.out ?? 'runs'),
    target: target.adapter.describe(),
    token: target.hubToken ?? (tokenEnv ? io.env[tokenEnv] : undefined),
    localStackId: target.localStackId,
  });
  if (dirty.lines.length === 0) return;
  io.stderr.write(`warning: this hub is not clean:\n${dirty.lines.map((l) => `  ${l}`).join('\n')}\n`);
  if (!options.allowDirty) throw dirtyHubError(dirty, options.out ?? 'runs');
  io.stderr.write('--allow-dirty: measuring anyway; the figures include their load\n');
}

/**
 * The exit-code policy of a rehearsal (ARCHITECTURE.md, exit codes): 3 when BinderHub rate-limited
 * us or every launch was refused or could not reach the target; 2 when the hub refused a cohort's
 * server options (profile slug or choice); 1 when no worker delivered data,
 * when the hub was unreachable during the run or leftovers remain after it, when workers were lost
 * with their users, or when the run was interrupted; 99 when a threshold failed; else 0.
 */
export function judgeOutcome(
  result: RehearseResult | CoordinatedResult,
  interrupted: boolean,
): { exitCode: ExitCode; summary: RunSummary; problem?: RehearseError; notes: string[] } {
  const { summary } = result;
  const fail = (problem: RehearseError) => ({ exitCode: problem.exitCode, summary, problem, notes: [] });
  if (result.rateLimited) {
    return fail(
      new TargetError(
        'BINDER_RATE_LIMIT',
        'BinderHub rate-limited the rehearsal (429 "Rate limit exceeded")',
        {
          hint: 'Set `c.RateLimiter.limit = 0` on the hub under test, use build tokens, or spread the load over workers (--workers).',
        },
      ),
    );
  }
  if ('delivered' in result && !result.delivered) {
    // Thresholds judged on no data at all say nothing: this is a failure to run (bad image,
    // pods never scheduled, every worker lost), not a threshold failure.
    return fail(
      new RehearseError(
        'WORKERS_NO_DATA',
        `no worker delivered any data: ${summary.stopReason ?? 'see "workers" in summary.json'}`,
        {
          hint: 'Check the workers above: for k8s, `kubectl describe pod -l app.kubernetes.io/name=rehearse` (image pull, scheduling, quota); for local, their stderr.',
        },
      ),
    );
  }
  // The hub refused a cohort's server options (unknown profile slug or choice): bad input, exit 2.
  const refused = profileRefusal(result.dir);
  if (refused) {
    return fail(
      new InputError('PROFILE_INVALID', `the hub refused the server options: ${refused}`, {
        hint: "Use a profile slug and choices of the hub's profile_list (KubeSpawner lists them in the message).",
      }),
    );
  }
  if (summary.verdict === 'fail') return { exitCode: ExitCode.thresholdsFailed, summary, notes: [] };
  // A hub outage during the run, or leftovers after it, is not a pass (exit 1, the cause named).
  const unhealthy = runHealthError(summary, result.dir);
  if (unhealthy) return fail(unhealthy);
  const refusedAll =
    summary.users.arrived > 0 && summary.users.completed === 0 && refusedOnly(summary.failures);
  if (refusedAll) {
    return fail(
      new TargetError('TARGET_REFUSED', 'every launch was refused or could not reach the target', {
        hint: 'See the failures above (unreachable, auth, not-allowed): check the URL, the token and its scopes, and the repo spec.',
      }),
    );
  }
  if ('lostUsers' in result && summary.status === 'failed') {
    const note = `${result.lostUsers} planned users were lost with their workers (see "workers" in summary.json); the figures cover the rest`;
    return { exitCode: ExitCode.runtime, summary, notes: [note] };
  }
  return { exitCode: interrupted ? ExitCode.runtime : ExitCode.ok, summary, notes: [] };
}

/** True when every final failure is the target refusing us or being unreachable. */
function refusedOnly(failures: RunSummary['failures']): boolean {
  const entries = Object.entries(failures).filter(([, v]) => (v?.final ?? 0) > 0);
  return (
    entries.length > 0 &&
    entries.every(([reason]) => ['unreachable', 'auth', 'not-allowed', 'rate-limit'].includes(reason))
  );
}

/**
 * A scenario's thresholds, fully parsed. The scenario schema already applied the SLO grammar, so
 * a loaded scenario's thresholds parse; a LoadedScenario built by hand may not, hence the check.
 */
export function scenarioThresholds(loaded: LoadedScenario): Threshold[] {
  const parsed = parseThresholds(loaded.scenario.slo);
  if (parsed.errors.length === 0) return parsed.thresholds;
  const lines = parsed.errors.map(
    (e) => `${loaded.sourcePath}: slo[${e.index}] "${e.expr}" column ${e.column}: ${e.message}`,
  );
  throw new InputError('SLO_INVALID', `invalid thresholds:\n${lines.join('\n')}`, {
    hint: 'Thresholds read "<metric> <agg> <op> <value>", e.g. "launch.ready p(95) < 60s" or "launch.failed rate < 1%".',
  });
}

/** rehearse's own version (package.json), written into every record. */
export async function packageVersion(): Promise<string> {
  const { packageRoot } = await import('../provision/local/paths.js');
  const pkg = JSON.parse(readFileSync(resolve(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * `kubeconfig` + `namespace`: watch the hub's cluster during the run. The namespace is required
 * with a kubeconfig (the hub's pods and events live there); without a kubeconfig it only means
 * something to a k8s:N run (where its worker Job goes).
 */
function observeSpec(io: LibraryIO, o: RehearseOptions, k8sWorkers: boolean): ObserveSpec | undefined {
  if (o.kubeconfig === undefined) {
    if (o.namespace !== undefined && !k8sWorkers) {
      throw new InputError(
        'FLAG_INVALID',
        '--namespace goes with --kubeconfig (the observer) or --workers k8s:N',
      );
    }
    return undefined;
  }
  if (!o.namespace) {
    throw new InputError(
      'FLAG_INVALID',
      "--kubeconfig needs --namespace: the hub's namespace (its user pods and events)",
      {
        hint: 'e.g. --namespace binderhub (kubectl get pods -A -l component=singleuser-server shows it)',
      },
    );
  }
  if (!existsSync(o.kubeconfig)) {
    throw new InputError('FLAG_INVALID', `--kubeconfig ${o.kubeconfig}: no such file`);
  }
  return {
    kubeconfigPath: resolve(o.kubeconfig),
    namespace: o.namespace,
    onWarning: (m) => io.stderr.write(`cluster observer: ${m}\n`),
  };
}
