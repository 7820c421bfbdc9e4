/**
 * Sequence terraform over the two stacks (terraform.ts runs each command): diff, apply through a saved
 * plan that is checked before it is applied, destroy in reverse order, and the kubeconfig hand-over
 * between the stacks.
 */
import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError, RehearseError } from '../../core/errors.js';
import type { Refusal } from './magnum-plan-checks.js';
import { ensureStateDir } from './state.js';
import type { StackLocations, StackName } from './synth.js';
import {
  type Action,
  applyPlanArgs,
  destroyArgs,
  diffArgs,
  initArgs,
  kubeconfigOutputArgs,
  planArgs,
  type RunIO,
  runTerraform,
  showJsonArgs,
  stackOrder,
  type TerraformBinary,
} from './terraform.js';
import { describeDestructive, summarizePlan } from './terraform-plan.js';

export interface DriveOptions {
  action: Action;
  bin: TerraformBinary;
  stacks: StackLocations;
  io: RunIO;
  /** apply: go on when the plan deletes or replaces the cluster, a node group or the template. */
  allowReplace?: boolean;
  /** apply: asked after each stack's plan is shown and checked; throws to stop. */
  confirm: (question: string) => Promise<void>;
  /** destroy: extra -var values per stack (placeholders for variables nothing sets). */
  vars?: Partial<Record<StackName, Record<string, string>>>;
}

export const REPLACE_HINT =
  'Replacing the cluster deletes it and builds a new one: every user server, the hub and its database ' +
  'go, and the new cluster takes 10 min to 2.5 h. Replacing a node group deletes its nodes and every ' +
  'pod on them. These arguments cannot change in place (provision/jetstream2/openstack/*.ts): put the ' +
  'plan or jetstream2.yaml back as they were, or run again with --allow-replace if a rebuild is what ' +
  'you want.';

export async function drive(o: DriveOptions): Promise<void> {
  const { action, stacks, io } = o;
  const run = (args: string[], capture = false) => runTerraform(o.bin, args, io, capture);
  ensureStateDir(stacks.stateDir);
  for (const stack of stackOrder(action)) {
    const dir = stacks.stackDirs[stack];
    if (
      stack === 'binderhub' &&
      action !== 'apply' &&
      !existsSync(stacks.kubeconfigPath) &&
      !(await fetchKubeconfig(o, true))
    ) {
      io.stderr.write(
        'binderhub: skipped — the cluster stack has no kubeconfig output (no cluster in its state), ' +
          'so there is no cluster to reach\n',
      );
      continue;
    }
    io.stderr.write(`\n== ${stack}: ${action} ==\n`);
    const vars = {
      ...(stack === 'binderhub' ? { kubeconfig_path: stacks.kubeconfigPath } : {}),
      ...o.vars?.[stack],
    };
    await run(initArgs(dir));
    if (action === 'diff') await run(diffArgs(dir, vars));
    else if (action === 'destroy') await run(destroyArgs(dir, vars));
    else await applyStack(o, stack, vars);
    if (stack === 'cluster' && action === 'apply' && !(await fetchKubeconfig(o, false))) {
      throw new RehearseError(
        'KUBECONFIG_MISSING',
        'the cluster stack applied but has no kubeconfig output',
        {
          hint: `run \`${o.bin.name} -chdir=${dir} output kubeconfig\` to see why; Magnum may still be creating the cluster`,
        },
      );
    }
  }
  if (action === 'destroy') rmSync(stacks.kubeconfigPath, { force: true });
}

/** plan -out, show -json, refuse a rebuild unless allowed, ask, apply the saved plan; then delete it. */
async function applyStack(o: DriveOptions, stack: StackName, vars: Record<string, string>): Promise<void> {
  const dir = o.stacks.stackDirs[stack];
  const run = (args: string[], capture = false) => runTerraform(o.bin, args, o.io, capture);
  // In the 0700 state folder: a saved plan holds the variables' values (the registry password too).
  const planFile = join(o.stacks.stateDir, `${stack}.tfplan`);
  try {
    await run(planArgs(dir, planFile, vars));
    const summary = summarizePlan(await run(showJsonArgs(dir, planFile), true));
    if (summary.refused.length > 0) throw magnumWouldRefuse(stack, summary.refused);
    if (summary.destructive.length > 0) {
      const lines = summary.destructive.map(describeDestructive).join('\n  ');
      if (!o.allowReplace) {
        throw new InputError(
          'REPLACE_REFUSED',
          `provision apply would delete or replace in the ${stack} stack:\n  ${lines}`,
          { hint: REPLACE_HINT },
        );
      }
      o.io.stderr.write(`warning: --allow-replace: the ${stack} stack will delete or replace:\n  ${lines}\n`);
    }
    if (!summary.changes) {
      o.io.stderr.write(`${stack}: no changes\n`);
      return;
    }
    await o.confirm(`apply the plan above to the ${stack} stack`);
    await run(applyPlanArgs(dir, planFile));
  } finally {
    rmSync(planFile, { force: true });
  }
}

/**
 * InputError MAGNUM_WOULD_REFUSE: Magnum would answer a call of this apply with an error, after the
 * calls before it had already changed the cluster. Not overridable: the order is given instead.
 */
export function magnumWouldRefuse(stack: StackName, refused: Refusal[]): InputError {
  const lines = refused.map((r) => `${r.address}: ${r.reason}`).join('\n  ');
  const first = refused.flatMap((r) => r.first);
  return new InputError(
    'MAGNUM_WOULD_REFUSE',
    `provision apply would fail mid-apply in the ${stack} stack; Magnum would answer:\n  ${lines}`,
    {
      hint:
        first.length > 0
          ? `run these first, in this order (python-openstackclient + python-magnumclient, your OS_* ` +
            `credentials), then apply again:\n  ${first.join('\n  ')}`
          : 'no order of calls makes this valid: change the plan or jetstream2.yaml (a template in use ' +
            'cannot change: give a new image or capiHelmChartVersion, which makes a new template)',
    },
  );
}

/**
 * The cluster stack's kubeconfig output, written to stacks.kubeconfigPath (0600); false when the stack
 * has none (nothing applied: terraform has said why on stderr).
 */
async function fetchKubeconfig(o: DriveOptions, init: boolean): Promise<boolean> {
  const dir = o.stacks.stackDirs.cluster;
  if (init) await runTerraform(o.bin, initArgs(dir), o.io);
  let text: string;
  try {
    text = await runTerraform(o.bin, kubeconfigOutputArgs(dir), o.io, true);
  } catch (err) {
    if (err instanceof RehearseError && err.code === 'TERRAFORM_FAILED') return false;
    throw err;
  }
  if (text.trim() === '') return false;
  writePrivate(o.stacks.kubeconfigPath, text);
  return true;
}

/**
 * Write `text` to `file` with mode 0600 whatever was there: a fresh temporary file (0600 from its
 * creation, so the key is never readable by others), renamed over the target.
 */
export function writePrivate(file: string, text: string): void {
  const tmp = join(dirname(file), `.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * destroy: a -var for every variable with no default that the environment does not set
 * (TF_VAR_<name>). Destroy works from the state, so their values are never used, but Terraform
 * refuses to start without them.
 */
export function destroyPlaceholders(
  json: { variable?: Record<string, { default?: unknown; type?: string }> },
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(json.variable ?? {})) {
    if ('default' in v || env[`TF_VAR_${name}`] !== undefined) continue;
    out[name] = v.type === 'number' ? '0' : v.type === 'bool' ? 'false' : 'unused-by-destroy';
  }
  return out;
}

/**
 * State written before it moved to `.rehearse/jetstream2/` (next to cdktf.out): refuse rather than
 * plan a second cluster beside the one that state describes.
 */
export function assertNoStrayState(outdir: string, stateDir: string): void {
  const old = join(dirname(resolve(outdir)), 'terraform.cluster.tfstate');
  if (resolve(stateDir) === dirname(old) || !existsSync(old)) return;
  if (existsSync(join(stateDir, 'terraform.cluster.tfstate'))) return;
  throw new InputError('STATE_ELSEWHERE', `Terraform state found at ${old}, not in ${stateDir}`, {
    hint:
      `move terraform.*.tfstate* and jetstream2.kubeconfig from ${dirname(old)} into ${stateDir} and ` +
      `delete ${outdir} (its stacks remember the old state path), or set stateDir: ${dirname(old)} in ` +
      'jetstream2.yaml',
  });
}
