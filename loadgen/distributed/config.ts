import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import { parseInput } from '../../core/input-issues.js';
import { BinderTarget, JupyterHubTarget, type TargetAdapter } from '../runner/targets.js';

/**
 * What every worker of a distributed run is given (a file for `local:N`, the ConfigMap for
 * `k8s:N`): the scenario text (each worker parses it and checks its hash), the notebook's code
 * cells, the seed, the number of shards, the common start time and the resolved target. No
 * secret: a hub token reaches a worker only through the environment variable `target.tokenEnv`.
 */

export const targetSpecSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.enum(['local', 'binderhub']),
      binderUrl: z.string().url(),
      hubUrl: z.string().url().optional(),
      spec: z.string(),
      tokenEnv: z.string().optional(),
      local: z.record(z.string(), z.number()).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('jupyterhub'),
      hubUrl: z.string().url(),
      tokenEnv: z.string(),
      /** Shared by all workers: hub user names are rehearse-<runTag>-<user id>, unique per run. */
      runTag: z.string(),
    })
    .strict(),
]);
export type TargetSpec = z.infer<typeof targetSpecSchema>;

export const workerConfigSchema = z
  .object({
    v: z.literal(1),
    runId: z.string(),
    scenarioYaml: z.string(),
    scenarioSource: z.string(),
    scenarioHash: z.string(),
    cells: z.array(z.object({ index: z.number().int().nonnegative(), source: z.string() }).strict()).min(1),
    seed: z.number().int().nonnegative(),
    shards: z.number().int().positive(),
    /** The common start: wall-clock ms since the epoch of every worker's run-clock 0. */
    startAt: z.number().int().positive(),
    protocol: z.enum(['v1', 'legacy']),
    target: targetSpecSchema,
    launchTimeoutMs: z.number().int().positive(),
  })
  .strict();
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The one place a WorkerConfig is put together (the coordinator's, and `--dry-run`'s). */
export function buildWorkerConfig(o: {
  runId: string;
  scenarioYaml: string;
  loaded: { sourcePath: string; hash: string; scenario: { seed: number } };
  cells: WorkerConfig['cells'];
  seed?: number;
  shards: number;
  startAt: number;
  protocol: 'v1' | 'legacy';
  target: TargetSpec;
  launchTimeoutMs: number;
}): WorkerConfig {
  return {
    v: 1,
    runId: o.runId,
    scenarioYaml: o.scenarioYaml,
    scenarioSource: o.loaded.sourcePath,
    scenarioHash: o.loaded.hash,
    cells: o.cells,
    seed: o.seed ?? o.loaded.scenario.seed,
    shards: o.shards,
    startAt: o.startAt,
    protocol: o.protocol,
    target: o.target,
    launchTimeoutMs: o.launchTimeoutMs,
  };
}

/** Parse a worker config (JSON text); every issue listed with its path. */
export function parseWorkerConfig(text: string, source: string): WorkerConfig {
  return parseInput(workerConfigSchema, text, source, {
    code: 'WORKER_CONFIG_INVALID',
    whole: '(config)',
    hint: 'The worker config is written by `rehearse run --workers`; coordinator and worker must be the same rehearse version.',
  });
}

/** The adapter a worker launches through; the hub token comes from `env[tokenEnv]`. */
export function targetFromSpec(
  t: TargetSpec,
  launchTimeoutMs: number,
  env: NodeJS.ProcessEnv,
): TargetAdapter {
  const token = t.tokenEnv ? env[t.tokenEnv] : undefined;
  if (t.kind === 'jupyterhub') {
    if (!token) {
      throw new InputError('TOKEN_MISSING', `the worker's ${t.tokenEnv} is empty or unset`, {
        hint: 'For k8s workers the coordinator passes it from a Secret it creates; check the pod env.',
      });
    }
    return new JupyterHubTarget({
      hubUrl: t.hubUrl,
      token,
      tokenEnv: t.tokenEnv,
      runTag: t.runTag,
      launchTimeoutMs,
    });
  }
  return new BinderTarget({
    binderUrl: t.binderUrl,
    hubUrl: t.hubUrl,
    spec: t.spec,
    hubToken: token,
    tokenEnv: t.tokenEnv,
    launchTimeoutMs,
    kind: t.kind,
    local: t.local,
  });
}
