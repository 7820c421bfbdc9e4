/**
 * The Terraform driver: find `terraform` or `tofu`, build each command line (pure, tested), and run
 * them in the stack folders cdktf wrote, streaming their output. Apply goes cluster → binderhub,
 * destroy binderhub → cluster: the ingress controller's LoadBalancer is an Octavia load balancer with
 * a floating IP, which would be left behind (and block the cluster's network deletion) if the cluster
 * went first.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { InputError, RehearseError } from '../../scenarios/errors.js';
import type { StackName } from './synth.js';

export const INSTALL_HINT =
  'install OpenTofu (https://opentofu.org/docs/intro/install/) or Terraform, or set TERRAFORM_BINARY_NAME';

/** Both speak the same CLI and read cdktf's Terraform JSON (capacity.md §7). */
export const BINARY_CANDIDATES = ['terraform', 'tofu'] as const;

export interface TerraformBinary {
  /** Absolute path that will be run. */
  path: string;
  /** What was looked for: terraform, tofu, or TERRAFORM_BINARY_NAME's value. */
  name: string;
}

const isExecutable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    // Not there, or not executable: the next candidate is tried.
    return false;
  }
};

/**
 * TERRAFORM_BINARY_NAME (as cdktf honours it: a name on PATH or a path) if set, else the first of
 * terraform, tofu on PATH; undefined when none is found.
 */
export function findTerraformBinary(
  env: NodeJS.ProcessEnv,
  executable: (file: string) => boolean = isExecutable,
): TerraformBinary | undefined {
  const wanted = env.TERRAFORM_BINARY_NAME?.trim();
  const names = wanted ? [wanted] : [...BINARY_CANDIDATES];
  const dirs = (env.PATH ?? '').split(delimiter).filter((d) => d !== '');
  for (const name of names) {
    if (name.includes('/')) {
      if (isAbsolute(name) && executable(name)) return { path: name, name };
      continue;
    }
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return { path, name };
    }
  }
  return undefined;
}

/** findTerraformBinary, or InputError TERRAFORM_MISSING (exit 2) with what to install. */
export function requireTerraformBinary(env: NodeJS.ProcessEnv): TerraformBinary {
  const found = findTerraformBinary(env);
  if (found) return found;
  const wanted = env.TERRAFORM_BINARY_NAME?.trim();
  const what = wanted
    ? `TERRAFORM_BINARY_NAME=${wanted} is not an executable on PATH`
    : 'neither terraform nor tofu is on PATH';
  throw new InputError('TERRAFORM_MISSING', `rehearse provision needs Terraform or OpenTofu: ${what}`, {
    hint: INSTALL_HINT,
  });
}

export type Action = 'diff' | 'apply' | 'destroy';

/**
 * Argument lists, in order, for one stack. Every plan/apply/destroy runs with -parallelism=1: Magnum's
 * concurrent node-group creation races (launchpad bug 2097946; 2i2c's cluster.tf). -input=false: a
 * missing variable is an error, never a prompt hidden behind our streaming; apply and destroy are
 * -auto-approve because rehearse has asked for confirmation itself.
 */
export function terraformArgs(action: Action, dir: string, vars: Record<string, string> = {}): string[][] {
  const chdir = `-chdir=${dir}`;
  const varArgs = Object.entries(vars).map(([k, v]) => `-var=${k}=${v}`);
  const verb = { diff: ['plan'], apply: ['apply', '-auto-approve'], destroy: ['destroy', '-auto-approve'] }[
    action
  ];
  return [
    [chdir, 'init', '-input=false'],
    [chdir, ...verb, '-input=false', '-parallelism=1', ...varArgs],
  ];
}

/** `terraform output -raw kubeconfig` in the cluster stack: the kubeconfig for the binderhub stack. */
export function kubeconfigOutputArgs(clusterDir: string): string[] {
  return [`-chdir=${clusterDir}`, 'output', '-raw', 'kubeconfig'];
}

/** Stacks in the order an action visits them. */
export function stackOrder(action: Action): StackName[] {
  return action === 'destroy' ? ['binderhub', 'cluster'] : ['cluster', 'binderhub'];
}

export interface RunIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/**
 * Run the binary with `args`, streaming its output to io (or collecting stdout when `capture`).
 * Rejects with RehearseError TERRAFORM_FAILED (exit 1) on a non-zero exit.
 */
export function runTerraform(
  bin: TerraformBinary,
  args: string[],
  io: RunIO,
  capture = false,
): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    // TF_IN_AUTOMATION: Terraform drops its "now run terraform apply" advice, which would mislead here.
    const child = spawn(bin.path, args, {
      env: { ...io.env, TF_IN_AUTOMATION: '1' },
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => (capture ? chunks.push(b) : io.stdout.write(b)));
    child.stderr.on('data', (b: Buffer) => io.stderr.write(b));
    child.on('error', (err) =>
      reject(new RehearseError('TERRAFORM_FAILED', `cannot run ${bin.path}: ${err.message}`, { cause: err })),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolvePromise(Buffer.concat(chunks).toString('utf8'));
      const how = code === null ? `signal ${signal}` : `exit ${code}`;
      reject(
        new RehearseError(
          'TERRAFORM_FAILED',
          `${bin.name} ${args.slice(1, 2).join(' ')} failed (${how}) in ${args[0]?.slice(7)}`,
          {
            hint: 'read its output above; state is kept, so fixing the cause and running again resumes',
          },
        ),
      );
    });
  });
}
