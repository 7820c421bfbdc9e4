// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected strings are Terraform expressions
/**
 * The binderhub stack for a public, long-lived hub: both values shapes (the jupyterhub/binderhub
 * chart; binderhub-service beside z2jh, as 2i2c deploys it) validated against the charts' own schemas
 * (provision/jetstream2/chart-schemas/, SOURCES.md), the repository allowlist, and the guardrails
 * that refuse a public hub without TLS or without any limit on what it builds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.js';
import {
  chartSchemaDir,
  chartSchemaIssues,
  serviceSchemaIssues,
} from '../../provision/jetstream2/chart-schema.js';
import type { Jetstream2Config } from '../../provision/jetstream2/config.js';
import { hubErrors } from '../../provision/jetstream2/guardrails.js';
import { synthesize } from '../../provision/jetstream2/synth.js';
import { fixturePlan, readStack, tmp } from '../fixtures/provision/helpers.js';

const PYTHIA_SPECS = ['^ProjectPythia/.*$', '^binder-examples/.*'];

function synth(config: Jetstream2Config) {
  const result = synthesize({ plan: fixturePlan(), config, outdir: join(tmp('shapes'), 'cdktf.out') });
  return { result, binderhub: readStack(result.outdir, 'binderhub') };
}

/** Terraform fills an integer in where the placeholder variable stands. */
function filled<T>(values: T): T {
  return JSON.parse(JSON.stringify(values).replaceAll('"${var.placeholder_replicas}"', '9')) as T;
}

describe('binderhub chart shape', () => {
  it('carries the allowlist and passes the BinderHub and z2jh schemas', () => {
    const { result } = synth({
      binderhub: { rateLimit: 0, repos: { allowedSpecs: PYTHIA_SPECS, bannedSpecs: ['^evil/.*'] } },
    });
    const values = filled(result.values) as { config: Record<string, unknown> };
    expect(values.config.GitHubRepoProvider).toEqual({
      allowed_specs: PYTHIA_SPECS,
      banned_specs: ['^evil/.*'],
    });
    expect(values.config.RateLimiter).toEqual({ limit: 0 });
    expect(chartSchemaIssues(values)).toEqual([]);
  });
});

describe('binderhub-service shape (basehub-style)', () => {
  const config: Jetstream2Config = {
    binderhub: {
      chart: 'binderhub-service',
      host: 'binder.example.org',
      hubHost: 'hub.example.org',
      hubImage: { name: 'quay.io/example/hub-with-binderhub', tag: '2026.11.1' },
      repos: { allowedSpecs: PYTHIA_SPECS },
      tls: { acmeEmail: 'ops@example.org' },
    },
  };

  it('releases z2jh, then binderhub-service, at the versions 2i2c pins, after the ingress and TLS', () => {
    const { binderhub } = synth(config);
    const releases = binderhub.resource?.helm_release ?? {};
    expect(releases).not.toHaveProperty('binderhub');
    expect(releases.jupyterhub).toMatchObject({
      chart: 'jupyterhub',
      repository: 'https://hub.jupyter.org/helm-chart/',
      version: '4.3.3',
      namespace: 'binderhub',
    });
    expect(releases['binderhub-service']).toMatchObject({
      chart: 'binderhub-service',
      repository: 'https://2i2c.org/binderhub-service/',
      version: '0.1.0-0.dev.git.336.hca79dc0',
      depends_on: [
        'helm_release.jupyterhub',
        'helm_release.nginx-ingress',
        'helm_release.cert-manager',
        'helm_release.letsencrypt-issuer',
      ],
    });
    expect(releases['binderhub-service']?.set_sensitive).toEqual([
      expect.objectContaining({ name: 'buildPodsRegistryCredentials.password', type: 'string' }),
    ]);
  });

  it('has values that pass the z2jh and binderhub-service schemas, and the check can fail', () => {
    const { result } = synth(config);
    const v = filled(result.values) as {
      jupyterhub: Record<string, unknown>;
      'binderhub-service': Record<string, unknown>;
    };
    const both = { jupyterhub: v.jupyterhub, binderhubService: v['binderhub-service'] };
    expect(serviceSchemaIssues(both)).toEqual([]);
    // binderhub-service rejects z2jh's keys at its top level (what 2i2c's schema note warns about).
    expect(
      serviceSchemaIssues({ ...both, binderhubService: { ...both.binderhubService, singleuser: {} } }),
    ).toEqual([{ chart: 'binderhub-service', path: '', message: 'unknown key "singleuser"' }]);
  });

  it('caps the docker-api disk, builds on the user group, and reads the hub token z2jh generates', () => {
    const { result } = synth(config);
    const bhs = (result.values as { 'binderhub-service': Record<string, unknown> })['binderhub-service'] as {
      dockerApi: unknown;
      config: Record<string, unknown>;
      extraEnv: { name: string }[];
    };
    expect(bhs.dockerApi).toEqual({
      nodeSelector: { 'capi.stackhpc.com/node-group': 'user-m3-large' },
      storage: { emptyDir: { sizeLimit: '15Gi' } },
    });
    expect(bhs.config.GitHubRepoProvider).toEqual({ allowed_specs: PYTHIA_SPECS });
    expect(bhs.config.RateLimiter).toEqual({ limit: 10 });
    expect(bhs.extraEnv[0]).toEqual({
      name: 'JUPYTERHUB_API_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hub', key: 'hub.services.binder.apiToken' } },
    });
  });

  it('asks for the hub image as variables when the config has none', () => {
    const { binderhub } = synth({
      binderhub: { ...config.binderhub, hubImage: undefined } as Jetstream2Config['binderhub'],
    });
    expect(binderhub.variable).toHaveProperty('hub_image_name');
    expect(binderhub.variable).toHaveProperty('hub_image_tag');
  });
});

describe('a public hub is refused without TLS or without limits', () => {
  it('no cert-manager, no issuer, no secrets: refused', () => {
    expect(hubErrors({ binderhub: { tls: { certManager: false } } })).toEqual([
      expect.stringMatching(/^binderhub.tls: certManager: false leaves the public hosts without TLS/),
    ]);
    expect(hubErrors({ binderhub: { tls: { certManager: false, existingSecrets: true } } })).toEqual([]);
    expect(hubErrors({ binderhub: { tls: { certManager: false, clusterIssuer: 'mine' } } })).toEqual([]);
  });

  it('rate limit 0 without an allowlist: refused; either one is enough', () => {
    expect(hubErrors({ binderhub: { rateLimit: 0 } })).toEqual([
      expect.stringMatching(/^binderhub: rateLimit 0 with no repos.allowedSpecs would build any repository/),
    ]);
    expect(hubErrors({ binderhub: { rateLimit: 0, repos: { allowedSpecs: PYTHIA_SPECS } } })).toEqual([]);
    expect(hubErrors({})).toEqual([]);
  });

  it('synth stops on it (exit 2)', () => {
    const err = (() => {
      try {
        synth({ binderhub: { rateLimit: 0 } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('GUARDRAIL');
  });

  it('without cert-manager, no cert-manager or issuer release', () => {
    const { binderhub } = synth({ binderhub: { tls: { certManager: false, existingSecrets: true } } });
    expect(Object.keys(binderhub.resource?.helm_release ?? {}).sort()).toEqual([
      'binderhub',
      'nginx-ingress',
    ]);
  });
});

describe('vendored chart schemas', () => {
  it('each has its licence beside it and its source commit in SOURCES.md', () => {
    const dir = chartSchemaDir();
    const sources = readFileSync(join(dir, 'SOURCES.md'), 'utf8');
    const schemas = readdirSync(dir).filter((f) => f.endsWith('.schema.yaml'));
    expect(schemas.sort()).toEqual([
      'binderhub-chart-values.schema.yaml',
      'binderhub-service-chart-values.schema.yaml',
      'z2jh-chart-values.schema.yaml',
    ]);
    for (const f of schemas) {
      const row = sources.split('\n').find((l) => l.includes(`\`${f}\``)) ?? '';
      expect(row).toMatch(/@ [0-9a-f]{8,40}/);
      const licence = /`(LICENSE-[a-z0-9-]+)`/.exec(row)?.[1] ?? '';
      expect(readdirSync(dir)).toContain(licence);
    }
  });
});
