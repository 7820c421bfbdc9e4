/**
 * A list of workshop repos for `rehearse check` (a cookbook gallery checked nightly):
 *
 *   name: pythia-cookbooks          # names the run record (default: the file's name)
 *   target: { kind: binderhub, url: https://binder.example.org }   # default: local
 *   repos:
 *     - gh/ProjectPythia/pythia-foundations/main
 *     - { repo: gh/ProjectPythia/xarray-cookbook/main, notebooks: ["notebooks/**\/*.ipynb"] }
 *
 * Strict like the scenario schema; targets and repo specs are the scenario's own schemas.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import { NAME_PATTERN, REPO_SPEC_PATTERN, scenarioSchema } from './schema.js';

const repoSpec = z.string().regex(REPO_SPEC_PATTERN, 'expected a repo spec like gh/<org>/<repo>/<ref>');

const repoEntry = z.union([
  repoSpec,
  z.object({ repo: repoSpec, notebooks: z.array(z.string().min(1)).min(1).optional() }).strict(),
]);

export const repoListSchema = z
  .object({
    name: z.string().regex(NAME_PATTERN).optional(),
    target: scenarioSchema.shape.target.optional(),
    repos: z.array(repoEntry).min(1),
  })
  .strict();

export interface RepoList {
  name: string;
  target: z.output<typeof scenarioSchema.shape.target>;
  repos: { spec: string; notebooks?: string[] }[];
}

/** Is this YAML text a repo list (a top-level `repos:` key) rather than a scenario? */
export function isRepoListText(text: string): boolean {
  return /^repos\s*:/m.test(text);
}

export function loadRepoList(file: string): RepoList {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError('REPO_LIST_INVALID', `${file}: ${(err as Error).message}`, { cause: err });
  }
  const r = repoListSchema.safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${file} ${i.path.join('.') || '(list)'}: ${i.message}`);
    throw new InputError('REPO_LIST_INVALID', issues.join('\n'), {
      hint: 'A repo list is `repos:` with repo specs (gh/<org>/<repo>/<ref>) or {repo, notebooks}, and optionally `name:` and `target:` as in a scenario.',
    });
  }
  const { name, target, repos } = r.data;
  return {
    name: name ?? basename(file, extname(file)).replace(/[^A-Za-z0-9._-]+/g, '-'),
    target: target ?? { kind: 'local' },
    repos: repos.map((e) =>
      typeof e === 'string'
        ? { spec: e }
        : { spec: e.repo, ...(e.notebooks ? { notebooks: e.notebooks } : {}) },
    ),
  };
}
