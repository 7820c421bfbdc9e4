/**
 * The `binderhub` stack: the Helm provider on the cluster's kubeconfig, an ingress-nginx release (one
 * LoadBalancer, so one floating IP, in front of both hosts) and the BinderHub release with the values
 * of values.ts, checked against the chart schemas before synth.
 *
 * Cross-stack hand-over by file, not by cdktf cross-stack references: the driver writes the cluster
 * stack's `kubeconfig` output to `kubeconfig_path` (mode 0600) and passes it as a variable. So this
 * stack never reads the cluster's state (which holds the admin key), and it works unchanged against a
 * cluster made some other way (`terraform apply -var kubeconfig_path=…` in its folder).
 *
 * Values go in as two documents that Helm deep-merges: plain YAML for what is known at synth time, and
 * `yamlencode({…})` of the parts that hold Terraform variables, so Terraform quotes each value (a
 * variable set to `no` stays a string). The registry password goes in through `set_sensitive`, which
 * the Helm provider cloaks in the release metadata it keeps in state; a password inside `values`
 * would be stored there in clear.
 */
import { HelmProvider } from '@cdktf/provider-helm/lib/provider/index.js';
import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { Fn, LocalBackend, TerraformStack, TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { NodeGroupPlan } from '../../analysis/plan-types.js';
import { assertChartValues } from './chart-schema.js';
import { REQUIRED_TERRAFORM, variable } from './cluster-stack.js';
import type { Jetstream2Config } from './config.js';
import { binderhubValues, coreSelector, splitValues, type Values } from './values.js';

export const BINDERHUB_CHART_REPOSITORY = 'https://hub.jupyter.org/helm-chart/';
export const INGRESS_NGINX_REPOSITORY = 'https://kubernetes.github.io/ingress-nginx';
/**
 * The newest ingress-nginx chart we could confirm (controller v1.14.3, kubernetes/ingress-nginx#14510,
 * 2026-02-02), not checked against the repository from here: `helm search repo
 * ingress-nginx/ingress-nginx --versions`. The project was retired in March 2026 (no releases or
 * security fixes after it); docs/jetstream2.md says what that means.
 */
export const INGRESS_NGINX_CHART_VERSION = '4.14.3';
/** BinderHub's RateLimiter off: a rehearsal launches many servers from one IP (protocols.md). */
export const REHEARSAL_RATE_LIMIT = 0;
/** z2jh "Optimizations" page (capacity.md §4.1): cull after 1 h idle, checked every 5 min. */
export const DEFAULT_CULL = { timeoutSec: 3600, everySec: 300 } as const;

/** YAML 1.1 output quotes strings Helm's YAML 1.1 parser would read as booleans (`no`, `on`, `y`). */
const YAML_OPTIONS = { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false } as const;

export interface BinderhubStackProps {
  plan: NodeGroupPlan;
  config: Jetstream2Config;
  stateDir: string;
  /** Where the driver writes the cluster's kubeconfig (the variable's default). */
  kubeconfigPath: string;
  /** Check the values against the chart schemas (default true; destroy skips it). */
  validate?: boolean;
}

export class BinderhubStack extends TerraformStack {
  /** The values as Helm gets them, with `${var.<name>}` where Terraform fills in a variable. */
  readonly values: Values;
  readonly release: Release;

  constructor(scope: Construct, id: string, props: BinderhubStackProps) {
    super(scope, id);
    const { plan } = props;
    const b = props.config.binderhub ?? {};
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM);
    new LocalBackend(this, { path: `${props.stateDir}/terraform.${id}.tfstate` });
    const kubeconfig = variable(
      this,
      'kubeconfig_path',
      "kubeconfig of the cluster (the cluster stack's kubeconfig output)",
      props.kubeconfigPath,
    );
    new HelmProvider(this, 'helm', { kubernetes: { configPath: kubeconfig } });
    const registryPassword = new TerraformVariable(this, 'registry_password', {
      type: 'string',
      sensitive: true,
      description: 'image registry password or robot token: set TF_VAR_registry_password, never a file',
    });
    const placeholders = new TerraformVariable(this, 'placeholder_replicas', {
      type: 'number',
      default: 0,
      description:
        'user placeholder pods (z2jh userPlaceholder.replicas): 0 between events; before one, the ' +
        `plan's pre-scale number (${plan.user.placeholders.replicas}) via TF_VAR_placeholder_replicas`,
    });
    // The same input twice: with cdktf tokens for the release, with `${var.<name>}` for this.values.
    const input = (ref: (name: string, description: string) => string) => {
      const known = (value: string | undefined, name: string, description: string) =>
        value ?? ref(name, description);
      return {
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
      };
    };
    const expression = (name: string) => `\${var.${name}}`;
    const tokens = binderhubValues({
      ...input((name, description) => variable(this, name, description)),
      placeholderReplicas: placeholders.numberValue,
    });
    this.values = binderhubValues({
      ...input(expression),
      placeholderReplicas: expression('placeholder_replicas'),
    });
    // The schema sees the plan's event-size placeholder count where the variable goes: every value
    // the variable takes is an integer too.
    if (props.validate !== false) {
      assertChartValues(
        binderhubValues({ ...input(expression), placeholderReplicas: plan.user.placeholders.replicas }),
      );
    }
    const { fixed, templated } = splitValues(tokens, (leaf) => Token.isUnresolved(leaf));
    const namespace = b.namespace ?? 'binderhub';
    const ingress =
      b.installIngressNginx === false
        ? undefined
        : new Release(this, 'ingress-nginx', {
            name: 'ingress-nginx',
            repository: INGRESS_NGINX_REPOSITORY,
            chart: 'ingress-nginx',
            version: variable(
              this,
              'ingress_nginx_chart_version',
              'ingress-nginx chart version (helm search repo ingress-nginx/ingress-nginx --versions)',
              INGRESS_NGINX_CHART_VERSION,
            ),
            namespace: 'ingress-nginx',
            createNamespace: true,
            values: [stringify({ controller: { nodeSelector: coreSelector(plan) } }, YAML_OPTIONS)],
          });
    this.release = new Release(this, 'binderhub', {
      name: 'binderhub',
      repository: BINDERHUB_CHART_REPOSITORY,
      chart: 'binderhub',
      // BinderHub publishes development versions only (1.0.0-0.dev.git.<n>.h<sha>): pin one.
      version:
        b.chartVersion ??
        variable(
          this,
          'binderhub_chart_version',
          'BinderHub chart version (helm search repo jupyterhub/binderhub --devel --versions)',
        ),
      namespace,
      createNamespace: true,
      values: [stringify(fixed, YAML_OPTIONS), Fn.yamlencode(templated)],
      setSensitive: [
        { name: 'registry.password', type: 'string', value: escapeSetValue(registryPassword.stringValue) },
      ],
      // z2jh: image pulls on new nodes take 5-10 min; give helm 15 (seconds here).
      timeout: 900,
      ...(ingress ? { dependsOn: [ingress] } : {}),
    });
  }
}

/**
 * A `set`/`set_sensitive` value is parsed by Helm's strvals (`name=value`): `,` ends the value, `\`
 * escapes the next character and a leading `{` starts a list. Backslash-escaping those three, in
 * Terraform at plan time, passes any password through literally; `type = "string"` keeps `true` or
 * `0123` a string.
 */
export function escapeSetValue(value: string): string {
  // cdktf copies these into HCL string literals as they are: String.raw`\\` is HCL's "\\" (one `\`).
  const bs = String.raw`\\`;
  return Fn.replace(Fn.replace(Fn.replace(value, bs, bs + bs), ',', `${bs},`), '{', `${bs}{`);
}
