/**
 * Run a PrescalePlan (prescale.ts): placeholders through the Kubernetes API, Magnum's calls through
 * the `openstack` CLI (python-openstackclient + python-magnumclient, with the OS_* credentials of the
 * environment — never read or logged here), and a bounded wait for the nodes. Every call has a
 * timeout; the wait polls every 15 s until its deadline.
 */
import { spawn } from 'node:child_process';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { InputError, RehearseError } from '../../core/errors.js';
import { withTimeout } from '../../core/with-signal.js';
import { loadKubeconfig } from './doctor.js';
import { NODE_GROUP_LABEL } from './guardrails.js';
import { PLACEHOLDER_STATEFULSET, type PrescalePlan } from './prescale.js';

export interface PrescaleDeps {
  scalePlaceholders(namespace: string, replicas: number): Promise<void>;
  runOpenstack(args: string[]): Promise<void>;
  groupStatus(group: string, namespace: string): Promise<{ ready: number; pendingPlaceholders: number }>;
  sleep(ms: number): Promise<void>;
  now(): number;
  log(line: string): void;
}

export const POLL_MS = 15_000;
const CALL_TIMEOUT_MS = 120_000;

export async function runPrescale(p: PrescalePlan, deps: PrescaleDeps): Promise<void> {
  const namespace = p.actions.find((a) => a.kind === 'placeholders')?.namespace ?? 'binderhub';
  for (const a of p.actions) {
    if (a.kind === 'placeholders') {
      deps.log(`placeholders: ${PLACEHOLDER_STATEFULSET} → ${a.replicas}`);
      await deps.scalePlaceholders(a.namespace, a.replicas);
    } else if (a.kind === 'magnum') {
      deps.log(`magnum: ${a.command}`);
      await deps.runOpenstack(a.command.split(' ').slice(1));
    } else {
      const deadline = deps.now() + a.timeoutMs;
      for (;;) {
        const s = await deps.groupStatus(a.group, namespace);
        deps.log(
          `${a.group}: ${s.ready}/${a.ready} Ready nodes, ${s.pendingPlaceholders} placeholders pending`,
        );
        if (s.ready >= a.ready && s.pendingPlaceholders === 0) break;
        if (deps.now() >= deadline) {
          throw new RehearseError(
            'NODES_DID_NOT_ARRIVE',
            `${a.group} has ${s.ready} Ready nodes of ${a.ready} and ${s.pendingPlaceholders} pending placeholders after ${Math.round(a.timeoutMs / 60_000)} min`,
            {
              hint:
                'run `rehearse provision doctor` (it reads the cluster autoscaler status: a group at its ' +
                'maxSize, or a backoff after failed machines, e.g. quota); `kubectl describe pod -l ' +
                'component=user-placeholder` says why the placeholders are pending',
            },
          );
        }
        await deps.sleep(Math.min(POLL_MS, Math.max(0, deadline - deps.now())));
      }
    }
  }
}

/** The real dependencies: a kubeconfig for the cluster, the `openstack` CLI on PATH. */
export function liveDeps(
  o: { kubeconfigPath: string; context?: string; env: NodeJS.ProcessEnv },
  log: (line: string) => void,
): PrescaleDeps {
  const kc = loadKubeconfig(o);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    scalePlaceholders: async (namespace, replicas) => {
      await apps.patchNamespacedStatefulSetScale(
        {
          name: PLACEHOLDER_STATEFULSET,
          namespace,
          body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
        },
        withTimeout(CALL_TIMEOUT_MS),
      );
    },
    runOpenstack: (args) => runCli('openstack', args, o.env),
    groupStatus: async (group, namespace) => {
      const nodes = await core.listNode(
        { labelSelector: `${NODE_GROUP_LABEL}=${group}` },
        withTimeout(CALL_TIMEOUT_MS),
      );
      const ready = nodes.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
      const pods = await core.listNamespacedPod(
        { namespace, labelSelector: 'component=user-placeholder', fieldSelector: 'status.phase=Pending' },
        withTimeout(CALL_TIMEOUT_MS),
      );
      return { ready, pendingPlaceholders: pods.items.length };
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    log,
  };
}

function runCli(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: CALL_TIMEOUT_MS,
    });
    child.on('error', (err) =>
      reject(
        new InputError('OPENSTACK_CLI_MISSING', `cannot run ${bin}: ${err.message}`, {
          hint: 'pip install python-openstackclient python-magnumclient, and source your application credential openrc',
          cause: err,
        }),
      ),
    );
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new RehearseError(
          'MAGNUM_CALL_FAILED',
          `${bin} ${args.slice(0, 3).join(' ')} failed (${code ?? signal})`,
          {
            hint: 'read its output above; `openstack coe nodegroup show <cluster> <group>` shows what Magnum recorded',
          },
        ),
      );
    });
  });
}
