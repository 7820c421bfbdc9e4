/**
 * Where `--live [host:port]` and `--metrics <host:port>` listen, and who may read them.
 *
 * Default 127.0.0.1 on a free port (port 0: the kernel picks). Any address that is not loopback
 * serves the run to other machines — over plain HTTP, so the token in the URL travels unencrypted —
 * and needs `--live-public` on purpose (InputError, exit 2, otherwise). Every request must carry the
 * run's access token, as `?token=…` or `Authorization: Bearer …` (Prometheus' scrape config can send
 * either: `params: { token: [...] }`, or `authorization: { credentials_file: ... }`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { InputError } from '../core/errors.js';

export interface ListenAddress {
  host: string;
  /** 0: a free port, chosen when listening. */
  port: number;
}

/** The environment variable that fixes the access token (e.g. the one a Prometheus config holds). */
export const TOKEN_ENV = 'REHEARSE_LIVE_TOKEN';

/**
 * `host:port`, `:port`, `port`, `host`, `[v6]:port`; `true` (the bare flag) is 127.0.0.1 on a
 * free port. `flag` names the option in messages.
 */
export function parseListen(value: string | true, o: { flag: string; allowPublic: boolean }): ListenAddress {
  const addr = value === true ? { host: '127.0.0.1', port: 0 } : split(value, o.flag);
  if (!o.allowPublic && !isLoopback(addr.host)) {
    throw new InputError(
      'LIVE_NOT_LOOPBACK',
      `${o.flag} ${hostPort(addr)} would serve the run's live page and metrics to other machines, over plain HTTP (the access token in its URL travels unencrypted)`,
      {
        hint: `Keep it on this machine (${o.flag} 127.0.0.1:PORT, then an SSH tunnel), or add --live-public to serve it on ${addr.host} on purpose.`,
      },
    );
  }
  return addr;
}

function split(value: string, flag: string): ListenAddress {
  const bad = (why: string) =>
    new InputError('FLAG_INVALID', `${flag} ${JSON.stringify(value)}: ${why}`, {
      hint: `Give host:port (e.g. ${flag} 127.0.0.1:9464), :port, or nothing (127.0.0.1, a free port).`,
    });
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  let host: string;
  let portText: string | undefined;
  if (v6) {
    host = v6[1] as string;
    portText = v6[2];
  } else if (/^\d+$/.test(value)) {
    host = '127.0.0.1';
    portText = value;
  } else {
    const i = value.lastIndexOf(':');
    if (i >= 0 && value.indexOf(':') !== i) throw bad('an IPv6 address goes in brackets, [::1]:9464');
    host = i >= 0 ? value.slice(0, i) : value;
    portText = i >= 0 ? value.slice(i + 1) : undefined;
  }
  if (host === '') host = '127.0.0.1';
  if (host !== 'localhost' && isIP(host) === 0 && !/^[a-zA-Z0-9.-]+$/.test(host))
    throw bad('not a host name');
  const port = portText === undefined || portText === '' ? 0 : Number(portText);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw bad('the port must be 0..65535');
  return { host, port };
}

/** 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function hostPort(a: ListenAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** The run's access token: $REHEARSE_LIVE_TOKEN when set, else 128 random bits (hex). */
export function accessToken(env: NodeJS.ProcessEnv): string {
  const fixed = env[TOKEN_ENV];
  if (fixed !== undefined && fixed !== '') {
    if (!/^[\x21-\x7e]{16,}$/.test(fixed)) {
      throw new InputError(
        'FLAG_INVALID',
        `$${TOKEN_ENV} must be at least 16 printable characters, no spaces`,
      );
    }
    return fixed;
  }
  return randomBytes(16).toString('hex');
}

/** Does a request carry the token (query `token`, or `Authorization: Bearer`)? Constant time. */
export function hasToken(url: URL, authorization: string | undefined, token: string): boolean {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  const given = url.searchParams.get('token') ?? bearer;
  if (given === null || given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
