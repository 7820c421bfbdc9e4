import { request } from 'undici';
import { ExitCode } from '../../core/errors.js';
import { HubApiError } from './hub-model.js';

/**
 * A person's session on a JupyterHub: the login form, then cookies. Checked against JupyterHub 5
 * (`handlers/login.py`, `handlers/base.py`): GET /hub/login sets the `_xsrf` cookie and renders
 * the form with a hidden `_xsrf` input; POST /hub/login with username, password and `_xsrf`
 * answers 302 with `jupyterhub-hub-login` / `jupyterhub-session-id` cookies, or 200 with the form
 * again ("Invalid username or password"). Since 4.0, cookie-authenticated API calls need the
 * `X-XSRFToken` header matching the `_xsrf` cookie (token-authenticated ones do not). Works with
 * DummyAuthenticator, NativeAuthenticator and any authenticator that uses the stock login form.
 *
 * The password comes from the caller (an environment variable); it is never logged or kept.
 */
export class HubSession {
  readonly hubUrl: string;
  readonly cookies = new Map<string, string>();
  constructor(
    hubUrl: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.hubUrl = hubUrl.endsWith('/') ? hubUrl : `${hubUrl}/`;
  }

  /** The page's token (JupyterHub >= 4 binds it to the login session), else the `_xsrf` cookie. */
  private pageXsrf: string | undefined;
  get xsrf(): string | undefined {
    return this.pageXsrf ?? this.cookies.get('_xsrf');
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Cookies as a browser context takes them (Playwright's addCookies shape). */
  browserCookies(): { name: string; value: string; url: string }[] {
    return [...this.cookies].map(([name, value]) => ({ name, value, url: this.hubUrl }));
  }

  /** Headers of a request in this session (for callers that stream the answer themselves). */
  headers(): Record<string, string> {
    return { cookie: this.cookieHeader() };
  }

  /** Keep the cookies an answer sets. */
  keep(setCookie: string | string[] | undefined): void {
    for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '""') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request with our cookies; redirects are not followed (the caller follows them). */
  async fetch(
    url: string,
    o: {
      method?: 'GET' | 'POST' | 'DELETE';
      form?: [string, string][];
      json?: unknown;
      signal?: AbortSignal;
    } = {},
  ): Promise<{ status: number; location?: string; body: string; url: string }> {
    const headers: Record<string, string> = { cookie: this.cookieHeader() };
    let body: string | undefined;
    if (o.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(o.form).toString();
    } else if (o.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    if (o.method && o.method !== 'GET') {
      if (this.xsrf) headers['x-xsrftoken'] = this.xsrf;
      // JupyterHub 3 checks that a cookie-authenticated API call comes from its own pages.
      headers.referer = `${this.hubUrl}hub/home`;
    }
    const signal = o.signal
      ? AbortSignal.any([o.signal, AbortSignal.timeout(this.timeoutMs)])
      : AbortSignal.timeout(this.timeoutMs);
    const res = await request(url, { method: o.method ?? 'GET', headers, body, signal });
    this.keep(res.headers['set-cookie']);
    const text = await res.body.text();
    const loc = res.headers.location;
    return {
      status: res.statusCode,
      location: typeof loc === 'string' ? new URL(loc, url).href : undefined,
      body: text,
      url,
    };
  }

  /** GET the form (for its XSRF token), POST the credentials; throws HubApiError `auth` when refused. */
  async login(username: string, password: string, signal?: AbortSignal): Promise<void> {
    const loginUrl = `${this.hubUrl}hub/login`;
    const page = await this.fetch(loginUrl, { signal });
    if (page.status !== 200) {
      throw new HubApiError('unexpected-status', `GET ${loginUrl} answered ${page.status}`, {
        status: page.status,
      });
    }
    const hidden = /name="_xsrf"\s+value="([^"]+)"/.exec(page.body)?.[1];
    const xsrf = hidden ?? this.xsrf;
    const form: [string, string][] = [
      ['username', username],
      ['password', password],
    ];
    if (xsrf) form.push(['_xsrf', decodeEntities(xsrf)]);
    this.pageXsrf = undefined;
    const res = await this.fetch(loginUrl, { method: 'POST', form, signal });
    if (res.status === 302) {
      // As the hub's pages' scripts do: the XSRF token of the new session, from a page (window.jhdata).
      const home = await this.fetch(`${this.hubUrl}hub/home`, { signal });
      this.pageXsrf = /xsrf_token:\s*"([^"]+)"/.exec(home.body)?.[1];
      return;
    }
    const why = /<p class="login_error">\s*([^<]+)/.exec(res.body)?.[1]?.trim();
    throw new HubApiError(
      'auth',
      `the hub refused the login of ${username} (${res.status}${why ? `: ${why}` : ''})`,
      {
        status: res.status,
        exitCode: ExitCode.unreachable,
        hint: 'Check the password in the login auth passwordEnv, and that the hub uses the stock login form.',
        ...(why ? { hubMessage: why } : {}),
      },
    );
  }
}

function decodeEntities(s: string): string {
  return s
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
}
