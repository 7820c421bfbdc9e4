/**
 * Where the Jetstream2 stacks keep their local Terraform state, saved plans and the cluster's
 * kubeconfig (no cdktf import, so `provision doctor` can find the kubeconfig cheaply).
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * `.rehearse/jetstream2/` next to cdktf.out (so deleting cdktf.out never loses it; `.rehearse/` is
 * git-ignored), unless jetstream2.yaml's `stateDir` says otherwise.
 */
export function stateLocation(outdir: string, config: { stateDir?: string } = {}) {
  const stateDir = resolve(config.stateDir ?? join(dirname(resolve(outdir)), '.rehearse', 'jetstream2'));
  return { stateDir, kubeconfigPath: join(stateDir, 'jetstream2.kubeconfig') };
}

/**
 * Create the state folder with mode 0700 (and make an existing one 0700): the state, the saved plans
 * and the kubeconfig in it hold the cluster's admin key and the registry password.
 */
export function ensureStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
}
