/**
 * Scenario format v1: the one zod schema that is the type, the validator and (through
 * export-schema.ts) the JSON Schema editors use. Every object is strict.
 *
 * Input (YAML) carries durations as strings (`30s`, `1m30s`) and memory as Kubernetes quantities
 * (`8Gi`); the parsed `Scenario` carries integer milliseconds and bytes under the same field names.
 *
 * Defaults, applied while parsing: `seed` 42, cohort `start` 0s, `session.onEnd` stop, `slo` [].
 * A cohort with a `list` arrival may omit `users`, which then defaults to `at.length`; if given it
 * must equal `at.length`. Every other arrival kind requires `users`.
 */
import { z } from 'zod';
import {
  DURATION_EXAMPLES,
  DURATION_PATTERN,
  QUANTITY_PATTERN,
  tryParseDuration,
  tryParseQuantity,
} from '../core/duration.js';
import { parseOne } from '../core/slo.js';
import { browserSchema, gitpullSchema, hubAuthSchema, serverOptionFields } from './workshop.js';

/** A schema-level message for wrong values that leaves missing keys to the parse-level map. */
const unlessMissing = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? undefined : message),
});

const durationMessage = `expected a duration string ${DURATION_EXAMPLES} (a bare number has no unit)`;

/** A string matching `pattern`, else `message` (computed from the input when a function). */
function matching(pattern: RegExp, message: string | ((input: unknown) => string)) {
  const text = (input: unknown) => (typeof message === 'string' ? message : message(input));
  return z.string(unlessMissing(text(undefined))).regex(pattern, { error: (issue) => text(issue.input) });
}

/** A string matching `pattern`, parsed to an integer by `parse` (undefined: not a whole `unit`). */
function parsedString(
  pattern: RegExp,
  message: string,
  parse: (text: string) => number | undefined,
  unit: string,
) {
  return matching(pattern, message).transform((text, ctx) => {
    const n = parse(text);
    const notWhole = `"${text}" is not a whole number of ${unit}`;
    if (n === undefined) ctx.issues.push({ code: 'custom', input: text, message: notWhole });
    return n ?? z.NEVER;
  });
}

/**
 * Cross-field checks run even when other fields failed, so that one issue never hides another; they
 * then see raw values, hence `field` and the type guards inside them.
 */
const evenWithIssues = {
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null,
};
const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;

/** Duration text in, integer milliseconds out. */
const duration = (description: string) =>
  parsedString(DURATION_PATTERN, durationMessage, tryParseDuration, 'milliseconds').describe(description);

function positiveDuration(description: string) {
  return duration(description).refine((ms) => ms > 0, { error: 'must be longer than 0s' });
}

/** Names that end up in run ids, tags and Kubernetes object names. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const nameSchema = (description: string) =>
  matching(
    NAME_PATTERN,
    "expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit",
  ).describe(description);

/** The name (not the value) of an environment variable. */
export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
// Never echo the value in the message: it may be a pasted token.
const tokenEnvMessage =
  'tokenEnv is the NAME of an environment variable that holds the token (upper-case letters, digits ' +
  'and _, like PYTHIA_HUB_TOKEN), never the token itself';
const tokenEnv = (description: string) => matching(ENV_NAME_PATTERN, tokenEnvMessage).describe(description);

const httpUrl = (description: string) =>
  z
    .url({ protocol: /^https?$/, ...unlessMissing('expected an http:// or https:// URL') })
    .describe(description);

/** An optional integer knob. */
const optionalInt = (min: number, description: string) => z.int().min(min).optional().describe(description);

/** The local target's stacks (provision/local/stacks.ts says what each holds). */
export const LOCAL_STACKS = ['debian12', 'debian13', 'custom'] as const;

const localTarget = z
  .object({
    kind: z.literal('local'),
    stack: z
      .enum(LOCAL_STACKS, {
        error: 'expected debian12 (JupyterHub 3), debian13 (JupyterHub 5) or custom ($REHEARSE_PYTHON)',
      })
      .optional()
      .describe(
        'which Jupyter runs the hub, servers and kernels: debian12 (JupyterHub 3, jupyter-server 1, Dask 2022), debian13 (JupyterHub 5, jupyter-server 2, Dask 2024), custom ($REHEARSE_PYTHON)',
      ),
    buildTime: duration('emulated image build time, paid by the first launch of a repo ref only').optional(),
    concurrentSpawnLimit: optionalInt(1, 'JupyterHub concurrent_spawn_limit: spawns in flight at once'),
    activeServerLimit: optionalInt(0, 'JupyterHub active_server_limit: running servers (0 = no limit)'),
    launchQuota: optionalInt(
      0,
      'BinderHub launch quota (c.LaunchQuota.total_quota): running servers in all (0 = no limit)',
    ),
  })
  .strict()
  .describe('a real JupyterHub on this machine behind an emulated BinderHub API');

const binderhubTarget = z
  .object({
    kind: z.literal('binderhub'),
    url: httpUrl('BinderHub base URL, e.g. https://binder.projectpythia.org'),
    hubUrl: httpUrl('its JupyterHub, e.g. https://hub.projectpythia.org').optional(),
    tokenEnv: tokenEnv('NAME of the env var holding a hub API token (observing, cleanup)').optional(),
  })
  .strict()
  .describe('a deployed BinderHub: attendees launch through its /build event stream');

const jupyterhubTarget = z
  .object({
    kind: z.literal('jupyterhub'),
    url: httpUrl('JupyterHub base URL'),
    tokenEnv: tokenEnv('name of the environment variable holding an admin-scoped JupyterHub API token'),
    auth: hubAuthSchema.optional(),
  })
  .strict()
  .describe('a plain JupyterHub: servers are started through its REST API');

const targetSchema = z.discriminatedUnion('kind', [localTarget, binderhubTarget, jupyterhubTarget], {
  error: unlessMissing('expected a target with kind local, binderhub or jupyterhub').error,
});

/** BinderHub repo providers, as in a launch URL's /v2/<provider>/<spec>. */
export const REPO_PROVIDERS = [
  'gh',
  'gist',
  'git',
  'gl',
  'zenodo',
  'figshare',
  'hydroshare',
  'dataverse',
  'ckan',
] as const;

/**
 * `gh/<org>/<repo>/<ref>`, `gist/<user>/<id>[/<ref>]`, `git/<url-escaped-url>/<ref>`,
 * `gl/<url-escaped-project>/<ref>`, or `<zenodo|figshare|hydroshare|dataverse|ckan>/<spec>`.
 */
export const REPO_SPEC_PATTERN =
  /^(?:gh\/[^/\s]+\/[^/\s]+\/\S+|(?:gist|git|gl)\/[^/\s]+\/\S+|(?:zenodo|figshare|hydroshare|dataverse|ckan)\/\S+)$/;

function repoMessage(input: unknown): string {
  if (typeof input !== 'string')
    return 'expected a BinderHub repo spec like gh/<org>/<repo>/<ref> (a string)';
  const provider = input.split('/')[0] ?? '';
  if (!(REPO_PROVIDERS as readonly string[]).includes(provider)) {
    return `unknown repo provider "${provider}": expected <provider>/<spec> with provider one of ${REPO_PROVIDERS.join(', ')}`;
  }
  if (provider === 'gh')
    return 'GitHub specs are gh/<org>/<repo>/<ref>, like gh/ProjectPythia/pythia-foundations/HEAD';
  return `expected ${provider}/<spec> with no spaces (${provider === 'gist' ? 'gist/<user>/<id>' : `${provider}/<escaped-url>/<ref>`})`;
}

const repoSchema = matching(REPO_SPEC_PATTERN, repoMessage).describe(
  'BinderHub repo spec <provider>/<spec>, as in a launch URL: gh/<org>/<repo>/<ref>',
);

const burstArrival = z
  .object({
    kind: z.literal('burst'),
    over: duration('click times drawn uniformly at random over this window, seeded (0s = all at once)'),
  })
  .strict()
  .describe('everyone clicks the link within `over`');

const rampArrival = z
  .object({
    kind: z.literal('ramp'),
    over: positiveDuration('window over which the arrival rate rises linearly from 0'),
  })
  .strict()
  .describe('arrival rate rising linearly over `over`, so most users arrive late in the window');

const poissonArrival = z
  .object({
    kind: z.literal('poisson'),
    ratePerMinute: z.number().positive().describe('mean arrivals per minute'),
    until: positiveDuration('arrivals stop this long after the cohort start (or once `users` have arrived)'),
  })
  .strict()
  .describe('independent random arrivals (exponential gaps) at a mean rate');

const listArrival = z
  .object({
    kind: z.literal('list'),
    at: z
      .array(duration('offset from the cohort start'))
      .min(1)
      .describe('explicit arrival offsets from the cohort start, non-decreasing'),
  })
  .strict()
  .superRefine((arrival, ctx) => {
    const at: unknown = arrival.at;
    if (!Array.isArray(at)) return;
    for (let i = 1; i < at.length; i++) {
      const [prev, cur]: unknown[] = [at[i - 1], at[i]];
      if (typeof prev === 'number' && typeof cur === 'number' && cur < prev) {
        ctx.addIssue({ code: 'custom', path: ['at', i], message: 'offsets must not decrease' });
      }
    }
  }, evenWithIssues)
  .describe('explicit arrival offsets');

const arrivalSchema = z.discriminatedUnion('kind', [burstArrival, rampArrival, poissonArrival, listArrival], {
  error: unlessMissing('expected an arrival with kind burst, ramp, poisson or list').error,
});

const cohortSchema = z
  .object({
    name: nameSchema('cohort name, used as a tag on every sample'),
    users: optionalInt(1, 'simulated attendees (a list arrival defaults it to at.length)'),
    start: duration('when the cohort starts, from the start of the run').prefault('0s'),
    arrival: arrivalSchema,
    ...serverOptionFields,
  })
  .strict()
  .superRefine((cohort, ctx) => {
    const isList = field(cohort.arrival, 'kind') === 'list';
    const at = isList ? field(cohort.arrival, 'at') : undefined;
    const users: unknown = cohort.users;
    if (!isList && users === undefined) {
      ctx.addIssue({ code: 'custom', path: ['users'], message: 'is required (except with a list arrival)' });
    }
    if (Array.isArray(at) && typeof users === 'number' && users !== at.length) {
      const message = `must equal the number of arrival times (${at.length}), or be left out`;
      ctx.addIssue({ code: 'custom', path: ['users'], message });
    }
  }, evenWithIssues)
  .transform(({ users, ...cohort }) => ({
    ...cohort,
    users: users ?? (cohort.arrival.kind === 'list' ? cohort.arrival.at.length : 0),
  }));

const cohortsSchema = z
  .array(cohortSchema)
  .min(1, { error: 'expected at least one cohort' })
  .superRefine((cohorts, ctx) => {
    const seen = new Set<string>();
    for (const [i, cohort] of cohorts.entries()) {
      const name = field(cohort, 'name');
      if (typeof name !== 'string') continue;
      if (seen.has(name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate name "${name}"` });
      seen.add(name);
    }
  }, evenWithIssues)
  .describe('groups of attendees with their own arrival pattern');

const thinkTimeSchema = z
  .object({
    median: duration('median pause between two code cells'),
    p95: duration('95th percentile of the pause (lognormal), at least the median'),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (typeof t.median !== 'number' || typeof t.p95 !== 'number') return;
    if (t.p95 < t.median) ctx.addIssue({ code: 'custom', path: ['p95'], message: 'must be at least median' });
    else if (t.median === 0 && t.p95 > 0) {
      ctx.addIssue({ code: 'custom', path: ['median'], message: 'must be above 0s unless p95 is 0s too' });
    }
  })
  .describe('lognormal pause between cells');

const sessionSchema = z
  .object({
    notebook: matching(/\.ipynb$/, 'expected a path to a .ipynb notebook').describe(
      'notebook whose code cells each user runs in order; relative to the scenario file',
    ),
    notebooks: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'for `rehearse check`: notebook paths or globs (*, **) inside the repo; default every *.ipynb',
      ),
    thinkTime: thinkTimeSchema,
    duration: positiveDuration('how long a user stays after their server is ready, then leaves'),
    onEnd: z
      .enum(['stop', 'keep'], unlessMissing('expected stop or keep'))
      .default('stop')
      .describe('stop: shut the server down when leaving; keep: leave it for the culler'),
    gitpull: gitpullSchema.optional(),
    browser: browserSchema.optional(),
  })
  .strict()
  .describe('what each simulated attendee does once their server is ready');

const sloMessage =
  'expected "<metric> <agg> <op> <value>", like "launch.ready p(95) < 60s" or "launch.failed rate < 1%"';

/**
 * Check an SLO expression with the one grammar (core/slo.ts): metric names, aggregations per
 * metric type, operators and units; every problem becomes an issue of this field, with its column
 * in the expression, so it is listed with the schema's other issues.
 */
function checkSlo(expr: string, abortOnFail: boolean, ctx: z.RefinementCtx, path: PropertyKey[]): void {
  for (const p of parseOne(expr, abortOnFail).problems) {
    ctx.addIssue({ code: 'custom', path, input: expr, message: `column ${p.column}: ${p.message}` });
  }
}

const sloString = z
  .string(unlessMissing(sloMessage))
  .superRefine((expr, ctx) => checkSlo(expr, false, ctx, []));

const sloObject = z
  .object({
    threshold: z
      .string(unlessMissing(sloMessage))
      .describe('the threshold expression, as in the string form'),
    abortOnFail: z
      .boolean()
      .optional()
      .describe('end the run early once the values so far fail it (checked periodically during the run)'),
  })
  .strict()
  .superRefine((o, ctx) => checkSlo(o.threshold, o.abortOnFail ?? false, ctx, ['threshold']));

/**
 * A union reports only "Invalid input" when both forms fail on a type; name what was wrong: for a
 * mapping, the first issue of the mapping form (say `abortOnFail: expected a boolean`).
 */
function sloUnionMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const input = issue.input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const first = issue.errors[1]?.[0];
    if (first !== undefined) return `${first.path.join('.')}: ${first.message}`;
  }
  return `${sloMessage}, or a mapping {threshold: <that string>, abortOnFail: true}`;
}

const sloSchema = z
  .union([sloString, sloObject], { error: sloUnionMessage })
  .describe('a threshold, or {threshold, abortOnFail} to stop the run early once it fails');

const memoryQuantity = () =>
  parsedString(
    QUANTITY_PATTERN,
    'expected a memory quantity string like 8Gi, 512Mi, 8G or plain bytes',
    tryParseQuantity,
    'bytes',
  );

const capacitySchema = z
  .object({
    user: z
      .object({
        memory: memoryQuantity().describe('memory guarantee of one user server (Kubernetes quantity)'),
        cpu: z.number().positive().describe('CPU guarantee of one user server, in cores'),
        limit: z
          .object({
            memory: memoryQuantity()
              .optional()
              .describe('memory limit of one user server (default: the guarantee)'),
            cpu: z
              .number()
              .positive()
              .optional()
              .describe('CPU limit of one user server (default: the guarantee)'),
          })
          .strict()
          .optional()
          .describe('limits of one user server; each defaults to its guarantee'),
      })
      .strict()
      .superRefine((u, ctx) => {
        if (u.limit?.memory !== undefined && u.limit.memory < u.memory) {
          ctx.addIssue({ code: 'custom', path: ['limit', 'memory'], message: 'a limit below the guarantee' });
        }
        if (u.limit?.cpu !== undefined && u.limit.cpu < u.cpu) {
          ctx.addIssue({ code: 'custom', path: ['limit', 'cpu'], message: 'a limit below the guarantee' });
        }
      }),
    flavors: z
      .array(z.string().min(1))
      .min(1)
      .describe('node flavors to consider, e.g. [m3.large] on Jetstream2'),
    nodeReady: duration('time for a new node to join and become Ready after a scale-up'),
    profiles: z
      .record(
        z.string().min(1),
        z
          .object({
            memory: memoryQuantity().describe('memory guarantee of a server of this profile'),
            cpu: z.number().positive().optional().describe('CPU guarantee (default: user.cpu)'),
          })
          .strict(),
      )
      .optional()
      .describe('server size per profile slug: cohorts with a profile are sized by it instead of `user`'),
  })
  .strict()
  .describe('read by `rehearse plan` to size the node groups');

export const scenarioSchema = z
  .object({
    name: nameSchema('scenario name, used in run ids'),
    seed: z
      .int()
      .min(0)
      .max(4_294_967_295)
      .default(42)
      .describe('seed of every random choice (arrivals, think times); unsigned 32-bit, default 42'),
    target: targetSchema.describe('the hub under test'),
    repo: repoSchema,
    cohorts: cohortsSchema,
    session: sessionSchema,
    slo: z.array(sloSchema).default([]).describe('thresholds judged at the end of the run'),
    capacity: capacitySchema.optional(),
  })
  .strict();

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type Target = Scenario['target'];
export type Cohort = Scenario['cohorts'][number];
export type Arrival = Cohort['arrival'];
export type Session = Scenario['session'];
export type Capacity = NonNullable<Scenario['capacity']>;
