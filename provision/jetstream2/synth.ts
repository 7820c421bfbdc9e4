/**
 * The cdktf app: guardrails, then the `cluster` and `binderhub` stacks synthesized to
 * `<outdir>/stacks/<stack>/cdk.tf.json` (standard Terraform JSON, for `terraform` or `tofu`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { App } from 'cdktf';
import { parse } from 'yaml';
import type { NodeGroupPlan } from '../../analysis/plan-types.js';
import { BinderhubStack } from './binderhub-stack.js';
import { ClusterStack } from './cluster-stack.js';
import type { Jetstream2Config } from './config.js';
import { assertGuardrails } from './guardrails.js';
import type { Values } from './values.js';

/** Apply order; destroy runs it backwards. */
export const STACKS = ['cluster', 'binderhub'] as const;
export type StackName = (typeof STACKS)[number];

export interface SynthOptions {
  plan: NodeGroupPlan;
  config?: Jetstream2Config;
  /** cdktf output folder, e.g. cdktf.out. */
  outdir: string;
}

export interface SynthResult {
  outdir: string;
  /** Working directory of each stack, where `terraform -chdir=` points. */
  stackDirs: Record<StackName, string>;
  /** Local Terraform state and the handed-over kubeconfig live here. */
  stateDir: string;
  kubeconfigPath: string;
  /** The BinderHub release's values as written (Terraform expressions such as `${var.hub_host}` kept). */
  /** The BinderHub release's values as written (Terraform expressions such as `${var.hub_host}` kept). */
  values: Values;
  warnings: string[];
}

/** Where a stack's Terraform JSON goes inside `outdir`. */
export function stackDir(outdir: string, stack: StackName): string {
  return join(resolve(outdir), 'stacks', stack);
}

/** State next to cdktf.out (so deleting cdktf.out never loses it), unless jetstream2.yaml says otherwise. */
export function stateLocation(outdir: string, config: Jetstream2Config = {}) {
  const stateDir = resolve(config.stateDir ?? dirname(resolve(outdir)));
  return { stateDir, kubeconfigPath: join(stateDir, 'jetstream2.kubeconfig') };
}

export function synthesize(opts: SynthOptions): SynthResult {
  const config = opts.config ?? {};
  const { warnings } = assertGuardrails(opts.plan, config);
  if (opts.plan.dask.mode === 'gateway') {
    warnings.push(
      `dask: the plan sizes a dask-gateway group (${opts.plan.dask.group}); the binderhub stack does not ` +
        'install dask-gateway — add its chart yourself',
    );
  }
  const outdir = resolve(opts.outdir);
  const { stateDir, kubeconfigPath } = stateLocation(outdir, config);
  // skipValidation: false keeps cdktf's own checks (e.g. duplicate ids) on.
  const app = new App({ outdir, skipValidation: false });
  new ClusterStack(app, 'cluster', { plan: opts.plan, config, stateDir });
  new BinderhubStack(app, 'binderhub', { plan: opts.plan, config, stateDir, kubeconfigPath });
  app.synth();
  const stackDirs = { cluster: stackDir(outdir, 'cluster'), binderhub: stackDir(outdir, 'binderhub') };
  return {
    outdir,
    stackDirs,
    stateDir,
    kubeconfigPath,
    values: writtenValues(stackDirs.binderhub),
    warnings,
  };
}

/** The values YAML of the binderhub release, read back from cdk.tf.json (tokens resolved). */
function writtenValues(dir: string): Values {
  const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as {
    resource: { helm_release: { binderhub: { values: string[] } } };
  };
  return parse(json.resource.helm_release.binderhub.values[0] ?? '{}') as Values;
}
