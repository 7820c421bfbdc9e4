/**
 * Scenario parts for workshops the way 2i2c hubs run them (issue hub-workshops): server options
 * per cohort (KubeSpawner profile_list slug, profile_options choices, raw user_options, a named
 * server), the nbgitpuller link as a session step, browser canaries, and how attendees
 * authenticate to a plain JupyterHub. Strict objects; schema.ts hooks them in.
 */
import { z } from 'zod';

/** A profile_options value: a listed choice's key, or `{unlisted: value}` for its free-form field. */
const profileOptionValue = z.union([
  z.string().min(1),
  z
    .object({ unlisted: z.string().min(1).describe("the free-form value (KubeSpawner's unlisted_choice)") })
    .strict(),
]);

/** Server options of a cohort, sent as the JupyterHub REST API's user_options JSON body. */
export const serverOptionFields = {
  profile: z
    .string()
    .min(1)
    .optional()
    .describe('the KubeSpawner profile_list slug to start (user_options "profile")'),
  profileOptions: z
    .record(z.string().min(1), profileOptionValue)
    .optional()
    .describe(
      'profile_options of that profile: option → choice key, or {unlisted: value} for its unlisted_choice',
    ),
  userOptions: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('raw user_options merged into the body as they are (for spawners other than KubeSpawner)'),
  server: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, {
      error: "expected a server name: letters, digits, '.', '_', '-'",
    })
    .optional()
    .describe(
      'start a named server of this name instead of the default one (the hub must allow named servers)',
    ),
};

export const gitpullSchema = z
  .object({
    repo: z
      .string()
      .min(1)
      .describe(
        'git repository URL; on the local target also a folder relative to the scenario, committed into a local git repository',
      ),
    branch: z.string().min(1).optional().describe('branch to pull (nbgitpuller: the remote default)'),
    urlpath: z
      .string()
      .min(1)
      .optional()
      .describe('where the link lands after the pull, e.g. lab/tree/<repo folder>/intro.ipynb'),
    targetPath: z.string().min(1).optional().describe('folder in the home (nbgitpuller: the repo name)'),
    timeout: z.number().int().positive().optional().describe('bound on the pull, in seconds (default 300)'),
  })
  .strict()
  .describe(
    'after the server is ready, follow the nbgitpuller link through the hub (timed as launch.gitpull)',
  );

export const browserSchema = z
  .object({
    fraction: z.number().gt(0).max(1).optional().describe('share of attendees driven by a real browser'),
    count: z.int().min(1).optional().describe('number of attendees driven by a real browser'),
    timeout: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('bound on one canary from the link to the cell output, in seconds (default 180)'),
  })
  .strict()
  .refine((b) => (b.fraction === undefined) !== (b.count === undefined), {
    error: 'give exactly one of fraction or count',
  })
  .describe('canary attendees in headless Chromium, from the link to an interactive JupyterLab');

export const hubAuthSchema = z
  .discriminatedUnion('kind', [
    z
      .object({ kind: z.literal('admin') })
      .strict()
      .describe('the admin token (tokenEnv) creates users and starts their servers (the default)'),
    z
      .object({
        kind: z.literal('login'),
        passwordEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .describe('NAME of the env var holding the login form password (DummyAuthenticator style)'),
        users: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe('user names to log in as, in arrival order (default: generated names)'),
      })
      .strict()
      .describe('each attendee logs in through /hub/login (with its XSRF token) and starts its own server'),
    z
      .object({
        kind: z.literal('tokens'),
        tokensEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .describe('NAME of the env var holding "user:token" pairs, comma or newline separated'),
      })
      .strict()
      .describe("each attendee uses its own user's API token (jupyterhub-simulator's route)"),
  ])
  .describe('how attendees authenticate to the hub');

/** A cohort's server options as parsed (the fields of `serverOptionFields`). */
export type ServerOptionFields = {
  profile?: string;
  profileOptions?: Record<string, string | { unlisted: string }>;
  userOptions?: Record<string, unknown>;
  server?: string;
};
export type GitpullSpec = z.output<typeof gitpullSchema>;
export type BrowserSpec = z.output<typeof browserSchema>;
export type HubAuth = z.output<typeof hubAuthSchema>;
