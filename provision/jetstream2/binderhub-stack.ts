/**
 * The `binderhub` stack: the Helm provider on the cluster's kubeconfig, NGINX Inc's nginx-ingress (one
 * LoadBalancer, so one floating IP, in front of both hosts), cert-manager and a Let's Encrypt
 * ClusterIssuer (addons.ts), and BinderHub in one of two shapes, its values checked against the chart
 * schemas before synth: the jupyterhub/binderhub chart (values.ts), or binderhub-service beside a
 * z2jh release as 2i2c deploys it (values-service.ts). Chart versions: charts.ts.
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
import { Release, type ReleaseConfig } from '@cdktf/provider-helm/lib/release/index.js';
import { Fn, LocalBackend, TerraformStack, TerraformVariable, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { addAddons } from './addons.js';
import { assertChartValues, assertServiceValues } from './chart-schema.js';
import { CHARTS, type ChartRef, DEFAULT_CLUSTER_ISSUER, DEFAULT_DIND_DISK_GIB } from './charts.js';
import { REQUIRED_TERRAFORM, variable } from './cluster-stack.js';
import type { Jetstream2Config } from './config.js';
import { binderhubValues, coreSelector, splitValues, type Values } from './values.js';
import { serviceValues } from './values-service.js';

/** BinderHub's own default (10 launches per client IP per hour); 0 only with an allowlist. */
export const DEFAULT_RATE_LIMIT = 10;
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
  /** The release that holds BinderHub (binderhub, or binderhub-service). */
  readonly release: Release;

  constructor(scope: Construct, id: string, props: BinderhubStackProps) {
    super(scope, id);
    const { plan } = props;
    const b = props.config.binderhub ?? {};
    // cert-manager's issuer unless TLS is brought another way (guardrails.ts refuses neither).
    const issuer =
      b.tls?.clusterIssuer ??
      (b.tls?.certManager === false || b.tls?.existingSecrets ? undefined : DEFAULT_CLUSTER_ISSUER);
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
        'node-sized user placeholders (z2jh userPlaceholder.replicas, one per node to hold): 0 between ' +
        'events; `rehearse provision prescale` sets them for the event (keep TF_VAR_placeholder_replicas at its number meanwhile)',
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
          ...(issuer ? { clusterIssuer: issuer } : {}),
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
        rateLimit: b.rateLimit ?? DEFAULT_RATE_LIMIT,
        repos: { allowedSpecs: b.repos?.allowedSpecs ?? [], bannedSpecs: b.repos?.bannedSpecs ?? [] },
        dindDiskGiB: b.dindDiskGiB ?? DEFAULT_DIND_DISK_GIB,
        cull: b.cull ?? DEFAULT_CULL,
      };
    };
    const expression = (name: string) => `\${var.${name}}`;
    const tokensIn = input((name, description) => variable(this, name, description));
    const exprIn = input(expression);
    const namespace = b.namespace ?? 'binderhub';
    const versions = { ...defaultVersions(), ...b.chartVersions };
    const addons = addAddons(this, {
      core: coreSelector(plan),
      ingressClassName: tokensIn.ingressClassName,
      installIngress: b.installIngressController !== false,
      certManager:
        b.tls?.certManager === false || !issuer
          ? undefined
          : {
              issuerName: issuer,
              acmeEmail: b.tls?.acmeEmail ?? variable(this, 'acme_email', "Let's Encrypt account e-mail"),
            },
      versions,
    });
    const release = (
      name: string,
      chart: ChartRef,
      version: string,
      tokens: Values,
      extra: Partial<ReleaseConfig>,
    ) => {
      const { fixed, templated } = splitValues(tokens, (leaf) => Token.isUnresolved(leaf));
      return new Release(this, name, {
        name,
        repository: chart.repository,
        chart: chart.chart,
        version,
        namespace,
        createNamespace: true,
        values: [stringify(fixed, YAML_OPTIONS), Fn.yamlencode(templated)],
        // z2jh: image pulls on new nodes take 5-10 min; give helm 15 (seconds here).
        timeout: 900,
        ...extra,
        ...(addons.length > 0 && !extra.dependsOn ? { dependsOn: addons } : {}),
      });
    };
    const password = escapeSetValue(registryPassword.stringValue);
    if (b.chart === 'binderhub-service') {
      const hubImage = b.hubImage ?? {
        name: variable(
          this,
          'hub_image_name',
          'JupyterHub image with the binderhub package (BinderSpawnerMixin)',
        ),
        tag: variable(this, 'hub_image_tag', 'tag of hub_image_name'),
      };
      const tokens = serviceValues({ ...tokensIn, hubImage, placeholderReplicas: placeholders.numberValue });
      const exprs = serviceValues({
        ...exprIn,
        hubImage: b.hubImage ?? { name: expression('hub_image_name'), tag: expression('hub_image_tag') },
        placeholderReplicas: expression('placeholder_replicas'),
      });
      this.values = { jupyterhub: exprs.jupyterhub, 'binderhub-service': exprs.binderhubService };
      if (props.validate !== false) {
        assertServiceValues(
          serviceValues({ ...exprIn, hubImage, placeholderReplicas: plan.user.placeholders.replicas }),
        );
      }
      const hub = release('jupyterhub', CHARTS.jupyterhub, versions.jupyterhub, tokens.jupyterhub, {});
      this.release = release(
        'binderhub-service',
        CHARTS.binderhubService,
        versions.binderhubService,
        tokens.binderhubService,
        {
          setSensitive: [{ name: 'buildPodsRegistryCredentials.password', type: 'string', value: password }],
          dependsOn: [hub, ...addons],
        },
      );
      return;
    }
    const tokens = binderhubValues({ ...tokensIn, placeholderReplicas: placeholders.numberValue });
    this.values = binderhubValues({ ...exprIn, placeholderReplicas: expression('placeholder_replicas') });
    // The schema sees the plan's event-size placeholder count where the variable goes: every value
    // the variable takes is an integer too.
    if (props.validate !== false) {
      assertChartValues(binderhubValues({ ...exprIn, placeholderReplicas: plan.user.placeholders.replicas }));
    }
    this.release = release('binderhub', CHARTS.binderhub, versions.binderhub, tokens, {
      setSensitive: [{ name: 'registry.password', type: 'string', value: password }],
    });
  }
}

/** The pinned chart versions (charts.ts). */
export function defaultVersions(): Record<
  'binderhub' | 'jupyterhub' | 'binderhubService' | 'nginxIngress' | 'certManager',
  string
> {
  return {
    binderhub: CHARTS.binderhub.version,
    jupyterhub: CHARTS.jupyterhub.version,
    binderhubService: CHARTS.binderhubService.version,
    nginxIngress: CHARTS.nginxIngress.version,
    certManager: CHARTS.certManager.version,
  };
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
