import { readFileSync } from 'node:fs';
import { parseDuration } from '../../core/duration.js';
import { type ErrorCode, ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse provision prescale --plan plan.yaml --at T-30m [--state state.json] [--dry-run]` and
 * `rehearse provision unscale …`: the plan's pre-scale step done the way it works on Magnum's CAPI
 * driver (provision/jetstream2/prescale.ts). `--dry-run` prints the steps and exits 0. Exit 2 for bad
 * input or a step Magnum would refuse, 1 when a call fails or the nodes do not arrive in time.
 */
export interface PrescaleFlags {
  plan?: string;
  at?: string;
  state?: string;
  cluster?: string;
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  wait?: string;
  dryRun?: boolean;
}

/** `T-30m` → −1 800 000 ms; `T+1h8m41s` → 4 121 000 ms; a bare duration means before the start. */
export function parseAt(text: string): number {
  const m = /^T([+-])(.+)$/.exec(text.trim());
  if (!m) {
    throw new InputError('AT_INVALID', `--at ${text}: expected T-<duration> or T+<duration>`, {
      hint: 'e.g. --at T-30m (30 minutes before the event starts)',
    });
  }
  const ms = parseDuration(m[2] ?? '');
  return m[1] === '-' ? -ms : ms;
}

export async function provisionPrescale(io: CliIO, flags: PrescaleFlags): Promise<number> {
  if (flags.at === undefined) {
    throw new InputError('AT_MISSING', 'provision prescale needs --at', { hint: 'e.g. --at T-30m' });
  }
  return prescale(io, flags, parseAt(flags.at));
}

export async function provisionUnscale(io: CliIO, flags: PrescaleFlags): Promise<number> {
  return prescale(io, flags, 'unscale');
}

async function prescale(io: CliIO, flags: PrescaleFlags, at: number | 'unscale'): Promise<number> {
  const [{ parsePlan }, pre, { readClusterRecord }, { stateLocation }] = await Promise.all([
    import('../../analysis/sizing-plan.js'),
    import('../../provision/jetstream2/prescale.js'),
    import('../../provision/jetstream2/state-read.js'),
    import('../../provision/jetstream2/state.js'),
  ]);
  const planFile = flags.plan ?? 'plan.yaml';
  const plan = parsePlan(read(planFile, 'PLAN_INVALID'), planFile);
  const record = flags.state
    ? readClusterRecord(read(flags.state, 'STATE_UNREADABLE'), flags.state)
    : undefined;
  const step = at === 'unscale' ? plan.preScale.steps.at(-1) : plan.preScale.steps.find((s) => s.at === at);
  const current = step ? record?.groups.get(step.group) : undefined;
  if (record && step && !current) {
    throw new InputError('STATE_UNREADABLE', `${flags.state} has no node group ${step.group}`, {
      hint: 'is it the state of the cluster stack this plan was applied with?',
    });
  }
  const cluster = flags.cluster ?? record?.cluster ?? '<cluster>';
  const p = pre.prescalePlan({
    plan,
    at,
    cluster,
    namespace: flags.namespace ?? 'binderhub',
    ...(current ? { current } : {}),
    ...(flags.wait ? { nodeWaitMs: parseDuration(flags.wait) } : {}),
  });
  const what = at === 'unscale' ? 'unscale' : `pre-scale at ${pre.formatAt(p.step.at)}`;
  io.stdout.write(`${what}: ${p.group.name} (${p.step.note})\n`);
  for (const line of pre.describePrescale(p, pre.largePlaceholderRequests(plan)))
    io.stdout.write(`${line}\n`);
  for (const note of p.notes) io.stdout.write(`note: ${note}\n`);
  if (flags.dryRun) return ExitCode.ok;
  if (cluster === '<cluster>') {
    throw new InputError('CLUSTER_UNKNOWN', 'which cluster? Magnum calls need its name', {
      hint: 'pass --cluster <name> or --state <terraform show -json of the cluster stack>',
    });
  }
  const { liveDeps, runPrescale } = await import('../../provision/jetstream2/prescale-run.js');
  const kubeconfigPath = flags.kubeconfig ?? stateLocation('cdktf.out').kubeconfigPath;
  const deps = liveDeps(
    { kubeconfigPath, ...(flags.context ? { context: flags.context } : {}), env: io.env },
    (line) => io.stderr.write(`${line}\n`),
  );
  await runPrescale(p, deps);
  io.stdout.write(`${what}: done\n`);
  return ExitCode.ok;
}

function read(file: string, code: ErrorCode): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(code, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
