/**
 * doctor's autoscaler, placeholder and certificate checks (provision/jetstream2/doctor-checks.ts) on
 * the cluster-autoscaler status fixtures (fixtures/provision/autoscaler-status-*: the ConfigMap as
 * the API returns it, its `status` in cluster-autoscaler's YAML and legacy text formats).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  findGroup,
  parseAutoscalerStatus,
  parseGoTime,
} from '../../provision/jetstream2/autoscaler-status.js';
import {
  autoscalerCheck,
  certificateCheck,
  placeholdersCheck,
} from '../../provision/jetstream2/doctor-checks.js';
import { fixturePlan } from '../fixtures/provision/helpers.js';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../fixtures/provision/${name}`, import.meta.url)), 'utf8');
const status = (name: string) => (JSON.parse(fixture(name)) as { data: { status: string } }).data.status;
const NOW = Date.parse('2026-12-03T10:41:00Z');

describe('cluster-autoscaler status', () => {
  it('parses the YAML format', () => {
    const s = parseAutoscalerStatus(status('autoscaler-status-healthy.json'));
    expect(s.autoscalerStatus).toBe('Running');
    expect(s.time).toBe(Date.parse('2026-12-03T10:40:02Z'));
    expect(findGroup(s, 'user-m3-large')).toEqual({
      name: 'MachineDeployment/magnum-0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a/kube-pythia-a1b2c-user-m3-large',
      health: 'Healthy',
      ready: 2,
      target: 2,
      minSize: 1,
      maxSize: 11,
      scaleUp: 'NoActivity',
    });
  });

  it('parses the legacy text format to the same facts', () => {
    const s = parseAutoscalerStatus(fixture('autoscaler-status-legacy.txt'));
    expect(s.clusterHealth).toBe('Healthy');
    expect(s.time).toBe(Date.parse('2026-12-03T10:40:02Z'));
    expect(findGroup(s, 'user-m3-large')).toMatchObject({
      ready: 2,
      target: 2,
      minSize: 1,
      maxSize: 11,
      scaleUp: 'NoActivity',
    });
  });

  it('reads Go time', () => {
    expect(parseGoTime('2026-10-02 14:29:22.999645779 +0000 UTC')).toBe(Date.parse('2026-10-02T14:29:22Z'));
    expect(parseGoTime('yesterday')).toBeUndefined();
  });

  it('passes a healthy autoscaler that manages the user group up to the plan max', () => {
    const c = autoscalerCheck(status('autoscaler-status-healthy.json'), fixturePlan(), NOW);
    expect(c).toEqual({
      name: 'autoscaler',
      ok: true,
      detail: 'Running; Healthy; user-m3-large 2/2 ready (min 1, max 11)',
    });
  });

  it('fails a group capped below the plan and in scale-up backoff, each with a remedy', () => {
    const c = autoscalerCheck(status('autoscaler-status-broken.json'), fixturePlan(), NOW);
    expect(c.ok).toBe(false);
    expect(c.detail).toBe(
      "user-m3-large: maxSize 1 below the plan's 11; user-m3-large: scale-up in backoff (timeout: Scale-up timed out " +
        'for node group MachineDeployment/magnum-0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a/kube-pythia-a1b2c-user-m3-large after 15m0s)',
    );
    expect(c.hint).toContain(
      'openstack coe nodegroup update <cluster> user-m3-large replace max_node_count=11',
    );
    expect(c.hint).toContain('openstack quota show');
  });

  it('fails when there is no status, or it is stale', () => {
    expect(autoscalerCheck(undefined, fixturePlan(), NOW)).toMatchObject({
      ok: false,
      detail: 'no ConfigMap kube-system/cluster-autoscaler-status',
      hint: expect.stringContaining('auto_scaling_enabled=true'),
    });
    const stale = autoscalerCheck(status('autoscaler-status-healthy.json'), fixturePlan(), NOW + 3_600_000);
    expect(stale).toMatchObject({ ok: false, detail: 'status last written 61 min ago' });
  });
});

describe('placeholders', () => {
  it('pending ones are fine while nodes come, not after 15 min', () => {
    const pods = [
      { name: 'user-placeholder-0', phase: 'Running', created: NOW - 3_600_000 },
      { name: 'user-placeholder-1', phase: 'Pending', created: NOW - 60_000 },
    ];
    expect(placeholdersCheck(pods, 'binderhub', NOW)).toEqual({
      name: 'placeholders',
      ok: true,
      detail: '2 placeholders, 1 pending',
    });
    const late = placeholdersCheck(pods, 'binderhub', NOW + 20 * 60_000);
    expect(late).toMatchObject({
      ok: false,
      detail: '2 placeholders, 1 pending; pending over 15 min: user-placeholder-1',
    });
  });
});

describe('certificate', () => {
  const cert = {
    validTo: 'Mar  3 10:00:00 2027 GMT',
    subject: 'binder.example.org',
    issuer: "Let's Encrypt R11",
  };
  it('passes a trusted certificate far from expiry', () => {
    expect(certificateCheck('binder.example.org', { ...cert, authorized: true }, NOW)).toEqual({
      name: 'certificate',
      ok: true,
      detail: "binder.example.org: issued by Let's Encrypt R11, expires 2027-03-03 (89 days)",
    });
  });
  it('fails an untrusted one (the controller default) and one about to expire', () => {
    const fake = {
      ...cert,
      issuer: 'NGINX Ingress Controller',
      authorized: false,
      authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    };
    expect(certificateCheck('binder.example.org', fake, NOW)).toMatchObject({
      ok: false,
      hint: expect.stringContaining('HTTP-01'),
    });
    expect(
      certificateCheck(
        'binder.example.org',
        { ...cert, authorized: true },
        Date.parse('2027-02-25T00:00:00Z'),
      ),
    ).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/renewal overdue$/),
    });
  });
});
