import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { provisionApply, provisionDiff } from '../../cli/commands/provision.js';
import { reportError } from '../../cli/main.js';
import {
  findTerraformBinary,
  INSTALL_HINT,
  kubeconfigOutputArgs,
  stackOrder,
  terraformArgs,
} from '../../provision/jetstream2/terraform.js';
import { RehearseError } from '../../scenarios/errors.js';
import { FIXTURE_PLAN, tmp } from '../fixtures/provision/helpers.js';

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
    expect(terraformArgs('diff', '/o/stacks/cluster')).toEqual([
      ['-chdir=/o/stacks/cluster', 'init', '-input=false'],
      ['-chdir=/o/stacks/cluster', 'plan', '-input=false', '-parallelism=1'],
    ]);
    expect(
      terraformArgs('apply', '/o/stacks/binderhub', { kubeconfig_path: '/s/jetstream2.kubeconfig' }),
    ).toEqual([
      ['-chdir=/o/stacks/binderhub', 'init', '-input=false'],
      [
        '-chdir=/o/stacks/binderhub',
        'apply',
        '-auto-approve',
        '-input=false',
        '-parallelism=1',
        '-var=kubeconfig_path=/s/jetstream2.kubeconfig',
      ],
    ]);
    expect(terraformArgs('destroy', '/o/stacks/cluster')[1]).toEqual([
      '-chdir=/o/stacks/cluster',
      'destroy',
      '-auto-approve',
      '-input=false',
      '-parallelism=1',
    ]);
    expect(kubeconfigOutputArgs('/o/stacks/cluster')).toEqual([
      '-chdir=/o/stacks/cluster',
      'output',
      '-raw',
      'kubeconfig',
    ]);
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
    const dir = tmp('path');
    const log = join(dir, 'calls.log');
    writeFileSync(join(dir, 'terraform'), `#!/bin/sh\necho "$@" >> ${log}\n`, { mode: 0o755 });
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    const { io: cli } = io({ PATH: dir });
    const e = await provisionApply(cli, { plan: FIXTURE_PLAN, out: join(dir, 'cdktf.out') }).catch((x) => x);
    expect(e.code).toBe('CONFIRMATION_NEEDED');
    expect(e.exitCode).toBe(2);
    expect(existsSync(log)).toBe(false);
  });

  it('apply --yes drives a stand-in binary: cluster, kubeconfig (0600), then binderhub', async () => {
    const dir = tmp('drive');
    const log = join(dir, 'calls.log');
    // A stand-in for terraform that records its arguments and prints a kubeconfig for `output`.
    writeFileSync(
      join(dir, 'terraform'),
      `#!/bin/sh\necho "$@" >> ${log}\ncase "$*" in *" output -raw kubeconfig") echo "apiVersion: v1";; esac\n`,
      { mode: 0o755 },
    );
    const out = join(dir, 'cdktf.out');
    const { io: cli } = io({ PATH: `${dir}:/usr/bin:/bin` });
    expect(await provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    const c = `-chdir=${out}/stacks/cluster`;
    const b = `-chdir=${out}/stacks/binderhub`;
    const kubeconfig = join(dir, 'jetstream2.kubeconfig');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      `${c} init -input=false`,
      `${c} apply -auto-approve -input=false -parallelism=1`,
      `${c} init -input=false`,
      `${c} output -raw kubeconfig`,
      `${b} init -input=false`,
      `${b} apply -auto-approve -input=false -parallelism=1 -var=kubeconfig_path=${kubeconfig}`,
    ]);
    expect(readFileSync(kubeconfig, 'utf8')).toBe('apiVersion: v1\n');
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
  });
});
