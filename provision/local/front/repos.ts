import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Repo resolution of the emulated BinderHub: `gh/<org>/<repo>/<ref>` maps to the folder
 * `<reposDir>/<org>/<repo>/`. Every ref resolves to one "commit": a hash of the folder's files, so
 * editing a bundled repo is a new ref and therefore a new (emulated) build, as on a real BinderHub.
 */

export interface ResolvedRepo {
  provider: 'gh';
  org: string;
  repo: string;
  /** The ref as asked for (e.g. HEAD). */
  ref: string;
  /** 40-hex "commit" of the folder's content. */
  resolvedRef: string;
  repoUrl: string;
  refUrl: string;
  image: string;
  binderRequest: string;
  binderPersistentRequest: string;
  dir: string;
}

export type ResolveResult = { ok: true; repo: ResolvedRepo } | { ok: false; message: string };

const NAME = /^[A-Za-z0-9_.-]+$/;

export function resolveSpec(reposDir: string, providerPrefix: string, spec: string): ResolveResult {
  if (providerPrefix !== 'gh') {
    return {
      ok: false,
      message: `The local emulation of BinderHub only serves gh/<org>/<repo>/<ref> specs from ${reposDir}; got ${providerPrefix}/${spec}`,
    };
  }
  const parts = spec.replace(/\/+$/, '').split('/');
  const [org, repo, ...refParts] = parts;
  const ref = refParts.join('/');
  if (!org || !repo || !ref || !NAME.test(org) || !NAME.test(repo)) {
    return {
      ok: false,
      message: `Could not resolve ref for gh:${spec}. Double check your URL and that your repo is public.`,
    };
  }
  const dir = join(reposDir, org, repo);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    return {
      ok: false,
      message: `Could not resolve ref for gh:${spec}. Double check your URL and that your repo is public.`,
    };
  }
  const resolvedRef = hashFolder(dir);
  const repoUrl = `https://github.com/${org}/${repo}`;
  return {
    ok: true,
    repo: {
      provider: 'gh',
      org,
      repo,
      ref,
      resolvedRef,
      repoUrl,
      refUrl: `${repoUrl}/tree/${resolvedRef}`,
      image: `local/${org}/${repo}:${resolvedRef}`,
      binderRequest: `v2/gh/${org}/${repo}/${ref}`,
      binderPersistentRequest: `v2/gh/${org}/${repo}/${resolvedRef}`,
      dir,
    },
  };
}

function hashFolder(dir: string): string {
  const h = createHash('sha1');
  for (const file of listFiles(dir)) {
    h.update(relative(dir, file));
    h.update('\0');
    h.update(readFileSync(file));
    h.update('\0');
  }
  return h.digest('hex');
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
