/**
 * `rehearse provision destroy` and signal handling, driven through the CLI functions against a
 * stand-in terraform (a shell script first on PATH; /usr/local/bin, where a real one may be, is not).
 */
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { provisionApply, provisionDestroy, provisionSynth } from '../../cli/commands/provision.js';
import { reportError } from '../../cli/main.js';
import { destroyPlaceholders } from '../../provision/jetstream2/drive.js';
import { STOP_MESSAGE } from '../../provision/jetstream2/terraform.js';
import { FIXTURE_PLAN, standIn, tmp } from '../fixtures/provision/helpers.js';

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

function io(env: NodeJS.ProcessEnv, extra: { signals?: EventEmitter; terminal?: boolean } = {}) {
  const out = sink();
  const err = sink();
  return { io: { stdout: out.stream, stderr: err.stream, env, ...extra }, out, err };
}

/** Bounded wait for a file the stand-in writes (no fixed sleep). */
async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rehearse provision destroy', () => {
  it('fetches the missing kubeconfig, destroys binderhub then the cluster, placeholders for unset variables', async () => {
    const tf = standIn();
    const out = join(tf.dir, 'cdktf.out');
    const kubeconfig = join(tf.dir, '.rehearse', 'jetstream2', 'jetstream2.kubeconfig');
    // TF_VAR_hub_host is set: it is passed by the environment, not replaced by a placeholder.
    const { io: cli } = io({ PATH: tf.path, TF_VAR_hub_host: 'hub.example.org' });
    expect(await provisionDestroy(cli, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    const c = `-chdir=${out}/stacks/cluster`;
    const b = `-chdir=${out}/stacks/binderhub`;
    const run = '-auto-approve -input=false -parallelism=1';
    const p = 'unused-by-destroy';
    expect(tf.calls()).toEqual([
      `${c} init -input=false`,
      `${c} output -raw kubeconfig`,
      `${b} init -input=false`,
      `${b} destroy ${run} -var=kubeconfig_path=${kubeconfig} -var=acme_email=${p} -var=binder_host=${p} ` +
        `-var=image_prefix=${p} -var=registry_password=${p} ` +
        `-var=registry_url=${p} -var=registry_username=${p}`,
      `${c} init -input=false`,
      `${c} destroy ${run} -var=cluster_template_id=${p}`,
    ]);
    expect(existsSync(kubeconfig)).toBe(false);
  });

  it('skips binderhub when the cluster stack has no state, and still destroys the cluster', async () => {
    const tf = standIn({ kubeconfig: null });
    const out = join(tf.dir, 'cdktf.out');
    const { io: cli, err } = io({ PATH: tf.path });
    expect(await provisionDestroy(cli, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    expect(err.text()).toContain('binderhub: skipped — the cluster stack has no kubeconfig output');
    expect(tf.calls().map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      `-chdir=${out}/stacks/cluster init`,
      `-chdir=${out}/stacks/cluster output`,
      `-chdir=${out}/stacks/cluster init`,
      `-chdir=${out}/stacks/cluster destroy`,
    ]);
  });

  it('needs neither a valid plan nor one that passes the guardrails', async () => {
    // Stacks already in --out are used as they are: the plan file is not even read.
    const tf = standIn();
    const out = join(tf.dir, 'cdktf.out');
    expect(await provisionSynth(io({}).io, { plan: FIXTURE_PLAN, out })).toBe(0);
    const broken = join(tf.dir, 'broken.plan.yaml');
    writeFileSync(broken, 'version: 99\n');
    const reuse = io({ PATH: tf.path });
    expect(await provisionDestroy(reuse.io, { plan: broken, out, yes: true })).toBe(0);
    expect(reuse.err.text()).toContain(`destroy: using the stacks already in ${out} (no synth)`);
    expect(tf.calls().filter((l) => l.includes(' destroy '))).toHaveLength(2);

    // No stacks yet: a plan the guardrails reject (a 1-vCPU flavor) still synthesizes for destroy.
    const plan = readFileSync(FIXTURE_PLAN, 'utf8').replace('flavor: m3.quad', 'flavor: m3.tiny');
    const bad = join(tf.dir, 'guardrail.plan.yaml');
    writeFileSync(bad, plan);
    rmSync(out, { recursive: true });
    const fresh = io({ PATH: tf.path });
    await expect(provisionSynth(io({}).io, { plan: bad, out })).rejects.toMatchObject({ code: 'GUARDRAIL' });
    rmSync(out, { recursive: true, force: true });
    expect(await provisionDestroy(fresh.io, { plan: bad, out, yes: true })).toBe(0);
    expect(fresh.err.text()).not.toContain('no synth');
    expect(tf.calls().filter((l) => l.includes(' destroy '))).toHaveLength(4);
  });

  it('placeholders only for variables with no default and no TF_VAR_ in the environment', () => {
    const json = {
      variable: {
        a: { type: 'string' },
        b: { type: 'string', default: 'x' },
        n: { type: 'number' },
        set: { type: 'string' },
      },
    };
    expect(destroyPlaceholders(json, { TF_VAR_set: 'v' })).toEqual({ a: 'unused-by-destroy', n: '0' });
  });
});

describe('signals while terraform runs', () => {
  /** A stand-in whose cluster apply traps SIGINT, records each one, then stops "cleanly" (exit 7). */
  function trapping() {
    const dir = tmp('signals');
    const started = join(dir, 'started');
    const marker = join(dir, 'interrupts');
    const show = join(dir, 'show.json');
    writeFileSync(
      show,
      JSON.stringify({ resource_changes: [{ address: 'x.y', type: 'x', change: { actions: ['create'] } }] }),
    );
    const tf = standIn({
      dir,
      show,
      extra: `  *"stacks/cluster apply "*)
    stop=
    trap 'echo INT >> "${marker}"; stop=1' INT
    echo $$ > "${started}"
    i=0
    while [ -z "$stop" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
    [ -z "$stop" ] && { echo 'finished without a signal'; exit 0; }
    sleep 0.3
    echo 'stopping cleanly'
    exit 7;;`,
    });
    return { tf, started, marker, out: join(dir, 'cdktf.out') };
  }

  it('not from a terminal: forwards SIGINT once, waits for the exit, output still flowing; no next step', async () => {
    const { tf, started, marker, out } = trapping();
    const signals = new EventEmitter();
    const { io: cli, out: stdout, err } = io({ PATH: tf.path }, { signals, terminal: false });
    const running = provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true }).catch((x) => x);
    await waitForFile(started);
    signals.emit('SIGINT', 'SIGINT');
    signals.emit('SIGINT', 'SIGINT');
    const e = await running;
    expect(e.code).toBe('TERRAFORM_INTERRUPTED');
    // It exited by itself (exit 7), not by SIGPIPE or SIGKILL.
    expect(e.message).toBe(`terraform apply stopped after SIGINT (exit 7) in ${out}/stacks/cluster`);
    expect(reportError(e, cli, false)).toBe(1);
    expect(readFileSync(marker, 'utf8')).toBe('INT\n');
    expect(stdout.text()).toContain('stopping cleanly');
    expect(err.text()).toContain(`SIGINT: ${STOP_MESSAGE}`);
    expect(err.text()).toContain('SIGINT again: still waiting for terraform to exit');
    expect(err.text()).toContain('`openstack coe cluster list`');
    expect(tf.calls().some((l) => l.includes('stacks/binderhub'))).toBe(false);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('from a terminal: does not send a second SIGINT (the terminal already did)', async () => {
    const { tf, started, marker, out } = trapping();
    const signals = new EventEmitter();
    const { io: cli, err } = io({ PATH: tf.path }, { signals, terminal: true });
    const running = provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true }).catch((x) => x);
    await waitForFile(started);
    signals.emit('SIGINT', 'SIGINT');
    // The terminal's own SIGINT to the process group, which reached the stand-in too.
    process.kill(Number(readFileSync(started, 'utf8').trim()), 'SIGINT');
    const e = await running;
    expect(e.code).toBe('TERRAFORM_INTERRUPTED');
    expect(e.message).toContain('(exit 7)');
    expect(readFileSync(marker, 'utf8')).toBe('INT\n');
    expect(err.text()).toContain(STOP_MESSAGE);
  });
});

describe('secrets', () => {
  it('reach terraform through its environment, never its arguments, our output or cdktf.out', async () => {
    const secrets = {
      OS_APPLICATION_CREDENTIAL_ID: 'ac-id-5f0d6c1e9b',
      OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret-Zq81xkP0',
      TF_VAR_registry_password: 'registry-pw-77aa',
    };
    const dir = tmp('secrets');
    const seen = join(dir, 'env.log');
    const tf = standIn({
      dir,
      extra: `  *" plan "*) echo "$OS_APPLICATION_CREDENTIAL_SECRET $TF_VAR_registry_password" >> "${seen}";;`,
    });
    const out = join(dir, 'cdktf.out');
    const { io: cli, out: stdout, err } = io({ PATH: tf.path, OS_CLOUD: 'js2', ...secrets });
    expect(await provisionApply(cli, { plan: FIXTURE_PLAN, out, yes: true })).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe('ac-secret-Zq81xkP0 registry-pw-77aa\n'.repeat(2));
    const written = [stdout.text(), err.text(), ...tf.calls()].join('\n');
    for (const s of Object.values(secrets)) expect(written).not.toContain(s);
  });
});
