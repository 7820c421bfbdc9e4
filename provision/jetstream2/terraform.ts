/**
 * The Terraform driver: find `terraform` or `tofu`, build each command line (pure, tested), and run
 * them in the stack folders cdktf wrote, streaming their output (drive.ts sequences them). Apply goes cluster → binderhub,
 * destroy binderhub → cluster: the ingress controller's LoadBalancer is an Octavia load balancer with
 * a floating IP, which would be left behind (and block the cluster's network deletion) if the cluster
 * went first.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { InputError, RehearseError } from '../../core/errors.js';
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
 * Every plan/apply/destroy runs with -parallelism=1: Magnum's concurrent node-group creation races
 * (launchpad bug 2097946; 2i2c's cluster.tf). -input=false: a missing variable is an error, never a
 * prompt hidden behind our streaming.
 */
const RUN_FLAGS = ['-input=false', '-parallelism=1'];
const varArgs = (vars: Record<string, string>) => Object.entries(vars).map(([k, v]) => `-var=${k}=${v}`);

export function initArgs(dir: string): string[] {
  return [`-chdir=${dir}`, 'init', '-input=false'];
}

/** diff: a plain plan, printed. */
export function diffArgs(dir: string, vars: Record<string, string> = {}): string[] {
  return [`-chdir=${dir}`, 'plan', ...RUN_FLAGS, ...varArgs(vars)];
}

/** apply, step 1: the plan, printed and saved (it holds variable values: keep it in the state folder). */
export function planArgs(dir: string, planFile: string, vars: Record<string, string> = {}): string[] {
  return [`-chdir=${dir}`, 'plan', ...RUN_FLAGS, `-out=${planFile}`, ...varArgs(vars)];
}

/** apply, step 2: the saved plan as JSON, for summarizePlan. */
export function showJsonArgs(dir: string, planFile: string): string[] {
  return [`-chdir=${dir}`, 'show', '-json', planFile];
}

/**
 * apply, step 3: exactly the saved plan — what was shown and checked, nothing re-planned. A saved plan
 * needs no -auto-approve and takes no -var.
 */
export function applyPlanArgs(dir: string, planFile: string): string[] {
  return [`-chdir=${dir}`, 'apply', ...RUN_FLAGS, planFile];
}

/** destroy: -auto-approve, because rehearse has asked for confirmation itself. */
export function destroyArgs(dir: string, vars: Record<string, string> = {}): string[] {
  return [`-chdir=${dir}`, 'destroy', '-auto-approve', ...RUN_FLAGS, ...varArgs(vars)];
}

/** `terraform output -raw kubeconfig` in the cluster stack: the kubeconfig for the binderhub stack. */
export function kubeconfigOutputArgs(clusterDir: string): string[] {
  return [`-chdir=${clusterDir}`, 'output', '-raw', 'kubeconfig'];
}

/** Stacks in the order an action visits them. */
export function stackOrder(action: Action): StackName[] {
  return action === 'destroy' ? ['binderhub', 'cluster'] : ['cluster', 'binderhub'];
}

/** What runTerraform listens on for SIGINT/SIGTERM (process, or an EventEmitter in tests). */
export interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface RunIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** Default: process. */
  signals?: SignalSource;
  /**
   * Whether a SIGINT came from the terminal, which sends it to terraform too (same process group).
   * Default: process.stdin.isTTY.
   */
  terminal?: boolean;
}

export const STOP_MESSAGE = 'waiting for terraform to stop cleanly (it is writing its state)';

/**
 * Run the binary with `args`, streaming its output to io (or collecting stdout when `capture`).
 * Rejects with RehearseError TERRAFORM_FAILED (exit 1) on a non-zero exit.
 *
 * While it runs, SIGINT and SIGTERM do not kill rehearse: killing us would close terraform's pipes
 * and SIGPIPE it halfway through writing its state, leaving cloud resources it created but never
 * recorded. The first signal is passed on once (SIGTERM always; SIGINT only when it did not come
 * from a terminal, which has already sent it to terraform — a second SIGINT makes terraform quit
 * at once), and we wait for terraform to exit, its output still flowing. Later signals only say what
 * may be orphaned. Once it has exited, RehearseError TERRAFORM_INTERRUPTED (exit 1), whatever its
 * exit code, so that no further step starts.
 */
export function runTerraform(
  bin: TerraformBinary,
  args: string[],
  io: RunIO,
  capture = false,
): Promise<string> {
  const signals = io.signals ?? process;
  const terminal = io.terminal ?? process.stdin.isTTY === true;
  const what = `${bin.name} ${args.slice(1, 2).join(' ')}`;
  const where = args[0]?.slice('-chdir='.length) ?? '.';
  return new Promise((resolvePromise, reject) => {
    // TF_IN_AUTOMATION: Terraform drops its "now run terraform apply" advice, which would mislead here.
    const child = spawn(bin.path, args, {
      env: { ...io.env, TF_IN_AUTOMATION: '1' },
      stdio: ['inherit', 'pipe', 'pipe'],
    });
    const received: NodeJS.Signals[] = [];
    const onSignal = (signal: NodeJS.Signals) => {
      received.push(signal);
      if (received.length === 1) {
        io.stderr.write(`\n${signal}: ${STOP_MESSAGE}\n`);
        if (signal === 'SIGTERM' || !terminal) child.kill(signal);
        return;
      }
      io.stderr.write(
        `${signal} again: still waiting for ${bin.name} to exit. If it is stopped before it has ` +
          'written its state, resources it was creating may be left without state: check ' +
          '`openstack coe cluster list`, `openstack coe nodegroup list <cluster>` and ' +
          '`openstack loadbalancer list`, then import or delete what is not in the state\n',
      );
    };
    signals.on('SIGINT', onSignal);
    signals.on('SIGTERM', onSignal);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => (capture ? chunks.push(b) : io.stdout.write(b)));
    child.stderr.on('data', (b: Buffer) => io.stderr.write(b));
    const done = () => {
      signals.off('SIGINT', onSignal);
      signals.off('SIGTERM', onSignal);
    };
    child.on('error', (err) => {
      done();
      reject(new RehearseError('TERRAFORM_FAILED', `cannot run ${bin.path}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      done();
      const how = code === null ? `signal ${signal}` : `exit ${code}`;
      if (received.length > 0) {
        return reject(
          new RehearseError(
            'TERRAFORM_INTERRUPTED',
            `${what} stopped after ${received[0]} (${how}) in ${where}`,
            {
              hint:
                'nothing further was started; run the same command again to carry on from the state ' +
                `${bin.name} wrote, and check \`openstack coe cluster list\` for anything half-made`,
            },
          ),
        );
      }
      if (code === 0) return resolvePromise(Buffer.concat(chunks).toString('utf8'));
      reject(
        new RehearseError('TERRAFORM_FAILED', `${what} failed (${how}) in ${where}`, {
          hint: 'read its output above; state is kept, so fixing the cause and running again resumes',
        }),
      );
    });
  });
}
