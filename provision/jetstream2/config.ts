/**
 * jetstream2.yaml: what `rehearse provision` cannot read from the NodeGroupPlan — the cluster template,
 * the hub's host names, the image registry, the allocation's quotas. One strict zod schema is the type
 * and the validator. Every field is optional: whatever is missing becomes a Terraform variable of the
 * stack (see VARIABLES in the stacks), so `provision synth --plan plan.yaml` works with no config.
 *
 * Secrets never go here: the OpenStack application credential comes from OS_APPLICATION_CREDENTIAL_ID /
 * _SECRET or a clouds.yaml entry named by `cloud` (OS_CLOUD), the registry password from
 * TF_VAR_registry_password.
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import { parseInput } from '../../core/input-issues.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
/** Label values must be strings (Magnum rejects others); YAML `true` or `5` would not be. */
const labels = z.record(z.string(), z.string());

/** A CAPI helm chart version (azimuth-cloud/capi-helm-charts releases), e.g. 0.16.0. */
const CHART_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

const template = z
  .object({
    image: z.string().regex(UUID, 'a Glance image UUID (Magnum reads shared images named by name as Unset)'),
    imageName: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ., _ and -')
      .optional()
      .describe("the image's name, for the template name (default: the UUID)"),
    capiHelmChartVersion: z
      .string()
      .regex(CHART_VERSION, 'a capi-helm-charts release, e.g. 0.16.0')
      .describe('label capi_helm_chart_version: the version the Jetstream2 autoscaler works with'),
    labels: labels.optional().describe('extra template labels'),
  })
  .strict()
  .describe(
    'define a cluster template instead of referencing one; its name (and Terraform address) is ' +
      '<image>-capi-<capiHelmChartVersion>, so a new image or chart version makes a new template',
  );

/** A regular expression BinderHub matches specs with (GitHubRepoProvider.allowed_specs). */
const specPattern = z.string().refine(
  (p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      // Not a valid pattern: the refine reports it.
      return false;
    }
  },
  { message: 'not a regular expression' },
);
const version = z.string().min(1);

const binderhub = z
  .object({
    chart: z
      .enum(['binderhub', 'binderhub-service'])
      .optional()
      .describe(
        'binderhub: the jupyterhub/binderhub chart (z2jh inside); binderhub-service: 2i2c-org/binderhub-service ' +
          'beside a z2jh release, as 2i2c deploys it (basehub)',
      ),
    chartVersions: z
      .object({
        binderhub: version.optional(),
        jupyterhub: version.optional(),
        binderhubService: version.optional(),
        nginxIngress: version.optional(),
        certManager: version.optional(),
      })
      .strict()
      .optional()
      .describe('override the pinned chart versions (charts.ts says where each default comes from)'),
    namespace: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/)
      .optional(),
    host: z.string().regex(HOST, 'a DNS name').optional().describe('BinderHub host, e.g. binder.example.org'),
    hubHost: z.string().regex(HOST, 'a DNS name').optional().describe('JupyterHub host'),
    tls: z
      .object({
        certManager: z
          .boolean()
          .optional()
          .describe("install cert-manager and a Let's Encrypt ClusterIssuer (default true)"),
        acmeEmail: z.email().optional().describe("Let's Encrypt account e-mail (else variable acme_email)"),
        clusterIssuer: z.string().min(1).optional().describe('ClusterIssuer to annotate ingresses with'),
        existingSecrets: z
          .boolean()
          .optional()
          .describe('you create the TLS secrets yourself (no cert-manager, no issuer)'),
        binderSecret: z.string().min(1).optional(),
        hubSecret: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    ingressClassName: z.string().min(1).optional(),
    installIngressController: z
      .boolean()
      .optional()
      .describe("install NGINX Inc's nginx-ingress (default true)"),
    registry: z
      .object({
        url: z.url().optional().describe('registry API URL, e.g. https://quay.io'),
        username: z.string().min(1).optional(),
        imagePrefix: z.string().min(1).optional().describe('e.g. quay.io/<org>/binder-'),
      })
      .strict()
      .optional(),
    repos: z
      .object({
        allowedSpecs: z
          .array(specPattern)
          .optional()
          .describe('GitHubRepoProvider.allowed_specs, e.g. ^ProjectPythia/.*$'),
        bannedSpecs: z.array(specPattern).optional().describe('GitHubRepoProvider.banned_specs'),
      })
      .strict()
      .optional(),
    rateLimit: z
      .int()
      .min(0)
      .optional()
      .describe(
        "BinderHub RateLimiter.limit per IP per hour (default 10, BinderHub's); 0 = off, only with allowedSpecs",
      ),
    dindDiskGiB: z.int().min(1).max(1000).optional().describe("cap on the image builders' disk (default 15)"),
    hubImage: z
      .object({ name: z.string().min(1), tag: z.string().min(1) })
      .strict()
      .optional()
      .describe('binderhub-service: a JupyterHub image with the binderhub package (BinderSpawnerMixin)'),
    cull: z
      .object({ timeoutSec: z.int().min(60), everySec: z.int().min(10) })
      .strict()
      .optional(),
  })
  .strict();

export const jetstream2ConfigSchema = z
  .object({
    cloud: z.string().min(1).optional().describe('clouds.yaml entry (else OS_CLOUD or OS_* variables)'),
    region: z.string().min(1).optional().describe('OpenStack region (Jetstream2: IU)'),
    /** Where Terraform state lives (default: the folder that holds cdktf.out). */
    stateDir: z.string().min(1).optional(),
    cluster: z
      .object({
        name: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -')
          .optional(),
        templateId: z.string().regex(UUID, 'a cluster template UUID').optional(),
        template: template.optional(),
        keypair: z.string().min(1).optional().describe('Nova keypair name, for ssh to the nodes'),
        labels: labels.optional().describe('extra cluster labels (merged over the template)'),
      })
      .strict()
      .refine((c) => !(c.templateId && c.template), {
        message: 'give templateId (an existing template, recommended) or template (define one), not both',
      })
      .optional(),
    quota: z
      .object({
        cores: z.int().min(0),
        ramGB: z.int().min(0),
        floatingIps: z.int().min(0),
      })
      .strict()
      .optional()
      .describe(
        "the allocation's CPU quotas (openstack quota show); absent: Jetstream2 startup defaults, as warnings",
      ),
    binderhub: binderhub.optional(),
  })
  .strict();

export type Jetstream2Config = z.infer<typeof jetstream2ConfigSchema>;

/** Parse and validate jetstream2.yaml text; InputError CONFIG_INVALID listing every issue with its path. */
export function parseJetstream2Config(text: string, sourceName: string): Jetstream2Config {
  return parseInput(jetstream2ConfigSchema, text, sourceName, {
    code: 'CONFIG_INVALID',
    whole: '(config)',
    empty: {},
    hint: 'see docs/jetstream2.md for every field of jetstream2.yaml',
  });
}

export function loadJetstream2Config(file: string): Jetstream2Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError('CONFIG_UNREADABLE', `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseJetstream2Config(text, file);
}
