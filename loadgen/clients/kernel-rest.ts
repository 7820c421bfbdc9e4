import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import { ExitCode, RehearseError } from '../../core/errors.js';
import { field, HttpFailure, type JsonAnswer, jsonRequest } from './json-http.js';

/**
 * Jupyter Server REST (`<serverUrl>api/…`), checked against jupyter_server 1.23
 * `services/kernels/handlers.py`, `services/api/handlers.py` and `services/shutdown.py`. The token
 * goes in `Authorization: token <t>` (1.x accepts `token`, not `Bearer`; token-authenticated
 * requests skip the XSRF check). Errors are `{"message", "reason"}`.
 */

export type KernelErrorReason =
  | 'ws-failed'
  | 'ws-auth'
  | 'timeout'
  | 'kernel-died'
  | 'protocol'
  | 'http'
  | 'unreachable';

export class KernelError extends RehearseError {
  readonly reason: KernelErrorReason;
  /** HTTP status of a REST answer or of a refused websocket handshake. */
  readonly status: number | undefined;
  /** The server's `message`, when it sent one. */
  readonly serverMessage: string | undefined;

  constructor(
    reason: KernelErrorReason,
    message: string,
    opts: { status?: number; serverMessage?: string; hint?: string; cause?: unknown } = {},
  ) {
    const refused =
      reason === 'ws-auth' || reason === 'unreachable' || opts.status === 401 || opts.status === 403;
    super(`KERNEL_${reason.toUpperCase().replaceAll('-', '_')}`, message, {
      ...opts,
      exitCode: refused ? ExitCode.unreachable : ExitCode.runtime,
    });
    this.name = 'KernelError';
    this.reason = reason;
    this.status = opts.status;
    this.serverMessage = opts.serverMessage;
  }
}

export const AUTH_HINT = 'Check the server token (the Binder launch returns it with the server URL).';

export interface KernelModel {
  id: string;
  name: string;
  last_activity: string;
  execution_state: string;
  connections: number;
  reason?: string;
}

export interface ServerStatus {
  started: string;
  last_activity: string;
  kernels: number;
  connections: number;
}

/** A contents-API model (only what we read of it). */
export interface ContentsModel {
  name: string;
  path: string;
  type: 'directory' | 'notebook' | 'file';
  content: unknown;
}

export interface JupyterServerClientOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8000/user/x/ */
  serverUrl: string;
  token: string;
  dispatcher?: Dispatcher;
  /** Bound on each call (default 30 s; starting a kernel waits for it to launch). */
  requestTimeoutMs?: number;
}

export class JupyterServerClient {
  readonly serverUrl: string;
  readonly #token: string;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #timeoutMs: number;

  constructor(opts: JupyterServerClientOptions) {
    this.serverUrl = opts.serverUrl.endsWith('/') ? opts.serverUrl : `${opts.serverUrl}/`;
    this.#token = opts.token;
    this.#dispatcher = opts.dispatcher;
    this.#timeoutMs = opts.requestTimeoutMs ?? 30_000;
  }

  /** GET api → the jupyter_server version (unauthenticated; what mybinder's launch test probes). */
  async apiVersion(): Promise<string> {
    return String(field((await this.#call('GET', 'api', [200])).body, 'version') ?? '');
  }

  async status(): Promise<ServerStatus> {
    return (await this.#call('GET', 'api/status', [200])).body as ServerStatus;
  }

  /** POST api/kernels → 201 and the model; no name = the server's default kernel. */
  async startKernel(name?: string): Promise<KernelModel> {
    const json = name === undefined ? undefined : { name };
    return (await this.#call('POST', 'api/kernels', [201], json)).body as KernelModel;
  }

  async listKernels(): Promise<KernelModel[]> {
    return (await this.#call('GET', 'api/kernels', [200])).body as KernelModel[];
  }

  async getKernel(id: string): Promise<KernelModel> {
    return (await this.#call('GET', kernelPath(id), [200])).body as KernelModel;
  }

  /**
   * DELETE → 204; a kernel that is already gone (404) is 'absent', not an error. While a kernel
   * restarts, jupyter_client 7.x fails the shutdown with 500 (`InvalidStateError` on the pending
   * `ready` future) and keeps the kernel: retry 5xx every `retryDelayMs` (500) up to `retryForMs`
   * (10 s).
   */
  async deleteKernel(
    id: string,
    opts: { retryForMs?: number; retryDelayMs?: number } = {},
  ): Promise<'deleted' | 'absent'> {
    const deadline = Date.now() + (opts.retryForMs ?? 10_000);
    for (;;) {
      try {
        const a = await this.#call('DELETE', kernelPath(id), [204, 404]);
        return a.status === 204 ? 'deleted' : 'absent';
      } catch (err) {
        const retry = err instanceof KernelError && (err.status ?? 0) >= 500 && Date.now() < deadline;
        if (!retry) throw err;
      }
      await sleep(Math.min(opts.retryDelayMs ?? 500, Math.max(0, deadline - Date.now())));
    }
  }

  /**
   * GET api/contents/<path>: a directory lists its entries (`content` is the list), a notebook
   * carries its JSON (`content`). An unreadable notebook is a 400 whose message says why.
   */
  async contents(path: string): Promise<ContentsModel> {
    const p = path.split('/').filter(Boolean).map(encodeURIComponent).join('/');
    return (await this.#call('GET', `api/contents/${p}?content=1`, [200])).body as ContentsModel;
  }

  /** GET api/kernelspecs → the names of the kernels this server can start. */
  async kernelSpecNames(): Promise<string[]> {
    const specs = field((await this.#call('GET', 'api/kernelspecs', [200])).body, 'kernelspecs');
    return typeof specs === 'object' && specs !== null ? Object.keys(specs) : [];
  }

  async interruptKernel(id: string): Promise<void> {
    await this.#call('POST', `${kernelPath(id)}/interrupt`, [204]);
  }

  async restartKernel(id: string): Promise<KernelModel> {
    return (await this.#call('POST', `${kernelPath(id)}/restart`, [200])).body as KernelModel;
  }

  /**
   * POST api/shutdown stops the whole server (what binderbot's `stop` does). The server stops its
   * loop right after answering, so a connection cut before the answer also counts as done.
   */
  async shutdownServer(): Promise<void> {
    try {
      await this.#call('POST', 'api/shutdown', [200, 204]);
    } catch (err) {
      if (err instanceof KernelError && err.reason === 'http' && err.status === undefined) return;
      throw err;
    }
  }

  async #call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    ok: number[],
    json?: unknown,
  ): Promise<JsonAnswer> {
    const where = `${method} ${this.serverUrl}${path}`;
    let a: JsonAnswer;
    try {
      a = await jsonRequest(this.serverUrl + path, {
        method,
        headers: { authorization: `token ${this.#token}` },
        json,
        dispatcher: this.#dispatcher,
        timeoutMs: this.#timeoutMs,
      });
    } catch (err) {
      if (!(err instanceof HttpFailure)) throw err;
      if (err.kind === 'unreachable') {
        throw new KernelError(
          'unreachable',
          `cannot reach the Jupyter server at ${this.serverUrl} (${err.code})`,
          {
            cause: err,
            hint: 'Check the server URL, and that the server (and the hub proxy in front of it) is running.',
          },
        );
      }
      if (err.kind === 'timeout') {
        throw new KernelError('timeout', `${where} got no answer within ${this.#timeoutMs} ms`, {
          cause: err,
        });
      }
      throw new KernelError('http', `${where} got no answer: ${err.code ?? err.kind}`, { cause: err });
    }
    if (!ok.includes(a.status)) throw httpError(where, a);
    return a;
  }
}

function kernelPath(id: string): string {
  return `api/kernels/${encodeURIComponent(id)}`;
}

function httpError(where: string, a: JsonAnswer): KernelError {
  const raw = field(a.body, 'message');
  const serverMessage = typeof raw === 'string' && raw !== '' ? raw : undefined;
  const auth = a.status === 401 || a.status === 403;
  return new KernelError(
    'http',
    `Jupyter server answered ${a.status} to ${where}${serverMessage ? `: ${serverMessage}` : ''}`,
    {
      status: a.status,
      serverMessage,
      hint: auth ? AUTH_HINT : undefined,
    },
  );
}
