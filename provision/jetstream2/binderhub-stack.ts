/**
 * The `binderhub` stack: the Helm provider on the cluster's kubeconfig, an ingress-nginx release (one
 * LoadBalancer, so one floating IP, in front of both hosts) and the BinderHub release with the values
 * of values.ts, checked against the chart schemas before synth.
 *
 * Cross-stack hand-over by file, not by cdktf cross-stack references: the driver writes the cluster
 * stack's `kubeconfig` output to `kubeconfig_path` (mode 0600) and passes it as a variable. So this
 * stack never reads the cluster's state (which holds the admin key), and it works unchanged against a
 * cluster made some other way (`openstack coe cluster config <name>`).
 */
import { HelmProvider } from '@cdktf/provider-helm/lib/provider/index.js';
import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { NodeGroupPlan } from '../../analysis/plan-types.js';
import { assertChartValues } from './chart-schema.js';
import { variable } from './cluster-stack.js';
import type { Jetstream2Config } from './config.js';
import { binderhubValues, coreSelector, type Values } from './values.js';

export const BINDERHUB_CHART_REPOSITORY = 'https://hub.jupyter.org/helm-chart/';
export const INGRESS_NGINX_REPOSITORY = 'https://kubernetes.github.io/ingress-nginx';
/** BinderHub's RateLimiter off: a rehearsal launches many servers from one IP (protocols.md). */
export const REHEARSAL_RATE_LIMIT = 0;
/** z2jh "Optimizations" page (capacity.md §4.1): cull after 1 h idle, checked every 5 min. */
export const DEFAULT_CULL = { timeoutSec: 3600, everySec: 300 } as const;

export interface BinderhubStackProps {
  plan: NodeGroupPlan;
  config: Jetstream2Config;
  stateDir: string;
  /** Where the driver writes the cluster's kubeconfig (the variable's default). */
  kubeconfigPath: string;
}

export class BinderhubStack extends TerraformStack {
  readonly values: Values;
  readonly release: Release;

  constructor(scope: Construct, id: string, props: BinderhubStackProps) {
    super(scope, id);
    const { plan } = props;
    const b = props.config.binderhub ?? {};
    new LocalBackend(this, { path: `${props.stateDir}/terraform.${id}.tfstate` });
    const kubeconfig = variable(
      this,
      'kubeconfig_path',
      "kubeconfig of the cluster (the cluster stack's kubeconfig output)",
      props.kubeconfigPath,
    );
    new HelmProvider(this, 'helm', { kubernetes: { configPath: kubeconfig } });
    const known = (value: string | undefined, name: string, description: string) =>
      value ?? variable(this, name, description);
    const registryPassword = new TerraformVariable(this, 'registry_password', {
      type: 'string',
      sensitive: true,
      description: 'image registry password or robot token: set TF_VAR_registry_password, never a file',
    });
    this.values = binderhubValues({
      plan,
      binderHost: known(b.host, 'binder_host', 'BinderHub host name, e.g. binder.example.org'),
      hubHost: known(b.hubHost, 'hub_host', 'JupyterHub host name, e.g. hub.example.org'),
      ingressClassName: b.ingressClassName ?? 'nginx',
      tls: {
        ...(b.tls?.clusterIssuer ? { clusterIssuer: b.tls.clusterIssuer } : {}),
        binderSecret: b.tls?.binderSecret ?? 'binder-tls',
        hubSecret: b.tls?.hubSecret ?? 'hub-tls',
      },
      registry: {
        url: known(b.registry?.url, 'registry_url', 'image registry API URL, e.g. https://quay.io'),
        username: known(b.registry?.username, 'registry_username', 'image registry user (robot account)'),
        imagePrefix: known(
          b.registry?.imagePrefix,
          'image_prefix',
          'built image prefix, e.g. quay.io/<org>/binder-',
        ),
      },
      rateLimit: b.rateLimit ?? REHEARSAL_RATE_LIMIT,
      cull: b.cull ?? DEFAULT_CULL,
    });
    assertChartValues(this.values);
    const namespace = b.namespace ?? 'binderhub';
    const ingress =
      b.installIngressNginx === false
        ? undefined
        : new Release(this, 'ingress-nginx', {
            name: 'ingress-nginx',
            repository: INGRESS_NGINX_REPOSITORY,
            chart: 'ingress-nginx',
            namespace: 'ingress-nginx',
            createNamespace: true,
            values: [
              stringify(
                { controller: { nodeSelector: coreSelector(plan) } },
                { aliasDuplicateObjects: false },
              ),
            ],
          });
    this.release = new Release(this, 'binderhub', {
      name: 'binderhub',
      repository: BINDERHUB_CHART_REPOSITORY,
      chart: 'binderhub',
      // BinderHub publishes development versions only (1.0.0-0.dev.git.<n>.h<sha>): pin one.
      version: known(
        b.chartVersion,
        'binderhub_chart_version',
        'BinderHub chart version (helm search repo jupyterhub/binderhub --devel --versions)',
      ),
      namespace,
      createNamespace: true,
      values: [stringify(this.values, { lineWidth: 0, aliasDuplicateObjects: false })],
      setSensitive: [{ name: 'registry.password', value: registryPassword.stringValue }],
      // z2jh: image pulls on new nodes take 5-10 min; give helm 15 (seconds here).
      timeout: 900,
      ...(ingress ? { dependsOn: [ingress] } : {}),
    });
  }
}
