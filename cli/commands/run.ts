import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ObserveSpec } from '../../loadgen/observe/attach.js';
import type { RunSummary } from '../../loadgen/record/types.js';
import { ExitCode, InputError, RehearseError, TargetError } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';
import { type OpenTarget, openTarget } from './run-target.js';
import { scenarioThresholds } from './scenario-check.js';

/**
 * `rehearse run <scenario>`: the main job. Validates the scenario and its thresholds, brings the
 * local target up when the scenario asks for it and nothing runs (and down afterwards), runs the
 * rehearsal, writes `runs/<id>/`, prints the summary. Exit 99 when a threshold fails, 3 when the
 * target refused us (rate limit) or cannot be reached.
 *
 * Ctrl-C (or SIGTERM) once: no new arrivals, users leave and clean up, the record is completed as
 * partial. Twice: abort every wait, clean up what can be in a few seconds, exit.
 *
 * With `--workers local:N|k8s:N` the plan runs as N shards (run-workers.ts) and this process
 * coordinates: one merged record, thresholds judged once; exit 1 when a worker was lost (unless
 * thresholds fail: 99). `--dry-run` with k8s prints the manifests and contacts no cluster.
 */

export interface RunFlags {
  json?: boolean;
  out: string;
  id?: string;
  seed?: string;
  stateDir?: string;
  /** With the local target: the stack to run on (overrides the scenario's `target.stack`). */
  stack?: string;
  protocol: string;
  /** `local:N` or `k8s:N`: run the plan as N shards (cli/commands/run-workers.ts). */
  workers?: string;
  image?: string;
  /** The hub's namespace: the cluster observer's (with --kubeconfig) and the worker Job's (k8s:N). */
  namespace?: string;
  /** Where the worker Job of k8s:N goes (default: --namespace, else `default`). */
  workerNamespace?: string;
  /** Watch the hub's cluster during the run (loadgen/observe/): cluster.json in the record. */
  kubeconfig?: string;
  dryRun?: boolean;
  /** Run even when records of dead runs list leftovers on this hub. */
  allowDirty?: boolean;
}

export async function run(io: CliIO, file: string, flags: RunFlags): Promise<number> {
  const [{ loadScenario }, { readCodeCells }, { rehearse }, term, summaryFmt] = await Promise.all([
    import('../../scenarios/load.js'),
    import('../../loadgen/notebook.js'),
    import('../../loadgen/run.js'),
    import('../../loadgen/terminal/progress.js'),
    import('../../loadgen/terminal/summary.js'),
  ]);
  const loaded = await loadScenario(file);
  const { scenario } = loaded;
  const thresholds = await scenarioThresholds(loaded);
  if (flags.protocol !== 'v1' && flags.protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${flags.protocol}"`);
  }
  const seed = flags.seed === undefined ? undefined : Number(flags.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new InputError('FLAG_INVALID', `--seed must be an integer 0..2^32-1, got "${flags.seed}"`);
  }
  const workersMod = flags.workers === undefined ? undefined : await import('./run-workers.js');
  const workers = workersMod?.checkWorkerFlags(flags, scenario);
  if (!workers && (flags.dryRun || flags.image || flags.workerNamespace)) {
    throw new InputError('FLAG_INVALID', '--dry-run, --image and --worker-namespace go with --workers k8s:N');
  }
  const observe = observeSpec(io, flags, workers?.kind === 'k8s');
  const cells = readCodeCells(loaded.notebookPath);
  const { packageRoot } = await import('../../provision/local/paths.js');
  const toolVersion = (
    JSON.parse(readFileSync(resolve(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  if (workersMod && workers && flags.dryRun) {
    io.stdout.write(workersMod.dryRun({ loaded, cells, seed, flags, workers, env: io.env }));
    return ExitCode.ok;
  }

  const stopCtl = new AbortController();
  const abortCtl = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      io.stderr.write(
        `\n${sig}: no new arrivals; users are leaving and cleaning up (again to abort at once)\n`,
      );
      stopCtl.abort(new Error(`interrupted (${sig})`));
    } else {
      io.stderr.write(`\n${sig} again: aborting; cleaning up what can be in a few seconds\n`);
      abortCtl.abort(new Error(`aborted (${sig})`));
      // Last resort if cleanup hangs: exit with a runtime error (the record says how far it got).
      setTimeout(() => process.exit(ExitCode.runtime), 10_000).unref();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stream = io.stderr;
  const reporter = term.createTerminalReporter({
    stream,
    isTTY: term.isTTY(stream),
    color: term.colorEnabled(stream, io.env),
  });
  let target: OpenTarget | undefined;
  let recordDir: string | undefined;
  try {
    // Signal handlers are in place first: Ctrl-C while the local target starts still stops it.
    target = await openTarget(io, scenario, flags);
    await refuseDirtyHub(io, target, flags);
    const common = {
      loaded,
      runsDir: resolve(flags.out),
      runId: flags.id,
      thresholds,
      cells,
      seed,
      protocol: flags.protocol as 'v1' | 'legacy',
      reporter,
      stop: stopCtl.signal,
      abort: abortCtl.signal,
      toolVersion,
      ...(observe ? { observe } : {}),
    };
    const result =
      workersMod && workers
        ? await workersMod.runWorkers({ ...common, io, flags, workers, target })
        : await rehearse({
            loaded,
            runsDir: resolve(flags.out),
            runId: flags.id,
            target: target.adapter,
            thresholds,
            cells,
            seed,
            protocol: flags.protocol,
            reporter,
            stop: stopCtl.signal,
            abort: abortCtl.signal,
            toolVersion,
            ...(observe ? { observe } : {}),
            owned: target.owned,
          });
    recordDir = result.dir;
    reporter.close();
    const { summary } = result;
    if (flags.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else io.stdout.write(summaryFmt.formatSummary(summary, { color: term.colorEnabled(io.stdout, io.env) }));
    io.stderr.write(`run record: ${result.dir}\n  rehearse summary ${result.dir}\n`);
    if (result.rateLimited) {
      throw new TargetError(
        'BINDER_RATE_LIMIT',
        'BinderHub rate-limited the rehearsal (429 "Rate limit exceeded")',
        {
          hint: 'Set `c.RateLimiter.limit = 0` on the hub under test, use build tokens, or spread the load over workers (--workers).',
        },
      );
    }
    if ('delivered' in result && !result.delivered) {
      // Thresholds judged on no data at all say nothing: this is a failure to run (bad image,
      // pods never scheduled, every worker lost), not a threshold failure.
      throw new RehearseError(
        'WORKERS_NO_DATA',
        `no worker delivered any data: ${summary.stopReason ?? 'see "workers" in summary.json'}`,
        {
          hint: 'Check the workers above: for k8s, `kubectl describe pod -l app.kubernetes.io/name=rehearse` (image pull, scheduling, quota); for local, their stderr.',
        },
      );
    }
    if (summary.verdict === 'fail') return ExitCode.thresholdsFailed;
    const unhealthy = (await import('../../loadgen/leftovers/run-health.js')).runHealthError(
      summary,
      result.dir,
    );
    if (unhealthy) throw unhealthy;
    const refusedAll =
      summary.users.arrived > 0 && summary.users.completed === 0 && refusedOnly(summary.failures);
    if (refusedAll) {
      throw new TargetError('TARGET_REFUSED', 'every launch was refused or could not reach the target', {
        hint: 'See the failures above (unreachable, auth, not-allowed): check the URL, the token and its scopes, and the repo spec.',
      });
    }
    if ('lostUsers' in result && summary.status === 'failed') {
      io.stderr.write(
        `${result.lostUsers} planned users were lost with their workers (see "workers" in summary.json); the figures cover the rest\n`,
      );
      return ExitCode.runtime;
    }
    if (signals > 0) return ExitCode.runtime;
    return ExitCode.ok;
  } finally {
    reporter.close();
    await target?.close();
    if (target?.ownedGone?.() && recordDir && target?.owned?.length) {
      const { markGone } = await import('../../loadgen/leftovers/hooks.js');
      markGone(recordDir, target.owned, 'the local target the run started is down');
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `--kubeconfig F --namespace NS`: watch the hub's cluster during the run. The namespace is
 * required with a kubeconfig (the hub's pods and events live there); without a kubeconfig it only
 * means something to a k8s:N run (where its worker Job goes).
 */
function observeSpec(io: CliIO, flags: RunFlags, k8sWorkers: boolean): ObserveSpec | undefined {
  if (flags.kubeconfig === undefined) {
    if (flags.namespace !== undefined && !k8sWorkers) {
      throw new InputError(
        'FLAG_INVALID',
        '--namespace goes with --kubeconfig (the observer) or --workers k8s:N',
      );
    }
    return undefined;
  }
  if (!flags.namespace) {
    throw new InputError(
      'FLAG_INVALID',
      "--kubeconfig needs --namespace: the hub's namespace (its user pods and events)",
      {
        hint: 'e.g. --namespace binderhub (kubectl get pods -A -l component=singleuser-server shows it)',
      },
    );
  }
  if (!existsSync(flags.kubeconfig)) {
    throw new InputError('FLAG_INVALID', `--kubeconfig ${flags.kubeconfig}: no such file`);
  }
  return {
    kubeconfigPath: resolve(flags.kubeconfig),
    namespace: flags.namespace,
    onWarning: (m) => io.stderr.write(`cluster observer: ${m}\n`),
  };
}

/** Refuse (unless --allow-dirty) a hub on which records of dead runs list leftovers. */
async function refuseDirtyHub(io: CliIO, target: OpenTarget, flags: RunFlags): Promise<void> {
  const { checkDirtyHub, dirtyHubError } = await import('../../loadgen/leftovers/dirty.js');
  const dirty = await checkDirtyHub({
    runsDir: resolve(flags.out),
    target: target.adapter.describe(),
    token: target.hubToken ?? tokenOf(io, target),
    localStackId: target.localStackId,
  });
  if (dirty.lines.length === 0) return;
  io.stderr.write(`warning: this hub is not clean:\n${dirty.lines.map((l) => `  ${l}`).join('\n')}\n`);
  if (!flags.allowDirty) throw dirtyHubError(dirty, flags.out);
  io.stderr.write('--allow-dirty: measuring anyway; the figures include their load\n');
}

function tokenOf(io: CliIO, target: OpenTarget): string | undefined {
  const env = target.adapter.describe().tokenEnv;
  return env ? io.env[env] : undefined;
}

/** True when every final failure is the target refusing us or being unreachable. */
function refusedOnly(failures: RunSummary['failures']): boolean {
  const entries = Object.entries(failures).filter(([, v]) => (v?.final ?? 0) > 0);
  return (
    entries.length > 0 &&
    entries.every(([reason]) => ['unreachable', 'auth', 'not-allowed', 'rate-limit'].includes(reason))
  );
}
