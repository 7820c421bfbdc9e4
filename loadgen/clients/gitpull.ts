import { request } from 'undici';
import { RehearseError } from '../../core/errors.js';
import type { GitpullSpec } from '../../scenarios/workshop.js';
import { SseStallError, sseData } from './sse.js';

/**
 * The nbgitpuller link, followed as a browser follows it (nbgitpuller/handlers.py @ f7dce435):
 *
 *   GET <hub>/hub/user-redirect/git-pull?repo=…&branch=…&urlpath=…   (the link people click)
 *     302 → <hub>/user/<name>/git-pull?…                               (JupyterHub's user-redirect)
 *     200   nbgitpuller's status page (UIHandler), whose script opens
 *   GET <hub>/user/<name>/git-pull/api?repo=…&branch=…&targetpath=…    (SyncHandler, text/event-stream)
 *     data: {"phase":"syncing","output":"…"} …  then {"phase":"finished"} | {"phase":"error","message":…}
 *
 * and then the page goes to `urlpath`. A named server has no user-redirect: its link is
 * `<hub>/user/<name>/<server>/git-pull?…`. Auth is the user's token in the Authorization header
 * (what jupyterhub-simulator sends) or a logged-in session's cookies.
 */

export class GitpullError extends RehearseError {
  constructor(
    message: string,
    readonly output?: string,
  ) {
    super('GITPULL_FAILED', message);
    this.name = 'GitpullError';
  }
}

/** A token header, or a logged-in session (HubSession) whose cookies the chain updates. */
export interface GitpullAuth {
  headers(): Record<string, string>;
  keep?(setCookie: string | string[] | undefined): void;
}

/** The query nbgitpuller's UIHandler reads. `repo` is used as given (a URL or a path). */
export function gitpullQuery(g: GitpullSpec): URLSearchParams {
  const q = new URLSearchParams({ repo: g.repo });
  if (g.branch) q.set('branch', g.branch);
  if (g.urlpath) q.set('urlpath', g.urlpath);
  if (g.targetPath) q.set('targetpath', g.targetPath);
  return q;
}

/**
 * The link an instructor hands out: through user-redirect; straight to the server for a named
 * server (user-redirect knows only the default one) or `direct` (a token-authenticated client: the
 * hub's pages take no API token since JupyterHub 4, the user's server does).
 */
export function gitpullLink(
  hubUrl: string,
  g: GitpullSpec,
  to?: { user: string; server?: string; direct?: boolean },
): string {
  const base = hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`;
  const q = gitpullQuery(g).toString();
  if (to?.server)
    return `${base}user/${encodeURIComponent(to.user)}/${encodeURIComponent(to.server)}/git-pull?${q}`;
  if (to?.direct) return `${base}user/${encodeURIComponent(to.user)}/git-pull?${q}`;
  return `${base}hub/user-redirect/git-pull?${q}`;
}

/** nbgitpuller's default target folder: the repo's last path part (UIHandler). */
export function gitpullTarget(g: GitpullSpec): string {
  return g.targetPath ?? g.repo.replace(/\/+$/, '').split('/').at(-1) ?? 'repo';
}

export interface GitpullResult {
  /** Each URL the chain went through, the link first. */
  chain: string[];
  /** The pull's own output lines (git's), last few. */
  output: string[];
}

export async function followGitpull(o: {
  link: string;
  spec: GitpullSpec;
  auth: GitpullAuth;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<GitpullResult> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([timeout, o.signal]) : timeout;
  const chain: string[] = [o.link];
  let url = o.link;
  try {
    for (let hop = 0; ; hop++) {
      if (hop > 10) throw new GitpullError(`the link redirected more than 10 times (${chain.join(' → ')})`);
      const res = await request(url, { method: 'GET', headers: o.auth.headers(), signal });
      o.auth.keep?.(res.headers['set-cookie']);
      const body = await res.body.text();
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        url = new URL(String(res.headers.location), url).href;
        chain.push(url);
        continue;
      }
      if (res.statusCode !== 200) {
        throw new GitpullError(
          `GET ${new URL(url).pathname} answered ${res.statusCode}${res.statusCode === 404 ? ' (is nbgitpuller installed on the server?)' : ''}: ${body.slice(0, 200)}`,
        );
      }
      if (!new URL(url).pathname.endsWith('/git-pull')) {
        const login = new URL(url).pathname.endsWith('/hub/login');
        throw new GitpullError(
          `the link ended at ${new URL(url).pathname}, not at nbgitpuller's /git-pull page${login ? ' (the hub wants a login: JupyterHub >= 4 does not take API tokens on its pages)' : ''}`,
        );
      }
      break;
    }
    // The status page's script: EventSource on <server>/git-pull/api with repo, branch, depth, targetpath.
    const api = new URL(url);
    api.pathname = `${api.pathname}/api`;
    const q = gitpullQuery(o.spec);
    q.delete('urlpath');
    q.set('targetpath', gitpullTarget(o.spec));
    api.search = q.toString();
    chain.push(api.href);
    const res = await request(api.href, {
      method: 'GET',
      headers: { ...o.auth.headers(), accept: 'text/event-stream' },
      signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) {
      throw new GitpullError(
        `GET ${api.pathname} answered ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`,
      );
    }
    const output: string[] = [];
    for await (const data of sseData(res.body, { stallMs: Math.min(o.timeoutMs, 120_000) })) {
      let ev: { phase?: string; output?: string; message?: string };
      try {
        ev = JSON.parse(data) as typeof ev;
      } catch {
        continue;
      }
      if (ev.output) output.push(...ev.output.trimEnd().split('\n').slice(-5));
      if (ev.phase === 'finished') return { chain, output: output.slice(-10) };
      if (ev.phase === 'error')
        throw new GitpullError(`nbgitpuller: ${ev.message ?? 'error'}`, ev.output?.slice(-500));
    }
    throw new GitpullError('the git-pull event stream ended before "finished"');
  } catch (err) {
    if (err instanceof GitpullError) throw err;
    if (err instanceof SseStallError)
      throw new GitpullError(`the git-pull event stream went silent for ${err.stallMs} ms`);
    if (timeout.aborted) throw new GitpullError(`the pull did not finish within ${o.timeoutMs} ms`);
    throw new GitpullError(`following the nbgitpuller link failed: ${(err as Error).message}`);
  }
}
