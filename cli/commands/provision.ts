import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ExitCode, InputError } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse provision synth|diff|apply|destroy [--plan plan.yaml] [--config jetstream2.yaml]
 * [--out cdktf.out] [--yes]`: the Jetstream2 stacks (provision/jetstream2/). synth writes Terraform
 * JSON; diff/apply/destroy synthesize again, then drive terraform or tofu in each stack folder.
 * Exit 0, 2 for bad input (plan, config, guardrails, no terraform/tofu, no confirmation), 1 when
 * terraform fails.
 */
export interface ProvisionFlags {
  plan?: string;
  config?: string;
  out?: string;
  yes?: boolean;
}

export const DEFAULT_PLAN = 'plan.yaml';
export const DEFAULT_OUT = 'cdktf.out';

export async function provisionSynth(io: CliIO, flags: ProvisionFlags): Promise<number> {
  await synth(io, flags);
  return ExitCode.ok;
}

export async function provisionDiff(io: CliIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'diff', flags);
}

export async function provisionApply(io: CliIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'apply', flags);
}

export async function provisionDestroy(io: CliIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'destroy', flags);
}

async function synth(io: CliIO, flags: ProvisionFlags) {
  const [{ parsePlan }, { loadJetstream2Config }, { synthesize }] = await Promise.all([
    import('../../analysis/plan-types.js'),
    import('../../provision/jetstream2/config.js'),
    import('../../provision/jetstream2/synth.js'),
  ]);
  const planFile = flags.plan ?? DEFAULT_PLAN;
  if (!existsSync(planFile)) {
    throw new InputError('PLAN_MISSING', `no NodeGroupPlan at ${planFile}`, {
      hint: 'write one with `rehearse plan <scenario> --out plan.yaml`, or pass --plan <file>',
    });
  }
  const plan = parsePlan(readFileSync(planFile, 'utf8'), planFile);
  const config = flags.config === undefined ? {} : loadJetstream2Config(flags.config);
  const result = synthesize({ plan, config, outdir: flags.out ?? DEFAULT_OUT });
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  for (const [stack, dir] of Object.entries(result.stackDirs)) {
    const file = `${dir}/cdk.tf.json`;
    const needed = unsetVariables(JSON.parse(readFileSync(file, 'utf8')) as { variable?: object });
    io.stdout.write(`${stack}: ${relative(process.cwd(), file) || file}\n`);
    if (needed.length > 0) {
      io.stdout.write(`  set before apply (TF_VAR_<name>): ${needed.join(', ')}\n`);
    }
  }
  return result;
}

/** Variables of a synthesized stack that have no default, i.e. that terraform needs a value for. */
export function unsetVariables(json: { variable?: object }): string[] {
  return Object.entries(json.variable ?? {})
    .filter(([, v]) => !('default' in (v as object)))
    .map(([k]) => k);
}

async function drive(
  io: CliIO,
  action: 'diff' | 'apply' | 'destroy',
  flags: ProvisionFlags,
): Promise<number> {
  const tf = await import('../../provision/jetstream2/terraform.js');
  // The binary first: without it nothing below can happen, and the hint says what to install.
  const bin = tf.requireTerraformBinary(io.env);
  if (action !== 'diff' && !flags.yes) await confirm(io, action);
  const result = await synth(io, flags);
  io.stderr.write(`using ${bin.path}\n`);
  const kubeconfig = result.kubeconfigPath;
  const fetchKubeconfig = async (): Promise<boolean> => {
    const dir = result.stackDirs.cluster;
    await tf.runTerraform(bin, [`-chdir=${dir}`, 'init', '-input=false'], io);
    try {
      const text = await tf.runTerraform(bin, tf.kubeconfigOutputArgs(dir), io, true);
      if (text.trim() === '') return false;
      // 0600: it holds the cluster's admin client key.
      writeFileSync(kubeconfig, text, { mode: 0o600 });
      return true;
    } catch {
      // No cluster state yet (nothing applied): terraform has printed why on stderr.
      return false;
    }
  };
  for (const stack of tf.stackOrder(action)) {
    if (
      stack === 'binderhub' &&
      action !== 'apply' &&
      !existsSync(kubeconfig) &&
      !(await fetchKubeconfig())
    ) {
      io.stderr.write(`binderhub: skipped — no cluster yet (no kubeconfig at ${kubeconfig})\n`);
      continue;
    }
    io.stderr.write(`\n== ${stack}: ${action} ==\n`);
    const vars: Record<string, string> = stack === 'binderhub' ? { kubeconfig_path: kubeconfig } : {};
    for (const args of tf.terraformArgs(action, result.stackDirs[stack], vars)) {
      await tf.runTerraform(bin, args, io);
    }
    if (stack === 'cluster' && action === 'apply' && !(await fetchKubeconfig())) {
      throw new InputError('KUBECONFIG_MISSING', 'the cluster stack applied but has no kubeconfig output');
    }
  }
  if (action === 'destroy') rmSync(kubeconfig, { force: true });
  return ExitCode.ok;
}

/** Ask on the terminal; refuse without one (CI must say --yes). */
async function confirm(io: CliIO, action: 'apply' | 'destroy'): Promise<void> {
  const what =
    action === 'apply'
      ? 'create or change the Magnum cluster and the BinderHub release on Jetstream2 (this spends SUs)'
      : 'delete the BinderHub release and the Magnum cluster on Jetstream2, with every user server on it';
  if (!process.stdin.isTTY) {
    throw new InputError(
      'CONFIRMATION_NEEDED',
      `provision ${action} would ${what}; no terminal to confirm on`,
      {
        hint: 'pass --yes to confirm non-interactively',
      },
    );
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`provision ${action} will ${what}. Type "yes" to go on: `);
    if (answer.trim() !== 'yes') {
      throw new InputError('NOT_CONFIRMED', `provision ${action} cancelled`, {
        hint: 'answer "yes", or pass --yes',
      });
    }
  } finally {
    rl.close();
  }
}
