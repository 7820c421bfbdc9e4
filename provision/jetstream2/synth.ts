/**
 * The cdktf app: guardrails, then the `cluster` and `binderhub` stacks synthesized to
 * `<outdir>/stacks/<stack>/cdk.tf.json` (standard Terraform JSON, for `terraform` or `tofu`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { App } from 'cdktf';
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { BinderhubStack } from './binderhub-stack.js';
import { ClusterStack } from './cluster-stack.js';
import type { Jetstream2Config } from './config.js';
import { assertGuardrails } from './guardrails.js';
import { assertProviderSchema } from './provider-schema.js';
import { ensureStateDir, stateLocation } from './state.js';
import type { Values } from './values.js';

/** Apply order; destroy runs it backwards. */
export const STACKS = ['cluster', 'binderhub'] as const;
export type StackName = (typeof STACKS)[number];

export interface SynthOptions {
  plan: NodeGroupPlan;
  config?: Jetstream2Config;
  /** cdktf output folder, e.g. cdktf.out. */
  outdir: string;
  /**
   * Skip the guardrails and the chart-schema check (destroy: what exists must go, whatever the plan
   * or the charts say now).
   */
  lenient?: boolean;
}

export interface StackLocations {
  /** Working directory of each stack, where `terraform -chdir=` points. */
  stackDirs: Record<StackName, string>;
  /** Local Terraform state and the handed-over kubeconfig live here (mode 0700). */
  stateDir: string;
  kubeconfigPath: string;
}

export interface SynthResult extends StackLocations {
  outdir: string;
  /**
   * The BinderHub release's values as Helm receives them once Terraform has filled in its variables,
   * with the Terraform expressions (`${var.hub_host}`) in their place.
   */
  values: Values;
  warnings: string[];
}

/** Where a stack's Terraform JSON goes inside `outdir`. */
export function stackDir(outdir: string, stack: StackName): string {
  return join(resolve(outdir), 'stacks', stack);
}

export { ensureStateDir, stateLocation } from './state.js';

export function synthesize(opts: SynthOptions): SynthResult {
  const config = opts.config ?? {};
  const warnings = opts.lenient ? [] : assertGuardrails(opts.plan, config).warnings;
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
  const binderhub = new BinderhubStack(app, 'binderhub', {
    plan: opts.plan,
    config,
    stateDir,
    kubeconfigPath,
    validate: !opts.lenient,
  });
  app.synth();
  if (!opts.lenient) {
    // Hand-written constructs: every argument checked against the provider's own schema.
    assertProviderSchema(JSON.parse(readFileSync(join(stackDir(outdir, 'cluster'), 'cdk.tf.json'), 'utf8')));
  }
  ensureStateDir(stateDir);
  return {
    outdir,
    stackDirs: { cluster: stackDir(outdir, 'cluster'), binderhub: stackDir(outdir, 'binderhub') },
    stateDir,
    kubeconfigPath,
    values: binderhub.values,
    warnings,
  };
}

/**
 * The stacks a previous synth left in `outdir`, with the state folder and kubeconfig path read from
 * their JSON (the backend path, the kubeconfig_path default); undefined when either stack is missing.
 */
export function existingStacks(outdir: string): StackLocations | undefined {
  const stackDirs = { cluster: stackDir(outdir, 'cluster'), binderhub: stackDir(outdir, 'binderhub') };
  const files = STACKS.map((s) => join(stackDirs[s], 'cdk.tf.json'));
  if (!files.every((f) => existsSync(f))) return undefined;
  const [cluster, binderhub] = files.map((f) => JSON.parse(readFileSync(f, 'utf8'))) as [
    { terraform?: { backend?: { local?: { path?: string } } } },
    { variable?: { kubeconfig_path?: { default?: string } } },
  ];
  const statePath = cluster.terraform?.backend?.local?.path;
  const kubeconfigPath = binderhub.variable?.kubeconfig_path?.default;
  if (!statePath || !kubeconfigPath) return undefined;
  return { stackDirs, stateDir: dirname(statePath), kubeconfigPath };
}
