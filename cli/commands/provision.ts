import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ExitCode, InputError } from '../../core/errors.js';
import type { StackName } from '../../provision/jetstream2/synth.js';
import type { RunIO } from '../../provision/jetstream2/terraform.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse provision synth|diff|apply|destroy [--plan plan.yaml] [--config jetstream2.yaml]
 * [--out cdktf.out] [--yes] [--allow-replace]`: the Jetstream2 stacks (provision/jetstream2/). synth
 * writes Terraform JSON; diff/apply synthesize again, then drive terraform or tofu in each stack
 * folder (provision/jetstream2/drive.ts); destroy reuses the stacks in --out when they are there.
 * Exit 0, 2 for bad input (plan, config, guardrails, no terraform/tofu, no confirmation, a plan that
 * would rebuild the cluster without --allow-replace), 1 when terraform fails or is interrupted.
 */
export interface ProvisionFlags {
  plan?: string;
  config?: string;
  out?: string;
  yes?: boolean;
  allowReplace?: boolean;
}

/** CliIO, plus what tests inject (signals, whether SIGINT comes from a terminal). */
export type ProvisionIO = CliIO & Pick<RunIO, 'signals' | 'terminal'>;

export const DEFAULT_PLAN = 'plan.yaml';
export const DEFAULT_OUT = 'cdktf.out';

export async function provisionSynth(io: CliIO, flags: ProvisionFlags): Promise<number> {
  await synth(io, flags);
  return ExitCode.ok;
}

export async function provisionDiff(io: ProvisionIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'diff', flags);
}

export async function provisionApply(io: ProvisionIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'apply', flags);
}

export async function provisionDestroy(io: ProvisionIO, flags: ProvisionFlags): Promise<number> {
  return drive(io, 'destroy', flags);
}

async function synth(io: CliIO, flags: ProvisionFlags, lenient = false) {
  const [{ parsePlan }, { loadJetstream2Config }, { synthesize }] = await Promise.all([
    import('../../analysis/sizing-plan.js'),
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
  const result = synthesize({ plan, config, outdir: flags.out ?? DEFAULT_OUT, lenient });
  for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
  for (const [stack, dir] of Object.entries(result.stackDirs)) {
    const file = `${dir}/cdk.tf.json`;
    const needed = unsetVariables(JSON.parse(readFileSync(file, 'utf8')) as { variable?: object });
    io.stdout.write(`${stack}: ${relative(process.cwd(), file) || file}\n`);
    if (needed.length > 0) {
      io.stdout.write(`  set before apply (TF_VAR_<name>): ${needed.join(', ')}\n`);
    }
  }
  io.stdout.write(`state: ${relative(process.cwd(), result.stateDir) || result.stateDir} (mode 0700)\n`);
  return result;
}

/** Variables of a synthesized stack that have no default, i.e. that terraform needs a value for. */
export function unsetVariables(json: { variable?: object }): string[] {
  return Object.entries(json.variable ?? {})
    .filter(([, v]) => !('default' in (v as object)))
    .map(([k]) => k);
}

/**
 * destroy must work whatever the plan, guardrails or chart schemas say now: the stacks already in
 * --out as they are, else a synth that skips the checks, and placeholder values for variables that
 * nothing sets.
 */
async function destroyStacks(io: CliIO, flags: ProvisionFlags) {
  const { existingStacks, STACKS } = await import('../../provision/jetstream2/synth.js');
  const { destroyPlaceholders } = await import('../../provision/jetstream2/drive.js');
  const outdir = flags.out ?? DEFAULT_OUT;
  const found = existingStacks(outdir);
  if (found) io.stderr.write(`destroy: using the stacks already in ${outdir} (no synth)\n`);
  const stacks = found ?? (await synth(io, flags, true));
  const vars: Partial<Record<StackName, Record<string, string>>> = {};
  for (const s of STACKS) {
    vars[s] = destroyPlaceholders(
      JSON.parse(readFileSync(join(stacks.stackDirs[s], 'cdk.tf.json'), 'utf8')),
      io.env,
    );
  }
  return { stacks, vars };
}

async function drive(
  io: ProvisionIO,
  action: 'diff' | 'apply' | 'destroy',
  flags: ProvisionFlags,
): Promise<number> {
  const tf = await import('../../provision/jetstream2/terraform.js');
  const driver = await import('../../provision/jetstream2/drive.js');
  // The binary first: without it nothing below can happen, and the hint says what to install.
  const bin = tf.requireTerraformBinary(io.env);
  // No terminal and no --yes: refuse before doing anything rather than after a long plan.
  if (action !== 'diff' && !flags.yes && !process.stdin.isTTY) throw noTerminal(action);
  if (action === 'destroy' && !flags.yes) await ask(io, `provision destroy will ${DESTROY_WHAT}`);
  const { stacks, vars } =
    action === 'destroy' ? await destroyStacks(io, flags) : { stacks: await synth(io, flags), vars: {} };
  // Only for stacks synthesized now: stacks reused from --out keep the state path they were written with.
  if ('outdir' in stacks && typeof stacks.outdir === 'string') {
    driver.assertNoStrayState(stacks.outdir, stacks.stateDir);
  }
  io.stderr.write(`using ${bin.path}\n`);
  await driver.drive({
    action,
    bin,
    stacks,
    io,
    vars,
    allowReplace: flags.allowReplace === true,
    confirm: async (question) => {
      if (!flags.yes) await ask(io, `provision apply: ${question}?`);
    },
  });
  return ExitCode.ok;
}

const DESTROY_WHAT =
  'delete the BinderHub release and the Magnum cluster on Jetstream2, with every user server on it';

function noTerminal(action: 'apply' | 'destroy'): InputError {
  const what =
    action === 'apply'
      ? 'create or change the Magnum cluster and the BinderHub release on Jetstream2 (this spends SUs)'
      : DESTROY_WHAT;
  return new InputError(
    'CONFIRMATION_NEEDED',
    `provision ${action} would ${what}; no terminal to confirm on`,
    {
      hint: 'pass --yes to confirm non-interactively',
    },
  );
}

/** Ask on the terminal; anything but "yes" cancels (InputError NOT_CONFIRMED). */
async function ask(io: CliIO, question: string): Promise<void> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`${question} Type "yes" to go on: `);
    if (answer.trim() !== 'yes') {
      throw new InputError('NOT_CONFIRMED', 'provision cancelled', { hint: 'answer "yes", or pass --yes' });
    }
  } finally {
    rl.close();
  }
}
