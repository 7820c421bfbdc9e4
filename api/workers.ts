import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { InputError } from '../core/errors.js';
import type { Threshold } from '../core/slo.js';
import { planArrivals } from '../loadgen/arrivals.js';
import { mapBounded } from '../loadgen/distributed/bounded.js';
import { buildWorkerConfig, type WorkerConfig } from '../loadgen/distributed/config.js';
import type { CoordinatedResult } from '../loadgen/distributed/coordinator.js';
import { jobName, workerManifests } from '../loadgen/distributed/k8s-manifests.js';
import { parseWorkers, type WorkersSpec } from '../loadgen/distributed/shard.js';
import type { CodeCell } from '../loadgen/notebook.js';
import type { ObserveSpec } from '../loadgen/observe/attach.js';
import type { RecordTap } from '../loadgen/record/tap.js';
import { defaultRunId } from '../loadgen/record/writer.js';
import type { RunReporter } from '../loadgen/runner/reporter.js';
import type { CleanupLine } from '../loadgen/runner/targets.js';
import { type LoadedScenario, parseScenario, scenarioHash } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import type { LibraryIO } from './io.js';
import type { RehearseOptions } from './options.js';
import { LAUNCH_TIMEOUT_MS, type OpenTarget, remoteTargetSpec } from './target.js';

/**
 * A rehearsal with `workers: local:N|k8s:N`: the coordinator side, wired (the machinery is
 * loadgen/distributed/). local: N child processes of `node bin/rehearse.js worker` against the
 * target this process opened (the local stack is brought up once, here). k8s: an Indexed Job in
 * `--worker-namespace` (default `--namespace`, else `default`) running `--image`; the target must be
 * reachable from the cluster.
 */

/** The common start is this far ahead: local children start in ~1 s; pods need scheduling and a pull. */
const START_DELAY_MS = { local: 5_000, k8s: 90_000 } as const;
/** A worker silent this long (after the start) is lost. */
const HEARTBEAT_TIMEOUT_MS = { local: 30_000, k8s: 60_000 } as const;
/** A pod not running this long after the start is deleted; below the heartbeat timeout, so that
 * the record says why (ImagePullBackOff, Unschedulable, …) rather than "no line". */
const POD_START_TIMEOUT_MS = 45_000;
/** Lost workers' users are cleaned up this many at a time. */
const CLEANUP_CONCURRENCY = 8;

/** Where the worker Job goes: --worker-namespace, else --namespace, else default. */
const workerNamespace = (flags: RehearseOptions) => flags.workerNamespace ?? flags.namespace ?? 'default';

/**
 * The scenario's text as the workers get it, checked against the hash it was loaded with (the
 * file is read again here, once: a file changed since would give the workers another scenario).
 */
function scenarioText(loaded: LoadedScenario): string {
  const text = readFileSync(loaded.sourcePath, 'utf8');
  if (scenarioHash(parseScenario(text, loaded.sourcePath)) !== loaded.hash) {
    throw new InputError('SCENARIO_CHANGED', `${loaded.sourcePath} changed while rehearse was starting`, {
      hint: 'Run again once the file is saved.',
    });
  }
  return text;
}

export function checkWorkerFlags(flags: RehearseOptions, scenario: Scenario): WorkersSpec {
  const w = parseWorkers(flags.workers ?? '');
  if (w.kind === 'local' && (flags.image || flags.dryRun || flags.workerNamespace)) {
    throw new InputError('FLAG_INVALID', '--image, --worker-namespace and --dry-run go with --workers k8s:N');
  }
  if (w.kind === 'k8s') {
    if (!flags.image)
      throw new InputError('FLAG_INVALID', '--workers k8s:N needs --image (the worker image)');
    if (scenario.target.kind === 'local') {
      throw new InputError('FLAG_INVALID', 'the local target listens on 127.0.0.1: pods cannot reach it', {
        hint: 'Use --workers local:N with the local target, or a binderhub/jupyterhub target with k8s:N.',
      });
    }
  }
  return w;
}

function activeDeadlineSeconds(scenario: Scenario, seed: number | undefined, startDelayMs: number): number {
  const plan = planArrivals(scenario, { seed: seed ?? scenario.seed });
  const ms = startDelayMs + plan.durationMs + LAUNCH_TIMEOUT_MS + scenario.session.duration + 15 * 60_000;
  return Math.ceil(ms / 1000);
}

/** `--dry-run`: the objects a k8s:N run would create, as YAML documents; no cluster contacted. */
export function dryRun(o: {
  loaded: LoadedScenario;
  cells: CodeCell[];
  seed?: number;
  flags: RehearseOptions;
  workers: WorkersSpec;
  env: NodeJS.ProcessEnv;
}): string {
  if (o.workers.kind !== 'k8s') throw new InputError('FLAG_INVALID', '--dry-run goes with --workers k8s:N');
  const { scenario } = o.loaded;
  const runId = o.flags.id ?? defaultRunId(scenario.name, new Date());
  const config = buildWorkerConfig({
    runId,
    scenarioYaml: scenarioText(o.loaded),
    loaded: o.loaded,
    cells: o.cells,
    seed: o.seed,
    shards: o.workers.count,
    startAt: Date.now() + START_DELAY_MS.k8s,
    protocol: o.flags.protocol ?? 'v1',
    target: remoteTargetSpec(scenario),
    launchTimeoutMs: LAUNCH_TIMEOUT_MS,
  });
  return manifestsYaml({
    runId,
    config,
    namespace: workerNamespace(o.flags),
    image: o.flags.image as string,
    workers: o.workers.count,
    deadline: activeDeadlineSeconds(scenario, o.seed, START_DELAY_MS.k8s),
  });
}

function manifestsYaml(o: {
  runId: string;
  config: WorkerConfig;
  namespace: string;
  image: string;
  workers: number;
  deadline: number;
}): string {
  const m = workerManifests({
    name: jobName(o.runId),
    namespace: o.namespace,
    image: o.image,
    workers: o.workers,
    config: o.config,
    activeDeadlineSeconds: o.deadline,
  });
  return [m.configMap, m.secret, m.job]
    .filter((x) => x !== undefined)
    .map((x) => stringify(x, { aliasDuplicateObjects: false, blockQuote: 'literal', lineWidth: 0 }))
    .join('---\n');
}

export interface RunWorkersOptions {
  io: LibraryIO;
  flags: RehearseOptions;
  workers: WorkersSpec;
  target: OpenTarget;
  loaded: LoadedScenario;
  runsDir: string;
  runId?: string;
  thresholds: Threshold[];
  cells: CodeCell[];
  seed?: number;
  protocol: 'v1' | 'legacy';
  reporter: RunReporter;
  stop: AbortSignal;
  abort: AbortSignal;
  toolVersion: string;
  observe?: ObserveSpec;
  /** `--live`: the coordinator's merged record, as it is written. */
  tap?: RecordTap;
}

export async function runWorkers(o: RunWorkersOptions): Promise<CoordinatedResult> {
  const { coordinate } = await import('../loadgen/distributed/coordinator.js');
  const { scenario } = o.loaded;
  const kind = o.workers.kind;
  const launcher =
    kind === 'local'
      ? new (await import('../loadgen/distributed/local-launcher.js')).LocalLauncher({
          count: o.workers.count,
          command: [
            process.execPath,
            fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url)),
            'worker',
          ],
          env: o.target.childEnv,
          log: (l) => o.io.stderr.write(`${l}\n`),
        })
      : new (await import('../loadgen/distributed/k8s-launcher.js')).K8sLauncher({
          namespace: workerNamespace(o.flags),
          ...(o.flags.kubeconfig ? { kubeconfigPath: o.flags.kubeconfig } : {}),
          image: o.flags.image as string,
          workers: o.workers.count,
          token: o.target.spec.tokenEnv ? o.io.env[o.target.spec.tokenEnv] : undefined,
          activeDeadlineSeconds: activeDeadlineSeconds(scenario, o.seed, START_DELAY_MS.k8s),
          podStartTimeoutMs: POD_START_TIMEOUT_MS,
          log: (l) => o.io.stderr.write(`${l}\n`),
        });
  return coordinate({
    loaded: o.loaded,
    scenarioYaml: scenarioText(o.loaded),
    cells: o.cells,
    seed: o.seed,
    workers: o.workers.count,
    launcher,
    target: o.target.spec,
    recordedTarget: o.target.adapter.describe(),
    launchTimeoutMs: o.target.launchTimeoutMs,
    protocol: o.protocol,
    runsDir: o.runsDir,
    runId: o.runId,
    thresholds: o.thresholds,
    toolVersion: o.toolVersion,
    reporter: o.reporter,
    stop: o.stop,
    abort: o.abort,
    startDelayMs: START_DELAY_MS[kind],
    heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS[kind],
    cleanupLost: (users, signal) => cleanupLost(o.target, users, signal),
    ...(o.observe ? { observe: o.observe } : {}),
    ...(o.tap ? { tap: o.tap } : {}),
  });
}

/**
 * Users a lost worker had in flight: stop their servers and delete their hub users through the
 * coordinator's own adapter (it holds the hub token), CLEANUP_CONCURRENCY at a time; once `signal`
 * fires (out of time after a second Ctrl-C) the rest are listed. A user whose launch had not
 * finished is listed (BinderHub finishes that launch without us; the culler removes it).
 */
async function cleanupLost(
  target: OpenTarget,
  users: { user: string; hubUser?: string }[],
  signal: AbortSignal,
): Promise<CleanupLine[]> {
  const lists = await mapBounded(
    users,
    CLEANUP_CONCURRENCY,
    signal,
    async (u): Promise<CleanupLine[]> => {
      if (!u.hubUser) {
        return [
          {
            what: `${u.user}: a launch in flight when its worker was lost`,
            ok: false,
            detail: 'the hub user is unknown',
            command: "the hub's idle culler removes it; or stop it from the hub admin page",
          },
        ];
      }
      const server = {
        serverUrl: '',
        token: '',
        hubUser: u.hubUser,
        readyAt: 0,
        subPhases: {},
        firstAttempt: 'ok' as const,
      };
      const res = await target.adapter
        .stop(server, { timeoutMs: 30_000 })
        .catch((err: unknown) => [
          { what: `server of ${u.hubUser}`, ok: false, detail: (err as Error).message },
        ]);
      return res.map((l) => ({ ...l, what: `${u.user} (lost worker): ${l.what}` }));
    },
    (u) => [
      {
        what: `${u.user} (lost worker): server of ${u.hubUser ?? 'an unknown hub user'}`,
        ok: false,
        detail: 'not stopped: out of time (aborted)',
        command: "the hub's idle culler removes it; or stop it from the hub admin page",
      },
    ],
  );
  return lists.flat();
}
