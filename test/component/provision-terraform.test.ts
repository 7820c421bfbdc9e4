import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { provisionApply, provisionDiff } from '../../cli/commands/provision.js';
import { reportError } from '../../cli/main.js';
import { InputError, RehearseError } from '../../core/errors.js';
import {
  applyPlanArgs,
  destroyArgs,
  diffArgs,
  findTerraformBinary,
  INSTALL_HINT,
  initArgs,
  kubeconfigOutputArgs,
  planArgs,
  showJsonArgs,
  stackOrder,
} from '../../provision/jetstream2/terraform.js';
import { FIXTURE_PLAN, SHOW_PRESCALE, SHOW_REPLACE, standIn, tmp } from '../fixtures/provision/helpers.js';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

function io(env: NodeJS.ProcessEnv) {
  const out = sink();
  const err = sink();
  return { io: { stdout: out.stream, stderr: err.stream, env }, out, err };
}

describe('binary resolution', () => {
  const on =
    (...files: string[]) =>
    (f: string) =>
      files.includes(f);

  it('takes terraform, else tofu, from PATH in order', () => {
    expect(findTerraformBinary({ PATH: '/a:/b' }, on('/b/tofu'))).toEqual({ path: '/b/tofu', name: 'tofu' });
    expect(findTerraformBinary({ PATH: '/a:/b' }, on('/b/tofu', '/b/terraform', '/a/terraform'))).toEqual({
      path: '/a/terraform',
      name: 'terraform',
    });
    expect(findTerraformBinary({ PATH: '/a:/b' }, on('/c/terraform'))).toBeUndefined();
    expect(findTerraformBinary({}, on('/usr/local/bin/terraform'))).toBeUndefined();
  });

  it('honours TERRAFORM_BINARY_NAME, as a name on PATH or a path, and only it', () => {
    const both = on('/b/tofu', '/b/terraform', '/opt/tf/terraform-1.9');
    expect(findTerraformBinary({ PATH: '/b', TERRAFORM_BINARY_NAME: 'tofu' }, both)?.path).toBe('/b/tofu');
    expect(
      findTerraformBinary({ PATH: '/b', TERRAFORM_BINARY_NAME: '/opt/tf/terraform-1.9' }, both)?.path,
    ).toBe('/opt/tf/terraform-1.9');
    expect(findTerraformBinary({ PATH: '/b', TERRAFORM_BINARY_NAME: 'tofu-nightly' }, both)).toBeUndefined();
  });

  it('finds only executable files on the real filesystem', () => {
    const dir = tmp('bin');
    writeFileSync(join(dir, 'terraform'), '#!/bin/sh\n');
    writeFileSync(join(dir, 'tofu'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tofu'), 0o755);
    expect(findTerraformBinary({ PATH: dir })).toEqual({ path: join(dir, 'tofu'), name: 'tofu' });
  });
});

describe('command lines', () => {
  it('init, then plan/apply/destroy with -parallelism=1 in the stack folder', () => {
    const c = '-chdir=/o/stacks/cluster';
    expect(initArgs('/o/stacks/cluster')).toEqual([c, 'init', '-input=false']);
    expect(diffArgs('/o/stacks/cluster')).toEqual([c, 'plan', '-input=false', '-parallelism=1']);
    expect(planArgs('/o/stacks/cluster', '/s/cluster.tfplan', { kubeconfig_path: '/s/k' })).toEqual([
      c,
      'plan',
      '-input=false',
      '-parallelism=1',
      '-out=/s/cluster.tfplan',
      '-var=kubeconfig_path=/s/k',
    ]);
    expect(showJsonArgs('/o/stacks/cluster', '/s/cluster.tfplan')).toEqual([
      c,
      'show',
      '-json',
      '/s/cluster.tfplan',
    ]);
    // A saved plan: no -auto-approve, no -var.
    expect(applyPlanArgs('/o/stacks/cluster', '/s/cluster.tfplan')).toEqual([
      c,
      'apply',
      '-input=false',
      '-parallelism=1',
      '/s/cluster.tfplan',
    ]);
    expect(destroyArgs('/o/stacks/cluster', { registry_password: 'unused-by-destroy' })).toEqual([
      c,
      'destroy',
      '-auto-approve',
      '-input=false',
      '-parallelism=1',
      '-var=registry_password=unused-by-destroy',
    ]);
    expect(kubeconfigOutputArgs('/o/stacks/cluster')).toEqual([c, 'output', '-raw', 'kubeconfig']);
  });

  it('applies cluster then binderhub, destroys binderhub then cluster', () => {
    expect(stackOrder('apply')).toEqual(['cluster', 'binderhub']);
    expect(stackOrder('diff')).toEqual(['cluster', 'binderhub']);
    expect(stackOrder('destroy')).toEqual(['binderhub', 'cluster']);
  });
});

describe('rehearse provision diff|apply', () => {
  const stdinTTY = process.stdin.isTTY;
  afterEach(() => {
    Object.defineProperty(process.stdin, 'isTTY', { value: stdinTTY, configurable: true });
  });

  it('without terraform or tofu on PATH: exit 2 and what to install', async () => {
    // An empty folder as the whole PATH: /usr/local/bin/terraform exists on this machine.
    const { io: cli, err } = io({ PATH: tmp('empty-path') });
    const e = await provisionDiff(cli, { plan: FIXTURE_PLAN, out: join(tmp('out'), 'cdktf.out') }).catch(
      (x) => x,
    );
    expect(e).toBeInstanceOf(RehearseError);
    expect(reportError(e, cli, false)).toBe(2);
    expect(err.text()).toBe(
      'error: rehearse provision needs Terraform or OpenTofu: neither terraform nor tofu is on PATH\n' +
        `  ${INSTALL_HINT}\n`,
    );
  });

  it('with TERRAFORM_BINARY_NAME naming nothing installed: exit 2 even though terraform is on PATH', async () => {
    const dir = tmp('path');
    writeFileSync(join(dir, 'terraform'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const { io: cli } = io({ PATH: dir, TERRAFORM_BINARY_NAME: 'tofu' });
    const e = await provisionDiff(cli, { plan: FIXTURE_PLAN }).catch((x) => x);
    expect(e.exitCode).toBe(2);
    expect(e.message).toContain('TERRAFORM_BINARY_NAME=tofu is not an executable on PATH');
  });

  it('apply refuses without a terminal unless --yes, before running anything', async () => {
    const tf = standIn();
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    const { io: cli } = io({ PATH: tf.path });
    const e = await provisionApply(cli, { plan: FIXTURE_PLAN, out: join(tf.dir, 'cdktf.out') }).catch(
      (x) => x,
    );
    expect(e.code).toBe('CONFIRMATION_NEEDED');
    expect(e.exitCode).toBe(2);
    expect(tf.calls()).toEqual([]);
  });

  it('apply --yes: plan saved, checked and applied per stack; kubeconfig 0600 over a 0644 one; state dir 0700', async () => {
    const tf = standIn();
    const out = join(tf.dir, 'cdktf.out');
    const state = join(tf.dir, '.rehearse', 'jetstream2');
    const kubeconfig = join(state, 'jetstream2.kubeconfig');
    mkdirSync(state, { recursive: true, mode: 0o755 });
    writeFileSync(kubeconfig, 'stale\n', { mode: 0o644 });
    const { io: cli } = io({ PATH: tf.path });
    expect(await provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    const c = `-chdir=${out}/stacks/cluster`;
    const b = `-chdir=${out}/stacks/binderhub`;
    const run = '-input=false -parallelism=1';
    expect(tf.calls()).toEqual([
      `${c} init -input=false`,
      `${c} plan ${run} -out=${state}/cluster.tfplan`,
      `${c} show -json ${state}/cluster.tfplan`,
      // SHOW_NOOP: nothing to apply in the cluster stack.
      `${c} output -raw kubeconfig`,
      `${b} init -input=false`,
      `${b} plan ${run} -out=${state}/binderhub.tfplan -var=kubeconfig_path=${kubeconfig}`,
      `${b} show -json ${state}/binderhub.tfplan`,
    ]);
    expect(readFileSync(kubeconfig, 'utf8')).toBe('apiVersion: v1\n');
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    expect(statSync(state).mode & 0o777).toBe(0o700);
    expect(readdirSync(state).sort()).toEqual(['jetstream2.kubeconfig']);
  });

  it('apply --yes applies the saved plan when it changes something, and deletes the plan file', async () => {
    const changed = join(tmp('show'), 'show.json');
    writeFileSync(
      changed,
      JSON.stringify({
        resource_changes: [
          {
            address: 'openstack_containerinfra_nodegroup_v1.nodegroup-core',
            type: 'openstack_containerinfra_nodegroup_v1',
            change: { actions: ['update'] },
          },
        ],
      }),
    );
    const tf = standIn({ show: changed });
    const out = join(tf.dir, 'cdktf.out');
    const state = join(tf.dir, '.rehearse', 'jetstream2');
    expect(await provisionApply(io({ PATH: tf.path }).io, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    const applies = tf.calls().filter((l) => l.includes(' apply '));
    expect(applies).toEqual([
      `-chdir=${out}/stacks/cluster apply -input=false -parallelism=1 ${state}/cluster.tfplan`,
      `-chdir=${out}/stacks/binderhub apply -input=false -parallelism=1 ${state}/binderhub.tfplan`,
    ]);
    expect(existsSync(join(state, 'cluster.tfplan'))).toBe(false);
  });

  it('apply refuses a plan that replaces the cluster or a node group, naming them, unless --allow-replace', async () => {
    const tf = standIn({ show: SHOW_REPLACE });
    const out = join(tf.dir, 'cdktf.out');
    const { io: cli, err } = io({ PATH: tf.path });
    const e = await provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true }).catch((x) => x);
    expect(e.code).toBe('REPLACE_REFUSED');
    expect(reportError(e, cli, false)).toBe(2);
    expect(err.text()).toContain(
      'openstack_containerinfra_nodegroup_v1.nodegroup-user-m3-large: replace (flavor_id "m3.large" -> "m3.xl"',
    );
    expect(err.text()).toContain('every user server, the hub and its database go');
    expect(err.text()).toContain('--allow-replace');
    expect(tf.calls().some((l) => l.includes(' apply '))).toBe(false);
    expect(existsSync(join(tf.dir, '.rehearse', 'jetstream2', 'cluster.tfplan'))).toBe(false);

    const again = standIn({ show: SHOW_REPLACE });
    const allowed = io({ PATH: again.path });
    const code = await provisionApply(allowed.io, {
      plan: FIXTURE_PLAN,
      out: join(again.dir, 'cdktf.out'),
      yes: true,
      allowReplace: true,
    });
    expect(code).toBe(0);
    expect(allowed.err.text()).toContain(
      'warning: --allow-replace: the cluster stack will delete or replace',
    );
    expect(again.calls().filter((l) => l.includes(' apply '))).toHaveLength(2);
  });

  it('apply refuses, before any change, a plan Magnum would reject mid-apply, with the calls to run first', async () => {
    const tf = standIn({ show: SHOW_PRESCALE });
    const { io: cli, err } = io({ PATH: tf.path });
    const e = await provisionApply(cli, {
      plan: FIXTURE_PLAN,
      out: join(tf.dir, 'cdktf.out'),
      yes: true,
      allowReplace: true,
    }).catch((x) => x);
    expect(e.code).toBe('MAGNUM_WOULD_REFUSE');
    expect(reportError(e, cli, false)).toBe(2);
    expect(err.text()).toContain('409 NodeGroupInvalidInput: min_node_count for user-m3-large is invalid');
    expect(err.text()).toContain(
      'openstack coe cluster resize 5d3c2b1a-0f9e-4d8c-b7a6-95847362514f --nodegroup user-m3-large 9',
    );
    // --allow-replace does not override it, and nothing was applied.
    expect(tf.calls().some((l) => l.includes(' apply '))).toBe(false);
  });

  it('a failing terraform: exit 1, its message passed through, nothing after it', async () => {
    const tf = standIn({
      extra: `  *"stacks/cluster plan "*) echo 'Error: Invalid provider configuration' >&2; exit 1;;`,
    });
    const out = join(tf.dir, 'cdktf.out');
    const { io: cli, err } = io({ PATH: tf.path });
    const e = await provisionDiff(cli, { plan: FIXTURE_PLAN, out }).catch((x) => x);
    expect(e.code).toBe('TERRAFORM_FAILED');
    expect(reportError(e, cli, false)).toBe(1);
    expect(err.text()).toContain('Error: Invalid provider configuration\n');
    expect(err.text()).toContain(`error: terraform plan failed (exit 1) in ${out}/stacks/cluster\n`);
    expect(tf.calls()).toHaveLength(2);
  });

  it('a cluster stack with no kubeconfig output after apply is a runtime error (exit 1)', async () => {
    const tf = standIn({ kubeconfig: null });
    const { io: cli } = io({ PATH: tf.path });
    const e = await provisionApply(cli, {
      plan: FIXTURE_PLAN,
      out: join(tf.dir, 'cdktf.out'),
      yes: true,
    }).catch((x) => x);
    expect(e.code).toBe('KUBECONFIG_MISSING');
    expect(e).not.toBeInstanceOf(InputError);
    expect(reportError(e, cli, false)).toBe(1);
  });
});
