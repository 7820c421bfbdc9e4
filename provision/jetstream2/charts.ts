/**
 * The Helm charts the binderhub stack installs, with default versions that exist upstream and where
 * each was read (none could be checked against a chart repository from here; every one can be
 * overridden in jetstream2.yaml `binderhub.charts`).
 */
export interface ChartRef {
  repository: string;
  chart: string;
  version: string;
  /** Where the version was read. */
  source: string;
}

export const CHARTS = {
  /** The version mybinder.org runs. */
  binderhub: {
    repository: 'https://hub.jupyter.org/helm-chart/',
    chart: 'binderhub',
    version: '1.0.0-0.dev.git.3983.h383374de',
    source: 'jupyterhub/mybinder.org-deploy@95860dbc mybinder/Chart.yaml',
  },
  /** 2i2c's basehub pins (z2jh beside binderhub-service). */
  jupyterhub: {
    repository: 'https://hub.jupyter.org/helm-chart/',
    chart: 'jupyterhub',
    version: '4.3.3',
    source: '2i2c-org/infrastructure@9ad7cd0f helm-charts/basehub/Chart.yaml',
  },
  binderhubService: {
    repository: 'https://2i2c.org/binderhub-service/',
    chart: 'binderhub-service',
    version: '0.1.0-0.dev.git.336.hca79dc0',
    source: '2i2c-org/infrastructure@9ad7cd0f helm-charts/basehub/Chart.yaml',
  },
  /** NGINX Inc's controller, which 2i2c moved to when ingress-nginx was retired (March 2026). */
  nginxIngress: {
    repository: 'oci://ghcr.io/nginx/charts',
    chart: 'nginx-ingress',
    version: '2.4.4',
    source: '2i2c-org/infrastructure@9ad7cd0f helm-charts/support/Chart.yaml',
  },
  /** 2i2c's deployer installs this version (with its CRDs). */
  certManager: {
    repository: 'https://charts.jetstack.io',
    chart: 'cert-manager',
    version: 'v1.20.3',
    source: '2i2c-org/infrastructure@9ad7cd0f src/deployer/commands/deployer.py',
  },
} as const satisfies Record<string, ChartRef>;

export type ChartKey = keyof typeof CHARTS;

/** Let's Encrypt's production ACME directory (2i2c's support chart templates/issuer.yaml). */
export const LETSENCRYPT_ACME = 'https://acme-v02.api.letsencrypt.org/directory';
export const DEFAULT_CLUSTER_ISSUER = 'letsencrypt-prod';
/** 2i2c caps the docker-api emptyDir at 15Gi (projectpythia-binder binderhub.values.yaml). */
export const DEFAULT_DIND_DISK_GIB = 15;
