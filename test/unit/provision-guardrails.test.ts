import { describe, expect, it } from 'vitest';
import { RehearseError } from '../../core/errors.js';
import { assertChartValues } from '../../provision/jetstream2/chart-schema.js';
import { parseJetstream2Config } from '../../provision/jetstream2/config.js';
import { assertGuardrails, checkGuardrails } from '../../provision/jetstream2/guardrails.js';
import { fixturePlan } from '../fixtures/provision/helpers.js';

function thrown(fn: () => unknown): RehearseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RehearseError) return err;
    throw err;
  }
  throw new Error('expected a RehearseError');
}

describe('guardrails', () => {
  it('the fixture plan passes with no warning, quota needs counted exactly', () => {
    const r = checkGuardrails(fixturePlan(), { quota: { cores: 200, ramGB: 700, floatingIps: 10 } });
    expect(r.errors).toEqual([]);
    // control plane m3.small 2 + default-worker m3.small 2 + core m3.quad 4 + 11 x m3.large 16 = 184;
    // RAM 6 + 6 + 15 + 11 x 60 = 687; floating IPs: the API load balancer and the ingress.
    expect(r.need).toEqual({ cores: 184, ramGB: 687, floatingIps: 2 });
    // The user group's max can be raised later (the driver re-renders machineCountMax): no warning.
    expect(r.warnings).toEqual([]);
  });

  it("warns that an autoscaled default-worker's bounds are fixed at creation", () => {
    const plan = fixturePlan();
    Object.assign(plan.groups[0]!, { maxNodeCount: 3, autoscale: true });
    expect(checkGuardrails(plan, { quota: { cores: 200, ramGB: 700, floatingIps: 10 } }).warnings).toEqual([
      'default-worker: its min/max (1..3) come from the cluster labels and cannot change after creation ' +
        '(labels force a new cluster); other node groups can be resized later',
    ]);
  });

  it('node group min below 1 is an error', () => {
    const plan = fixturePlan();
    plan.groups[1]!.minNodeCount = 0;
    const err = thrown(() => assertGuardrails(plan));
    expect(err.code).toBe('GUARDRAIL');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('core: min_node_count 0 and node_count 1 must be >= 1');
  });

  it('a flavor under 2 vCPU / 2 GB is an error, and so is an unknown flavor', () => {
    const plan = fixturePlan();
    plan.groups[1]!.flavor = 'm3.tiny';
    plan.groups[2]!.flavor = 'm3.huge';
    const err = thrown(() => assertGuardrails(plan));
    expect(err.message.split('\n')).toEqual([
      "core: m3.tiny has 1 vCPU; Magnum's CAPI driver needs >= 2 (minimum_flavor_vcpus 2, minimum_flavor_ram 2048 MB)",
      expect.stringMatching(/^user-m3-large: unknown Jetstream2 flavor "m3.huge" \(did you mean /),
    ]);
  });

  it('quota overrun is an error against the config, a warning against the startup defaults', () => {
    const plan = fixturePlan();
    const err = thrown(() => assertGuardrails(plan, { quota: { cores: 150, ramGB: 700, floatingIps: 1 } }));
    expect(err.message.split('\n')).toEqual([
      'quota: the cluster can grow to 184 cores but the allocation has 150 (jetstream2.yaml quota.cores); ask ' +
        'Jetstream2 for more or lower max_node_count',
      'quota: the cluster can grow to 2 floating IPs but the allocation has 1 (jetstream2.yaml ' +
        'quota.floatingIps); ask Jetstream2 for more or lower max_node_count',
    ]);
    const r = checkGuardrails(plan);
    expect(r.errors).toEqual([]);
    expect(r.warnings.filter((w) => w.startsWith('quota:'))).toEqual([
      'quota: the cluster can grow to 184 cores; a startup allocation has 150 by default — request an ' +
        'increase, and put your quotas under quota: in jetstream2.yaml',
      'quota: the cluster can grow to 687 GB RAM; a startup allocation has 585 by default — request an ' +
        'increase, and put your quotas under quota: in jetstream2.yaml',
    ]);
  });

  it('a user nodeSelector other than the node-group label is an error', () => {
    const plan = fixturePlan();
    plan.user.nodeSelector = { 'hub.jupyter.org/node-purpose': 'user' };
    expect(checkGuardrails(plan).errors).toEqual([
      "user.nodeSelector must be exactly {capi.stackhpc.com/node-group: user-m3-large} — the only label Jetstream2's " +
        'nodes carry (node-group labels and roles are not propagated)',
    ]);
  });

  it('Helm values the chart schemas reject are an error listing each issue', () => {
    const err = thrown(() =>
      assertChartValues({
        imageBuilderType: 'kaniko',
        jupyterhub: { singleuser: { startTimeout: '10m' } },
      }),
    );
    expect(err.code).toBe('HELM_VALUES_INVALID');
    expect(err.message.split('\n')).toEqual([
      'binderhub chart values /imageBuilderType: must be equal to one of the allowed values',
      'z2jh chart values /jupyterhub/singleuser/startTimeout: must be integer,null',
    ]);
  });
});

describe('jetstream2.yaml', () => {
  it('parses a full config', () => {
    const c = parseJetstream2Config(
      'cloud: js2\ncluster:\n  templateId: 3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\nquota: {cores: 200, ramGB: 780, floatingIps: 25}\n' +
        'binderhub:\n  host: binder.example.org\n  rateLimit: 0\n',
      'j.yaml',
    );
    expect(c).toEqual({
      cloud: 'js2',
      cluster: { templateId: '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
      quota: { cores: 200, ramGB: 780, floatingIps: 25 },
      binderhub: { host: 'binder.example.org', rateLimit: 0 },
    });
  });

  it('lists every issue with its path: non-string label, unknown key, both template forms', () => {
    const err = thrown(() =>
      parseJetstream2Config(
        'cluster:\n  templateId: 3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n  template: {image: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d, capiHelmChartVersion: 0.16.0}\n' +
          '  labels: {max_node_count: 5}\nbinderhub: {hots: x}\n',
        'j.yaml',
      ),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
    const lines = err.message.split('\n');
    expect(lines).toContain('j.yaml:4:28 cluster.labels.max_node_count: expected a string, got a number');
    expect(lines).toContain('j.yaml:5:13 binderhub.hots: unknown key "hots"');
    expect(lines).toHaveLength(2);
  });

  it('rejects defining and referencing a template at once', () => {
    const err = thrown(() =>
      parseJetstream2Config(
        'cluster:\n  templateId: 3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b\n  template: {image: 9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d, capiHelmChartVersion: 0.16.0}\n',
        'j.yaml',
      ),
    );
    expect(err.message).toBe(
      'j.yaml:2:3 cluster: give templateId (an existing template, recommended) or template (define one), not both',
    );
  });
});
