import { readFileSync } from 'node:fs';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse provision doctor [--kubeconfig <file>] [--plan plan.yaml] [--binder-url <url>]
 * [--context <name>] [--json]`: checks the cluster against the plan and BinderHub's /health
 * (provision/jetstream2/doctor.ts). One line per check on stdout (or JSON). Exit 0 when all pass,
 * 1 when a check fails, 3 when the API server or BinderHub is unreachable or refuses us, 2 for a
 * bad kubeconfig or plan file. The kubeconfig defaults to the one `provision apply` writes
 * (.rehearse/jetstream2/jetstream2.kubeconfig, with the default --out and no stateDir).
 */
export interface DoctorFlags {
  kubeconfig?: string;
  plan?: string;
  binderUrl?: string;
  context?: string;
  namespace?: string;
  json?: boolean;
}

export async function provisionDoctor(io: CliIO, flags: DoctorFlags): Promise<number> {
  const [{ runDoctor }, { parsePlan }, { stateLocation }] = await Promise.all([
    import('../../provision/jetstream2/doctor.js'),
    import('../../analysis/sizing-plan.js'),
    import('../../provision/jetstream2/state.js'),
  ]);
  const kubeconfigPath = flags.kubeconfig ?? stateLocation('cdktf.out').kubeconfigPath;
  let plan: ReturnType<typeof parsePlan> | undefined;
  if (flags.plan !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.plan, 'utf8');
    } catch (err) {
      throw new InputError('PLAN_INVALID', `cannot read ${flags.plan}: ${(err as Error).message}`, {
        hint: 'Write one with `rehearse plan <scenario> --out plan.yaml`.',
        cause: err,
      });
    }
    plan = parsePlan(text, flags.plan);
  }
  const checks = await runDoctor({
    kubeconfigPath,
    ...(flags.context === undefined ? {} : { context: flags.context }),
    ...(plan ? { plan } : {}),
    ...(flags.binderUrl === undefined ? {} : { binderUrl: flags.binderUrl }),
    ...(flags.namespace === undefined ? {} : { namespace: flags.namespace }),
  });
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2)}\n`);
  } else {
    for (const c of checks) {
      io.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(12)} ${c.detail}\n`);
      if (!c.ok && c.hint) io.stdout.write(`                  ${c.hint}\n`);
    }
  }
  if (checks.some((c) => !c.ok && c.unreachable)) return ExitCode.unreachable;
  return checks.every((c) => c.ok) ? ExitCode.ok : ExitCode.runtime;
}
