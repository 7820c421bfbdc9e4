/**
 * The second values shape (pure): 2i2c-org/binderhub-service beside a z2jh release, as 2i2c deploys
 * BinderHub for Project Pythia (basehub chart; 2i2c-org/infrastructure config/clusters/
 * projectpythia-binder/binderhub.values.yaml, read at 9ad7cd0f). Two releases in one namespace:
 *
 * - `jupyterhub` (z2jh): the hub with a `binder` service and the roles BinderHub needs, no
 *   authentication (a public Binder), BinderSpawnerMixin from the `binderhub` package of the hub image
 *   (`hubImage`; the stock z2jh image does not have it — basehub pastes the class into extraConfig);
 * - `binderhub-service`: BinderHub on the core group, builds through a docker-api daemonset on the
 *   user group with its disk an emptyDir capped at dindDiskGiB (2i2c: 15Gi), talking to the hub
 *   with the service token z2jh generates into the hub Secret (`hub.services.binder.apiToken`).
 */
import {
  type BinderhubValuesInput,
  coreSelector,
  ingressAnnotations,
  repoProvider,
  type Values,
  z2jhScheduling,
} from './values.js';

/** The same input as the binderhub chart's, plus the hub image that carries the binderhub package. */
export interface ServiceValuesInput extends BinderhubValuesInput {
  hubImage: { name: string; tag: string };
}

/** z2jh's hub Secret (named `hub` with z2jh's default fullnameOverride "") and its API port. */
export const HUB_SECRET = 'hub';
export const HUB_API = 'http://hub:8081/hub/api';

/** Where BinderSpawnerMixin comes from: the binderhub package in the hub image. */
export const SPAWNER_CONFIG =
  'from binderhub.binderspawner_mixin import BinderSpawnerMixin\n' +
  'from kubespawner import KubeSpawner\n\n\n' +
  'class BinderSpawner(BinderSpawnerMixin, KubeSpawner):\n' +
  '    pass\n\n\n' +
  'c.JupyterHub.spawner_class = BinderSpawner\n';

export function serviceValues(input: ServiceValuesInput): { jupyterhub: Values; binderhubService: Values } {
  const { plan } = input;
  const core = coreSelector(plan);
  const user = plan.user.nodeSelector;
  const { guarantee, limit } = plan.user;
  const tls = (host: string, secretName: string) => [{ hosts: [host], secretName }];
  const jupyterhub: Values = {
    hub: {
      image: input.hubImage,
      nodeSelector: core,
      concurrentSpawnLimit: plan.hub.concurrentSpawnLimit,
      redirectToServer: false,
      services: { binder: { display: false } },
      loadRoles: {
        binder: { services: ['binder'], scopes: ['servers', 'admin:users'] },
        user: { scopes: ['self', 'access:services!service=binder'] },
      },
      config: {
        BinderSpawnerMixin: { auth_enabled: false, cors_allow_origin: '*' },
        JupyterHub: { authenticator_class: 'null' },
      },
      extraConfig: { '0-binder-spawner': SPAWNER_CONFIG },
    },
    proxy: { service: { type: 'ClusterIP' }, chp: { nodeSelector: core } },
    singleuser: {
      nodeSelector: user,
      startTimeout: plan.hub.startTimeoutSec,
      cpu: { guarantee: guarantee.cpu, limit: limit.cpu },
      memory: { guarantee: guarantee.memory, limit: limit.memory },
      storage: { type: 'none' },
    },
    scheduling: z2jhScheduling(input),
    cull: { enabled: true, users: true, timeout: input.cull.timeoutSec, every: input.cull.everySec },
    ingress: {
      enabled: true,
      ingressClassName: input.ingressClassName,
      hosts: [input.hubHost],
      annotations: ingressAnnotations('hub', input.tls.clusterIssuer),
      tls: tls(input.hubHost, input.tls.hubSecret),
    },
  };
  const binderhubService: Values = {
    nodeSelector: core,
    networkPolicy: { enabled: true },
    ingress: {
      enabled: true,
      ingressClassName: input.ingressClassName,
      hosts: [input.binderHost],
      annotations: ingressAnnotations('binder', input.tls.clusterIssuer),
      tls: tls(input.binderHost, input.tls.binderSecret),
    },
    dockerApi: {
      nodeSelector: user,
      storage: { emptyDir: { sizeLimit: `${input.dindDiskGiB}Gi` } },
    },
    config: {
      BinderHub: {
        base_url: '/',
        hub_url: `https://${input.hubHost}`,
        badge_base_url: `https://${input.binderHost}`,
        auth_enabled: false,
        use_registry: true,
        image_prefix: input.registry.imagePrefix,
      },
      DockerRegistry: { url: input.registry.url, username: input.registry.username },
      KubernetesBuildExecutor: { node_selector: user },
      RateLimiter: { limit: input.rateLimit },
      ...repoProvider(input.repos),
    },
    // The password goes in through the release's set_sensitive, never here.
    buildPodsRegistryCredentials: { server: input.registry.url, username: input.registry.username },
    extraEnv: [
      {
        name: 'JUPYTERHUB_API_TOKEN',
        valueFrom: { secretKeyRef: { name: HUB_SECRET, key: 'hub.services.binder.apiToken' } },
      },
      { name: 'JUPYTERHUB_CLIENT_ID', value: 'service-binder' },
      { name: 'JUPYTERHUB_API_URL', value: HUB_API },
      { name: 'JUPYTERHUB_BASE_URL', value: `https://${input.hubHost}/` },
    ],
  };
  return { jupyterhub, binderhubService };
}
