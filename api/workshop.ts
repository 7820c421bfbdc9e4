import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../core/errors.js';
import type { RecordedTarget } from '../loadgen/record/types.js';
import type { UserContext } from '../loadgen/runner/user.js';
import type { WorkshopHubTarget } from '../loadgen/workshop/hub-target.js';
import type { LoadedScenario } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/schema.js';
import type { GitpullSpec } from '../scenarios/workshop.js';
import type { LibraryIO } from './io.js';

/**
 * `rehearse run` for workshop scenarios (issue hub-workshops): when a cohort carries server options
 * or a named server, or the session follows an nbgitpuller link or drives browser canaries, users
 * launch through the JupyterHub REST API (the local target's hub, or a jupyterhub target) instead
 * of the BinderHub front, and the workshop steps run after each launch.
 */

export function isWorkshop(s: Pick<Scenario, 'cohorts' | 'session' | 'target'>): boolean {
  return (
    s.cohorts.some(
      (c) =>
        c.profile !== undefined ||
        c.profileOptions !== undefined ||
        c.userOptions !== undefined ||
        c.server !== undefined,
    ) ||
    s.session.gitpull !== undefined ||
    s.session.browser !== undefined ||
    (s.target.kind === 'jupyterhub' && s.target.auth !== undefined && s.target.auth.kind !== 'admin')
  );
}

export interface WorkshopParts {
  adapter: WorkshopHubTarget;
  workshop: (o: { recordDir: string; plannedUsers: number }) => UserContext['workshop'];
}

/**
 * A `gitpull.repo` that is not a URL, on the local target: a folder (relative to the scenario) that
 * is committed into a git repository in the stack's state folder (which the stack's servers see),
 * so nbgitpuller clones it by path: no network.
 */
export function localGitRepo(spec: GitpullSpec, baseDir: string, stateDir: string): GitpullSpec {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec.repo)) return spec;
  const src = isAbsolute(spec.repo) ? spec.repo : resolve(baseDir, spec.repo);
  if (existsSync(join(src, '.git'))) return { ...spec, repo: src };
  if (!existsSync(src)) {
    throw new InputError('GITPULL_REPO_MISSING', `session.gitpull.repo: no folder ${src}`, {
      hint: 'Give a git URL, or (local target) a folder relative to the scenario file.',
    });
  }
  const dest = join(stateDir, 'git', basename(src));
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dest, ...args], {
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'rehearse',
        GIT_AUTHOR_EMAIL: 'rehearse@localhost',
        GIT_COMMITTER_NAME: 'rehearse',
        GIT_COMMITTER_EMAIL: 'rehearse@localhost',
      },
    });
  git('init', '-q', '-b', spec.branch ?? 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'workshop content (rehearse)');
  return { ...spec, repo: dest, branch: spec.branch ?? 'main' };
}

export async function workshopParts(
  io: LibraryIO,
  loaded: Pick<LoadedScenario, 'scenario' | 'baseDir'>,
  hub: {
    hubUrl: string;
    adminToken?: string;
    tokenEnv?: string;
    loginPassword?: string;
    stateDir?: string;
    runTag: string;
  },
  describe: RecordedTarget,
  launchTimeoutMs: number,
): Promise<WorkshopParts> {
  const { WorkshopHubTarget, parseUserTokens } = await import('../loadgen/workshop/hub-target.js');
  const { WorkshopSteps } = await import('../loadgen/workshop/steps.js');
  const s = loaded.scenario;
  const auth = s.target.kind === 'jupyterhub' && s.target.auth ? s.target.auth : { kind: 'admin' as const };
  const fromEnv = (name: string, what: string) => {
    const v = io.env[name];
    if (!v)
      throw new InputError('TOKEN_MISSING', `${what}: the environment variable ${name} is empty or unset`);
    return v;
  };
  const password = auth.kind === 'login' ? fromEnv(auth.passwordEnv, 'auth.passwordEnv') : hub.loginPassword;
  const userTokens =
    auth.kind === 'tokens' ? parseUserTokens(fromEnv(auth.tokensEnv, 'auth.tokensEnv')) : undefined;
  const adapter = new WorkshopHubTarget({
    hubUrl: hub.hubUrl,
    adminToken: hub.adminToken,
    tokenEnv: hub.tokenEnv,
    auth,
    password,
    userTokens,
    cohorts: s.cohorts,
    runTag: hub.runTag,
    launchTimeoutMs,
    describe,
  });
  const gitpull =
    s.session.gitpull && hub.stateDir
      ? localGitRepo(s.session.gitpull, loaded.baseDir, hub.stateDir)
      : s.session.gitpull;
  return {
    adapter,
    workshop: ({ recordDir, plannedUsers }) =>
      new WorkshopSteps({
        hubUrl: hub.hubUrl,
        gitpull,
        browser: s.session.browser,
        loginPassword: password,
        recordDir,
        plannedUsers,
      }),
  };
}

/** The local stack's login password (beside its token), if it has one. */
export function readLoginPassword(stateDir: string): string | undefined {
  const f = join(stateDir, 'login-password');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
}
