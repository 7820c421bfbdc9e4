import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { InputError } from '../../core/errors.js';
import { loadScenario } from '../../scenarios/load.js';
import { isRepoListText, loadRepoList } from '../../scenarios/repo-list.js';
import { REPO_SPEC_PATTERN, type Target } from '../../scenarios/schema.js';
import type { CheckRepo } from './check.js';

/**
 * What `rehearse check <input>` checks, from its one argument:
 *
 *   gh/<org>/<repo>/<ref>   a repo spec, launched as is (local target unless --target says otherwise)
 *   <folder>                a repo folder: the local target's emulated image carries it; the
 *                           folder `<root>/<org>/<repo>` is served as gh/<org>/<repo>/HEAD from
 *                           reposDir `<root>` (the bundled scenarios/repos/<org>/<repo> are such)
 *   <file>.yaml             a repo list (top-level `repos:`, scenarios/repo-list.ts) or a
 *                           scenario (its target, repo and `session.notebooks`)
 */
export interface CheckInput {
  name: string;
  target: Target;
  repos: CheckRepo[];
  /** For a folder: the reposDir the local target must serve it from. */
  reposDir?: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

export async function resolveCheckInput(arg: string): Promise<CheckInput> {
  if (REPO_SPEC_PATTERN.test(arg) && !existsSync(arg)) {
    return {
      name: nameOf(arg.split('/').slice(1, 3).join('-')),
      target: { kind: 'local' },
      repos: [{ spec: arg }],
    };
  }
  if (!existsSync(arg)) {
    throw new InputError('CHECK_INPUT', `${arg}: no such file or folder, and not a repo spec`, {
      hint: 'Give a scenario or repo-list YAML file, a repo folder, or a spec like gh/<org>/<repo>/<ref>.',
    });
  }
  if (statSync(arg).isDirectory()) return folderInput(arg);
  const text = readFileSync(arg, 'utf8');
  if (isRepoListText(text)) {
    const list = loadRepoList(arg);
    return { name: list.name, target: list.target, repos: list.repos };
  }
  const { scenario } = await loadScenario(arg);
  const notebooks = scenario.session.notebooks;
  return {
    name: scenario.name,
    target: scenario.target,
    repos: [{ spec: scenario.repo, ...(notebooks ? { notebooks } : {}) }],
  };
}

function folderInput(folder: string): CheckInput {
  const real = realpathSync(folder);
  const repo = basename(real);
  const org = basename(dirname(real));
  const reposDir = dirname(dirname(real));
  if (!NAME.test(repo) || !NAME.test(org) || reposDir === dirname(reposDir)) {
    throw new InputError('CHECK_INPUT', `${folder}: cannot serve this folder as a repo`, {
      hint: 'Put it at <root>/<org>/<repo>/ with names of letters, digits, ".", "_" or "-" (it is launched as gh/<org>/<repo>/HEAD).',
    });
  }
  return {
    name: nameOf(repo),
    target: { kind: 'local' },
    repos: [{ spec: `gh/${org}/${repo}/HEAD` }],
    reposDir,
  };
}

function nameOf(text: string): string {
  return `check-${text.replace(/[^A-Za-z0-9._-]+/g, '-')}`.slice(0, 63);
}
