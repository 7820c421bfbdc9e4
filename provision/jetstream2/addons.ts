/**
 * What a public hub needs in front of it, as 2i2c runs it on Jetstream2: NGINX Inc's `nginx-ingress`
 * (one LoadBalancer Service, i.e. one Octavia load balancer and floating IP, for both hosts),
 * cert-manager with its CRDs, and a Let's Encrypt ClusterIssuer (our one-template chart in
 * charts/letsencrypt-issuer, installed after cert-manager). Releases in the binderhub stack.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { AssetType, TerraformAsset, type TerraformStack } from 'cdktf';
import { stringify } from 'yaml';
import { CHARTS, LETSENCRYPT_ACME } from './charts.js';

/**
 * Helm waits for the controller's LoadBalancer Service to get its address: Octavia builds an amphora
 * VM for it, which takes minutes on Jetstream2 (and longer when the cloud is busy). 20 min, seconds.
 */
export const INGRESS_TIMEOUT_SEC = 1200;
/** cert-manager's webhook must answer before the issuer can be created. */
export const CERT_MANAGER_TIMEOUT_SEC = 600;

const YAML_OPTIONS = { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false } as const;

export interface AddonsInput {
  /** nodeSelector of the core group. */
  core: Record<string, string>;
  ingressClassName: string;
  installIngress: boolean;
  /** Install cert-manager and the issuer (named issuerName, e-mail acmeEmail). */
  certManager: { issuerName: string; acmeEmail: string } | undefined;
  versions: { nginxIngress: string; certManager: string };
}

/** The charts/letsencrypt-issuer folder, from source or from dist/. */
function issuerChartDir(): string {
  for (const rel of [
    './charts/letsencrypt-issuer',
    '../../../provision/jetstream2/charts/letsencrypt-issuer',
  ]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('cannot find provision/jetstream2/charts/letsencrypt-issuer');
}

/** The releases; the hub's releases depend on all of them. */
export function addAddons(stack: TerraformStack, a: AddonsInput): Release[] {
  const out: Release[] = [];
  if (a.installIngress) {
    out.push(
      new Release(stack, 'nginx-ingress', {
        name: 'nginx-ingress',
        repository: CHARTS.nginxIngress.repository,
        chart: CHARTS.nginxIngress.chart,
        version: a.versions.nginxIngress,
        namespace: 'nginx-ingress',
        createNamespace: true,
        timeout: INGRESS_TIMEOUT_SEC,
        // 2i2c's support chart values for nginx-ingress, with a LoadBalancer Service (Jetstream2 has
        // no other way in) and the controller on the core group.
        values: [
          stringify(
            {
              controller: {
                ingressClass: { name: a.ingressClassName, create: true },
                enableCustomResources: false,
                enableSnippets: true,
                reportIngressStatus: { enableLeaderElection: false },
                appprotect: { enable: false },
                appprotectdos: { enable: false },
                nodeSelector: a.core,
                service: { type: 'LoadBalancer' },
              },
            },
            YAML_OPTIONS,
          ),
        ],
      }),
    );
  }
  if (a.certManager) {
    const certManager = new Release(stack, 'cert-manager', {
      name: 'cert-manager',
      repository: CHARTS.certManager.repository,
      chart: CHARTS.certManager.chart,
      version: a.versions.certManager,
      namespace: 'cert-manager',
      createNamespace: true,
      timeout: CERT_MANAGER_TIMEOUT_SEC,
      values: [
        stringify(
          {
            crds: { enabled: true },
            nodeSelector: a.core,
            webhook: { nodeSelector: a.core },
            cainjector: { nodeSelector: a.core },
            startupapicheck: { nodeSelector: a.core },
          },
          YAML_OPTIONS,
        ),
      ],
    });
    const chart = new TerraformAsset(stack, 'letsencrypt-issuer-chart', {
      path: issuerChartDir(),
      type: AssetType.DIRECTORY,
    });
    const issuer = new Release(stack, 'letsencrypt-issuer', {
      name: 'letsencrypt-issuer',
      chart: chart.path,
      namespace: 'cert-manager',
      values: [
        stringify(
          { name: a.certManager.issuerName, server: LETSENCRYPT_ACME, ingressClassName: a.ingressClassName },
          YAML_OPTIONS,
        ),
      ],
      // The e-mail may be a Terraform variable: through `set`, typed as a string.
      set: [{ name: 'email', value: a.certManager.acmeEmail, type: 'string' }],
      dependsOn: [certManager],
    });
    out.push(certManager, issuer);
  }
  return out;
}
