import { randomBytes, randomUUID } from 'node:crypto';
import { createParser } from 'eventsource-parser';

/**
 * Launching through the JupyterHub REST API the way BinderHub's `Launcher` does
 * (binderhub/launcher.py and BuildHandler.launch in builder.py):
 * a temporary user named from the repo plus 8 random [a-z0-9] characters, `POST users/{name}`,
 * `POST users/{name}/servers/` with the user_options BinderHub sends, then the progress stream,
 * each message forwarded as a `launching` event. A failed attempt is retried `retries` times with
 * a doubling delay (4, 8, 16 s), each with a new user name.
 *
 * One deliberate difference: a failed attempt's temporary user is deleted here (BinderHub leaves
 * it to the culler), so that a rehearsal leaves nothing behind on the local hub.
 */

export interface LaunchSettings {
  /** Hub API base, e.g. http://127.0.0.1:8000/hub/api/ */
  hubApiUrl: string;
  /** Public hub URL, e.g. http://127.0.0.1:8000/ (the `url` in `ready` is built from it). */
  hubUrl: string;
  hubToken: string;
  retries: number;
  retryDelayMs: number;
  launchTimeoutMs: number;
}

export interface LaunchRequest {
  image: string;
  repoUrl: string;
  extra: Record<string, string>;
  emit: (message: string) => void;
  sleep: (ms: number) => Promise<void>;
}

export interface ServerInfo {
  url: string;
  token: string;
  image: string;
  repo_url: string;
  [k: string]: string;
}

export class LaunchError extends Error {}

const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** BinderHub's `unique_name_from_repo`. */
export function uniqueNameFromRepo(repoUrl: string): string {
  let prefix = new URL(repoUrl.includes('://') ? repoUrl : `http://${repoUrl}`).pathname
    .replace(/^\/+|\/+$/g, '')
    .replaceAll('/', '-')
    .toLowerCase();
  if (prefix.endsWith('.git')) prefix = prefix.slice(0, -4);
  if (prefix.length > 32) prefix = `${prefix.slice(0, 15)}-${prefix.slice(-15)}`;
  const bytes = randomBytes(8);
  const suffix = Array.from(bytes, (b) => SUFFIX_CHARS[b % SUFFIX_CHARS.length]).join('');
  return `${prefix}-${suffix}`;
}

export class Launcher {
  constructor(private readonly s: LaunchSettings) {}

  async launch(req: LaunchRequest): Promise<ServerInfo> {
    let delay = this.s.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      const username = uniqueNameFromRepo(req.repoUrl);
      try {
        return await this.attempt(username, req);
      } catch (err) {
        await this.removeUser(username);
        if (attempt >= this.s.retries) throw err;
        req.emit(`Launch attempt ${attempt} failed, retrying...\n`);
        await req.sleep(delay);
        delay *= 2;
      }
    }
  }

  private async attempt(username: string, req: LaunchRequest): Promise<ServerInfo> {
    const user = encodeURIComponent(username);
    const created = await this.api('POST', `users/${user}`);
    if (created.status !== 201) {
      throw new LaunchError(`Failed to create temporary user for ${req.image}`);
    }
    const data: ServerInfo = {
      image: req.image,
      repo_url: req.repoUrl,
      token: Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url'),
      url: '',
      ...req.extra,
    };
    const { url: _omit, ...userOptions } = data;
    const started = await this.api('POST', `users/${user}/servers/`, userOptions);
    if (started.status !== 201 && started.status !== 202) {
      throw new LaunchError(`Failed to launch image ${req.image}`);
    }
    await this.followProgress(user, username, req);
    return { ...data, url: `${this.s.hubUrl}user/${user}/` };
  }

  private async followProgress(user: string, username: string, req: LaunchRequest): Promise<void> {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), this.s.launchTimeoutMs);
    let outcome: 'ready' | 'failed' | null = null;
    let failMessage = '';
    try {
      const res = await fetch(`${this.s.hubApiUrl}users/${user}/server/progress`, {
        headers: { Authorization: `token ${this.s.hubToken}`, Accept: 'text/event-stream' },
        signal: ctl.signal,
      });
      if (res.status !== 200 || !res.body) throw new LaunchError(`Failed to launch image ${req.image}`);
      const parser = createParser({
        onEvent: (ev) => {
          if (!ev.data || outcome) return;
          const event = JSON.parse(ev.data) as { message?: string; ready?: boolean; failed?: boolean };
          req.emit(`${event.message ?? ''}\n`);
          if (event.ready) outcome = 'ready';
          else if (event.failed) {
            outcome = 'failed';
            failMessage = event.message ?? 'unknown error';
          }
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (outcome) break;
      }
    } catch (err) {
      if (ctl.signal.aborted) {
        throw new LaunchError(`Image ${req.image} for user ${username} took too long to launch`);
      }
      if (err instanceof LaunchError) throw err;
      throw new LaunchError(`Failed to launch image ${req.image}`, { cause: err });
    } finally {
      clearTimeout(timer);
      ctl.abort();
    }
    if (outcome === 'failed') throw new LaunchError(failMessage);
    if (outcome !== 'ready')
      throw new LaunchError(`Image ${req.image} for user ${username} failed to launch`);
  }

  /** Best-effort removal of a failed attempt's user, bounded in time. */
  private async removeUser(username: string): Promise<void> {
    const user = encodeURIComponent(username);
    const deadline = Date.now() + 30_000;
    let last = '';
    while (Date.now() < deadline) {
      try {
        const res = await this.api('DELETE', `users/${user}`);
        if (res.status === 204 || res.status === 404) return;
        last = `HTTP ${res.status}`; // 400 "in the process of stopping": wait and retry
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    // `rehearse down local` removes it with the whole hub; say so in the front's log.
    console.error(`could not delete the failed attempt's user ${username} within 30 s (last: ${last})`);
  }

  /** Count of running servers (the launch quota's `total`). */
  async runningServers(): Promise<number> {
    const limit = 200;
    let total = 0;
    for (let offset = 0; ; offset += limit) {
      const res = await this.api('GET', `users?state=active&offset=${offset}&limit=${limit}`);
      if (res.status !== 200) throw new LaunchError(`hub answered ${res.status} to a user listing`);
      const users = res.body as { servers?: Record<string, unknown> }[];
      total += users.reduce((n, u) => n + Object.keys(u.servers ?? {}).length, 0);
      if (users.length < limit) return total;
    }
  }

  async hubHealthy(): Promise<boolean> {
    const res = await this.api('GET', '').catch(() => null);
    return res?.status === 200;
  }

  private async api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.s.hubApiUrl}${path}`, {
      method,
      headers: { Authorization: `token ${this.s.hubToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }
}
