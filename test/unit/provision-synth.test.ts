// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected strings are Terraform expressions
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { provisionSynth } from '../../cli/commands/provision.js';
import { chartSchemaDir, chartSchemaIssues } from '../../provision/jetstream2/chart-schema.js';
import { type Jetstream2Config, parseJetstream2Config } from '../../provision/jetstream2/config.js';
import { synthesize } from '../../provision/jetstream2/synth.js';
import { mergeValues, splitValues } from '../../provision/jetstream2/values.js';
import { FIXTURE_PLAN, fixturePlan, readStack, tmp } from '../fixtures/provision/helpers.js';

const UUID = '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';
const IMAGE = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

function synth(config?: Jetstream2Config) {
  const dir = tmp('synth');
  const result = synthesize({
    plan: fixturePlan(),
    outdir: join(dir, 'cdktf.out'),
    ...(config ? { config } : {}),
  });
  return {
    dir,
    result,
    cluster: readStack(result.outdir, 'cluster'),
    binderhub: readStack(result.outdir, 'binderhub'),
  };
}

const CLUSTER = '${openstack_containerinfra_cluster_v1.cluster.id}';

describe('cluster stack', () => {
  it('declares the OpenStack provider with no credentials, from the environment', () => {
    const { cluster } = synth();
    expect(cluster.terraform?.required_providers?.openstack).toEqual({
      source: 'terraform-provider-openstack/openstack',
      version: '~> 3.0',
    });
    expect(cluster.provider?.openstack).toEqual([{}]);
  });

  it('names the clouds.yaml entry and region from the config', () => {
    const { cluster } = synth({ cloud: 'js2', region: 'IU' });
    expect(cluster.provider?.openstack).toEqual([{ cloud: 'js2', region: 'IU' }]);
  });

  it('asks for the template UUID as a variable when the config has none', () => {
    const { cluster } = synth();
    expect(cluster.variable?.cluster_template_id).toMatchObject({ type: 'string' });
    expect(cluster.variable?.cluster_template_id).not.toHaveProperty('default');
    const c = cluster.resource?.openstack_containerinfra_cluster_v1?.cluster;
    expect(c?.cluster_template_id).toBe('${var.cluster_template_id}');
    expect(cluster.resource?.openstack_containerinfra_clustertemplate_v1).toBeUndefined();
  });

  it('references an existing template by UUID', () => {
    const { cluster } = synth({ cluster: { templateId: UUID } });
    expect(cluster.resource?.openstack_containerinfra_cluster_v1?.cluster?.cluster_template_id).toBe(UUID);
    expect(cluster.variable?.cluster_template_id).toBeUndefined();
  });

  it('or defines one, named and addressed by image and CAPI chart version, created before the old one goes', () => {
    const { cluster } = synth({
      cluster: {
        template: {
          image: IMAGE,
          imageName: 'ubuntu-jammy-kube-v1.33.2-250626-0848',
          capiHelmChartVersion: '0.16.0',
        },
      },
    });
    const templates = cluster.resource?.openstack_containerinfra_clustertemplate_v1 ?? {};
    expect(Object.keys(templates)).toEqual(['template-ubuntu-jammy-kube-v1-33-2-250626-0848-capi-0-16-0']);
    const t = Object.values(templates)[0];
    expect(t).toMatchObject({
      // 2i2c's terraform/openstack/cluster.tf: "${var.image}-capi-${var.capi_helm_chart_version}"
      name: 'ubuntu-jammy-kube-v1.33.2-250626-0848-capi-0.16.0',
      coe: 'kubernetes',
      image: IMAGE,
      server_type: 'vm',
      network_driver: 'calico',
      external_network_id: 'public',
      master_flavor: 'm3.small',
      lifecycle: { create_before_destroy: true },
    });
    expect(t?.labels).toMatchObject({ capi_helm_chart_version: '0.16.0', auto_scaling_enabled: 'true' });
    expect(cluster.resource?.openstack_containerinfra_cluster_v1?.cluster?.cluster_template_id).toBe(
      '${openstack_containerinfra_clustertemplate_v1.template-ubuntu-jammy-kube-v1-33-2-250626-0848-capi-0-16-0.id}',
    );
    // Another chart version: another resource, so Terraform creates it and upgrades the cluster to it.
    const next = synth({ cluster: { template: { image: IMAGE, capiHelmChartVersion: '0.17.0' } } }).cluster;
    expect(Object.keys(next.resource?.openstack_containerinfra_clustertemplate_v1 ?? {})).toEqual([
      `template-${IMAGE}-capi-0-17-0`,
    ]);
  });

  it('refuses a template without its CAPI helm chart version', () => {
    expect(() => parseJetstream2Config(`cluster:\n  template:\n    image: ${IMAGE}\n`, 'j.yaml')).toThrow(
      /cluster.template.capiHelmChartVersion/,
    );
    expect(() =>
      parseJetstream2Config(
        `cluster:\n  template:\n    image: ${IMAGE}\n    capiHelmChartVersion: latest\n`,
        'j.yaml',
      ),
    ).toThrow(/a capi-helm-charts release/);
  });

  it('sizes the cluster and default-worker from the plan, labels as strings, labels ignored after creation', () => {
    const { cluster } = synth({ cluster: { keypair: 'mine' } });
    const c = cluster.resource?.openstack_containerinfra_cluster_v1?.cluster;
    expect(c).toMatchObject({
      name: 'binder-pythia-workshop',
      master_flavor: 'm3.small',
      master_count: 1,
      flavor: 'm3.small',
      node_count: 1,
      keypair: 'mine',
      merge_labels: true,
      floating_ip_enabled: false,
      create_timeout: 240,
      timeouts: { create: '240m', update: '240m' },
      lifecycle: { ignore_changes: ['labels'] },
    });
    expect(c?.labels).toEqual({
      auto_scaling_enabled: 'true',
      kube_dashboard_enabled: 'false',
      monitoring_enabled: 'false',
      min_node_count: '1',
      max_node_count: '1',
    });
  });

  it('has one node group per plan group but default-worker, sized from the plan and created one by one', () => {
    const plan = fixturePlan();
    const { cluster } = synth();
    const groups = cluster.resource?.openstack_containerinfra_nodegroup_v1 ?? {};
    const planned = plan.groups.filter((g) => g.role !== 'default-worker');
    expect(Object.keys(groups)).toEqual(planned.map((g) => `nodegroup-${g.name}`));
    planned.forEach((g, i) => {
      const ng = groups[`nodegroup-${g.name}`];
      expect(ng).toMatchObject({
        cluster_id: CLUSTER,
        name: g.name,
        role: g.role,
        flavor_id: g.flavor,
        node_count: g.nodeCount,
        min_node_count: g.minNodeCount,
        max_node_count: g.maxNodeCount,
        merge_labels: true,
      });
      const prev = planned[i - 1];
      expect(ng?.depends_on).toEqual(
        prev ? [`openstack_containerinfra_nodegroup_v1.nodegroup-${prev.name}`] : undefined,
      );
    });
    // The autoscaler owns an autoscaled group's size: a later apply must not resize it back.
    expect(groups['nodegroup-user-m3-large']?.lifecycle).toEqual({ ignore_changes: ['node_count'] });
    expect(groups['nodegroup-core']?.lifecycle).toBeUndefined();
    // The fixture's numbers, so a plan read wrongly cannot pass by symmetry.
    expect(groups['nodegroup-user-m3-large']).toMatchObject({ flavor_id: 'm3.large', max_node_count: 11 });
    expect(groups['nodegroup-core']).toMatchObject({ flavor_id: 'm3.quad', max_node_count: 1 });
  });

  it('outputs the kubeconfig as sensitive and keeps state in .rehearse/jetstream2 (0700) next to cdktf.out', () => {
    const { cluster, dir } = synth();
    expect(cluster.output?.kubeconfig).toEqual({
      value: '${openstack_containerinfra_cluster_v1.cluster.kubeconfig.raw_config}',
      sensitive: true,
      description: 'admin kubeconfig of the cluster (terraform output -raw kubeconfig)',
    });
    const state = join(dir, '.rehearse', 'jetstream2');
    expect(cluster.terraform?.backend?.local?.path).toBe(join(state, 'terraform.cluster.tfstate'));
    expect(statSync(state).mode & 0o777).toBe(0o700);
  });

  it('requires Terraform >= 1.8 in both stacks', () => {
    const { cluster, binderhub } = synth();
    expect(cluster.terraform?.required_version).toBe('>= 1.8');
    expect(binderhub.terraform?.required_version).toBe('>= 1.8');
  });

  it('adds a dask node group when the plan has a dask-gateway pool, with a warning', () => {
    const plan = fixturePlan();
    plan.groups.push({ ...plan.groups[2]!, name: 'dask-m3-large', role: 'dask', labels: {} });
    plan.dask = {
      mode: 'gateway',
      group: 'dask-m3-large',
      workersPerUser: 2,
      worker: { memory: 4e9, cpu: 1 },
      scheduler: { memory: 1e9, cpu: 0.5 },
    };
    const result = synthesize({ plan, outdir: join(tmp('dask'), 'cdktf.out') });
    const groups = readStack(result.outdir, 'cluster').resource?.openstack_containerinfra_nodegroup_v1 ?? {};
    expect(groups['nodegroup-dask-m3-large']).toMatchObject({
      name: 'dask-m3-large',
      depends_on: ['openstack_containerinfra_nodegroup_v1.nodegroup-user-m3-large'],
    });
    expect(result.warnings.some((w) => w.startsWith('dask: the plan sizes a dask-gateway group'))).toBe(true);
  });
});

describe('binderhub stack', () => {
  it('points Helm at the kubeconfig file the cluster stack hands over', () => {
    const { binderhub, result } = synth();
    expect(binderhub.provider?.helm).toEqual([{ kubernetes: { config_path: '${var.kubeconfig_path}' } }]);
    expect(binderhub.variable?.kubeconfig_path?.default).toBe(result.kubeconfigPath);
  });

  it('releases BinderHub with the plan in its values', () => {
    const { binderhub, result } = synth();
    const release = binderhub.resource?.helm_release?.binderhub;
    expect(release).toMatchObject({
      name: 'binderhub',
      chart: 'binderhub',
      repository: 'https://hub.jupyter.org/helm-chart/',
      // Pinned: the version mybinder.org runs (charts.ts).
      version: '1.0.0-0.dev.git.3983.h383374de',
      namespace: 'binderhub',
      depends_on: [
        'helm_release.nginx-ingress',
        'helm_release.cert-manager',
        'helm_release.letsencrypt-issuer',
      ],
    });
    // A deep copy, untyped as the YAML Helm reads.
    const values = JSON.parse(JSON.stringify(result.values));
    const hub = values.jupyterhub;
    expect(hub.singleuser).toEqual({
      nodeSelector: { 'capi.stackhpc.com/node-group': 'user-m3-large' },
      startTimeout: 600,
      cpu: { guarantee: 0.05, limit: 4 },
      memory: { guarantee: 8_000_000_000, limit: 8_000_000_000 },
    });
    expect(hub.hub).toEqual({
      concurrentSpawnLimit: 100,
      nodeSelector: { 'capi.stackhpc.com/node-group': 'core' },
    });
    // Placeholders from a variable that is 0 unless raised for an event; each holds a node:
    // perNode 7 × the 8 GB / 0.05 CPU guarantee.
    expect(hub.scheduling.userPlaceholder).toEqual({
      enabled: true,
      replicas: '${var.placeholder_replicas}',
      resources: { requests: { memory: 56_000_000_000, cpu: 0.35 } },
    });
    expect(binderhub.variable?.placeholder_replicas).toMatchObject({ type: 'number', default: 0 });
    expect(hub.scheduling.podPriority).toEqual({ enabled: true, userPlaceholderPriority: -10 });
    expect(hub).not.toHaveProperty('prePuller');
    expect(hub.cull).toEqual({ enabled: true, timeout: 3600, every: 300 });
    // BinderHub's own default; 0 only together with an allowlist (guardrails).
    expect(values.config.RateLimiter).toEqual({ limit: 10 });
    expect(values.config).not.toHaveProperty('GitHubRepoProvider');
    // The dind disk capped through the image cleaner, in bytes: 15 GiB, prune down to 9 GiB.
    expect(values.imageCleaner).toEqual({
      enabled: true,
      imageGCThresholdType: 'absolute',
      imageGCThresholdHigh: 15 * 2 ** 30,
      imageGCThresholdLow: 9 * 2 ** 30,
    });
    expect(values.config.BinderHub).toEqual({
      use_registry: true,
      image_prefix: '${var.image_prefix}',
      hub_url: 'https://${var.hub_host}',
      hub_url_local: 'http://proxy-public/',
      build_node_selector: { 'capi.stackhpc.com/node-group': 'user-m3-large' },
    });
    expect(values.ingress.hosts).toEqual(['${var.binder_host}']);
    expect(values.ingress.tls).toEqual([{ hosts: ['${var.binder_host}'], secretName: 'binder-tls' }]);
    expect(values.registry).toEqual({ url: '${var.registry_url}', username: '${var.registry_username}' });
    expect(release?.set_sensitive).toEqual([
      {
        name: 'registry.password',
        type: 'string',
        // Helm's strvals: `\`, `,` and a leading `{` escaped, so any password passes through literally.
        value:
          '${replace(replace(replace(var.registry_password, "\\\\", "\\\\\\\\"), ",", "\\\\,"), "{", "\\\\{")}',
      },
    ]);
    expect(binderhub.variable?.registry_password?.sensitive).toBe(true);
  });

  it('hands every value that holds a variable to yamlencode, so `no` or `*` stays a string', () => {
    const { binderhub } = synth();
    const [fixed, templated] = (binderhub.resource?.helm_release?.binderhub?.values ?? []) as string[];
    // The plain YAML has no Terraform expression left for Terraform to splice in unquoted.
    expect(fixed).not.toContain('${');
    expect(parse(fixed ?? '').jupyterhub.scheduling.userPlaceholder).toEqual({
      enabled: true,
      resources: { requests: { memory: 56_000_000_000, cpu: 0.35 } },
    });
    expect(templated).toBe(
      '${yamlencode({"registry" = {"url" = var.registry_url, "username" = var.registry_username}, ' +
        '"config" = {"BinderHub" = {"image_prefix" = var.image_prefix, "hub_url" = "https://${var.hub_host}"}}, ' +
        '"ingress" = {"hosts" = [var.binder_host], "tls" = [{"hosts" = [var.binder_host], "secretName" = "binder-tls"}]}, ' +
        '"jupyterhub" = {"scheduling" = {"userPlaceholder" = {"replicas" = var.placeholder_replicas}}, ' +
        '"ingress" = {"hosts" = [var.hub_host], "tls" = [{"hosts" = [var.hub_host], "secretName" = "hub-tls"}]}}})}',
    );
  });

  it('quotes config strings that YAML 1.1 (Helm) would read as booleans', () => {
    const { binderhub } = synth({
      binderhub: { registry: { url: 'https://quay.io', username: 'no', imagePrefix: 'quay.io/on/' } },
    });
    const [fixed] = (binderhub.resource?.helm_release?.binderhub?.values ?? []) as string[];
    expect(fixed).toContain('username: "no"');
    expect(parse(fixed ?? '', { version: '1.1' }).registry.username).toBe('no');
  });

  it("installs NGINX Inc's nginx-ingress, cert-manager and a Let's Encrypt issuer, pinned", () => {
    const { binderhub } = synth();
    const releases = binderhub.resource?.helm_release ?? {};
    expect(releases['nginx-ingress']).toMatchObject({
      repository: 'oci://ghcr.io/nginx/charts',
      chart: 'nginx-ingress',
      version: '2.4.4',
      // Helm waits for the LoadBalancer's address: Octavia takes minutes.
      timeout: 1200,
    });
    expect(releases['cert-manager']).toMatchObject({
      repository: 'https://charts.jetstack.io',
      chart: 'cert-manager',
      version: 'v1.20.3',
      namespace: 'cert-manager',
    });
    expect(parse(((releases['cert-manager']?.values ?? []) as string[])[0] ?? '').crds).toEqual({
      enabled: true,
    });
    const issuer = releases['letsencrypt-issuer'];
    expect(issuer).toMatchObject({
      depends_on: ['helm_release.cert-manager'],
      set: [{ name: 'email', value: '${var.acme_email}', type: 'string' }],
    });
    expect(parse(((issuer?.values ?? []) as string[])[0] ?? '')).toEqual({
      name: 'letsencrypt-prod',
      server: 'https://acme-v02.api.letsencrypt.org/directory',
      ingressClassName: 'nginx',
    });
    expect(binderhub.resource?.helm_release).not.toHaveProperty('ingress-nginx');
  });

  it('takes hosts, TLS issuer, registry and chart version from the config instead of variables', () => {
    const { binderhub, result } = synth({
      binderhub: {
        host: 'binder.example.org',
        hubHost: 'hub.example.org',
        chartVersions: { binderhub: '1.0.0-0.dev.git.3600.habcdef0' },
        tls: { clusterIssuer: 'letsencrypt', acmeEmail: 'ops@example.org' },
        registry: { url: 'https://quay.io', username: 'org+robot', imagePrefix: 'quay.io/org/binder-' },
        rateLimit: 10,
      },
    });
    expect(Object.keys(binderhub.variable ?? {}).sort()).toEqual([
      'kubeconfig_path',
      'placeholder_replicas',
      'registry_password',
    ]);
    expect(binderhub.resource?.helm_release?.binderhub?.version).toBe('1.0.0-0.dev.git.3600.habcdef0');
    const v = result.values as { ingress: object; config: { RateLimiter: object }; registry: object };
    expect(v.ingress).toEqual({
      enabled: true,
      ingressClassName: 'nginx',
      hosts: ['binder.example.org'],
      annotations: {
        'nginx.org/client-max-body-size': '256m',
        'nginx.org/proxy-buffering': 'false',
        'nginx.org/proxy-read-timeout': '120s',
        'cert-manager.io/cluster-issuer': 'letsencrypt',
        'acme.cert-manager.io/http01-edit-in-place': 'true',
      },
      tls: [{ hosts: ['binder.example.org'], secretName: 'binder-tls' }],
    });
    expect(v.config.RateLimiter).toEqual({ limit: 10 });
    expect(v.registry).toEqual({ url: 'https://quay.io', username: 'org+robot' });
  });

  it('has values that pass the upstream BinderHub and z2jh chart schemas', () => {
    // The copies shipped in provision/jetstream2/chart-schemas/ (kept identical to the team's
    // upstream copies by the next test, where those are present).
    const { result } = synth({ binderhub: { host: 'binder.example.org', tls: { clusterIssuer: 'le' } } });
    // Terraform fills in an integer where ${var.placeholder_replicas} stands (as synth checks it).
    const values = JSON.parse(JSON.stringify(result.values));
    expect(values.jupyterhub.scheduling.userPlaceholder.replicas).toBe('${var.placeholder_replicas}');
    values.jupyterhub.scheduling.userPlaceholder.replicas = 10;
    expect(chartSchemaIssues(values, chartSchemaDir())).toEqual([]);
    // …and the same check does catch a misplaced key (so the line above can fail).
    const bad = { ...result.values, jupyterhub: { singleuser: { cpus: 1 } } };
    expect(chartSchemaIssues(bad, chartSchemaDir())).toEqual([
      { chart: 'z2jh', path: '/jupyterhub/singleuser', message: 'unknown key "cpus"' },
    ]);
  });
});

describe('secrets', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('provision synth never writes the application credential or registry password anywhere', async () => {
    const secrets = {
      OS_APPLICATION_CREDENTIAL_ID: 'ac-id-5f0d6c1e9b',
      OS_APPLICATION_CREDENTIAL_SECRET: 'ac-secret-Zq81xkP0',
      TF_VAR_registry_password: 'registry-pw-77aa',
    };
    // In the CLI's environment and in the process's (which cdktf could read).
    for (const [k, v] of Object.entries(secrets)) vi.stubEnv(k, v);
    const dir = tmp('secrets');
    const out = sinkText();
    const err = sinkText();
    const code = await provisionSynth(
      { stdout: out.stream, stderr: err.stream, env: { ...secrets, OS_CLOUD: 'js2-cloud-name' } },
      { plan: FIXTURE_PLAN, out: join(dir, 'cdktf.out') },
    );
    expect(code).toBe(0);
    expect(out.text()).toContain('set before apply (TF_VAR_<name>):');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(dir);
    expect(files.filter((f) => f.endsWith('cdk.tf.json'))).toHaveLength(2);
    const texts = [out.text(), err.text(), ...files.map((f) => readFileSync(f, 'utf8'))];
    for (const s of Object.values(secrets)) {
      expect(
        texts.some((t) => t.includes(s)),
        s,
      ).toBe(false);
    }
  });
});

function sinkText() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { stream, text: () => text };
}

describe('splitValues', () => {
  const isExpr = (v: unknown) => typeof v === 'string' && v.includes('${');

  it('moves variable leaves, and whole lists holding one, out of the plain values; merging restores them', () => {
    const values = {
      a: 1,
      config: { BinderHub: { hub_url: 'https://${var.hub_host}', use_registry: true } },
      ingress: { enabled: true, hosts: ['${var.binder_host}'], tls: [{ hosts: ['x'], secretName: 's' }] },
      plain: ['a', 'b'],
    };
    const { fixed, templated } = splitValues(values, isExpr);
    expect(fixed).toEqual({
      a: 1,
      config: { BinderHub: { use_registry: true } },
      ingress: { enabled: true, tls: [{ hosts: ['x'], secretName: 's' }] },
      plain: ['a', 'b'],
    });
    expect(templated).toEqual({
      config: { BinderHub: { hub_url: 'https://${var.hub_host}' } },
      ingress: { hosts: ['${var.binder_host}'] },
    });
    expect(mergeValues(fixed, templated)).toEqual(values);
    expect(values.config.BinderHub.use_registry).toBe(true);
  });
});
