import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { errnoCode, UNREACHABLE_CODES } from './json-http.js';
import { AUTH_HINT, JupyterServerClient, KernelError } from './kernel-rest.js';
import {
  collectExecute,
  decodeLegacy,
  decodeV1,
  type ExecuteResult,
  encodeLegacy,
  encodeV1,
  type JsonObject,
  type JupyterMessage,
  makeRequest,
} from './kernel-wire.js';

export {
  JupyterServerClient,
  type JupyterServerClientOptions,
  KernelError,
  type KernelErrorReason,
  type KernelModel,
  type ServerStatus,
} from './kernel-rest.js';
export type { ExecuteResult } from './kernel-wire.js';

/**
 * One client's websocket to a kernel (`<serverUrl>api/kernels/<id>/channels?session_id=<uuid>`),
 * checked against jupyter_server 1.23 `services/kernels/handlers.py` and `base/zmqhandlers.py`:
 *
 * - The server selects `v1.kernel.websocket.jupyter.org` when the client offers it (unless
 *   `ServerApp.kernel_ws_protocol = ''`), and the legacy JSON protocol when nothing is offered.
 * - `session_id` keys the server's connection registry: a second socket with the same key
 *   replaces the first, so every client gets its own (default: a random UUID).
 * - The handshake only completes after the server got a kernel_info reply (≤ 60 s), and an
 *   unauthenticated one gets 403.
 * - An execute is complete when BOTH the shell `execute_reply` and the iopub `status: idle` with
 *   its msg_id as parent arrived, in either order; messages with other parents are ignored.
 * - The server sends a parentless `status: restarting` when the kernel process died and is being
 *   restarted (`dead` when that failed): every pending request fails with `kernel-died`.
 * - A timed-out request is only abandoned here; the kernel may still be running it (interrupt it).
 */

export const V1_SUBPROTOCOL = 'v1.kernel.websocket.jupyter.org';

export interface KernelConnectionOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8000/user/x/ */
  serverUrl: string;
  token: string;
  kernelId: string;
  protocol: 'v1' | 'legacy';
  /** Where the token goes on the handshake (default: the Authorization header). */
  tokenIn?: 'header' | 'query';
  openTimeoutMs: number;
  /** Default: a random UUID, unique per client. */
  sessionId?: string;
  /** `header.username` of our requests (default 'rehearse'). */
  username?: string;
}

interface Pending {
  deliver(msg: JupyterMessage): void;
  fail(err: KernelError): void;
}

export class KernelConnection {
  readonly #ws: WebSocket;
  readonly #opts: KernelConnectionOptions;
  readonly #pending = new Map<string, Pending>();
  /** Set once the socket is closed or the kernel is dead: every later request fails with it. */
  #broken: KernelError | undefined;

  private constructor(
    ws: WebSocket,
    opts: KernelConnectionOptions,
    readonly sessionId: string,
  ) {
    this.#ws = ws;
    this.#opts = opts;
    ws.on('message', (data, isBinary) => this.#onFrame(data, isBinary));
    ws.on('error', (err) => {
      this.#broken ??= new KernelError('ws-failed', `kernel websocket error: ${err.message}`, { cause: err });
    });
    ws.on('close', (code, reason) => {
      const why = reason.length > 0 ? `${code} ${reason.toString('utf8')}` : String(code);
      this.#broken ??= new KernelError('ws-failed', `the kernel websocket closed (${why})`);
      this.#failAll(this.#broken);
    });
  }

  get protocol(): 'v1' | 'legacy' {
    return this.#opts.protocol;
  }

  get kernelId(): string {
    return this.#opts.kernelId;
  }

  static open(opts: KernelConnectionOptions): Promise<KernelConnection> {
    const sessionId = opts.sessionId ?? randomUUID();
    const base = opts.serverUrl.endsWith('/') ? opts.serverUrl : `${opts.serverUrl}/`;
    const url = new URL(`api/kernels/${encodeURIComponent(opts.kernelId)}/channels`, base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const shown = url.href; // for messages: no query, so no token
    url.searchParams.set('session_id', sessionId);
    if (opts.tokenIn === 'query') url.searchParams.set('token', opts.token);
    const headers: Record<string, string> =
      opts.tokenIn === 'query' ? {} : { authorization: `token ${opts.token}` };
    const ws = new WebSocket(url, opts.protocol === 'v1' ? [V1_SUBPROTOCOL] : [], { headers });

    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: KernelError | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.removeAllListeners();
        if (err === undefined) {
          resolve(new KernelConnection(ws, opts, sessionId));
          return;
        }
        ws.on('error', () => undefined); // late handshake errors: already reported as `err`
        ws.terminate();
        reject(err);
      };
      const timer = setTimeout(() => {
        settle(
          new KernelError('timeout', `websocket to ${shown} did not open within ${opts.openTimeoutMs} ms`),
        );
      }, opts.openTimeoutMs);
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        const auth = status === 401 || status === 403;
        const message = `websocket to ${shown} refused with HTTP ${status}`;
        settle(
          new KernelError(auth ? 'ws-auth' : 'http', message, { status, hint: auth ? AUTH_HINT : undefined }),
        );
      });
      ws.once('error', (err) => settle(handshakeError(err, shown, opts.protocol)));
      ws.once('close', (code) =>
        settle(new KernelError('ws-failed', `websocket to ${shown} closed (${code})`)),
      );
      ws.once('open', () => {
        const wanted = opts.protocol === 'v1' ? V1_SUBPROTOCOL : '';
        if (ws.protocol !== wanted) {
          settle(
            new KernelError('protocol', `server selected subprotocol '${ws.protocol}', wanted '${wanted}'`),
          );
        } else {
          settle(undefined);
        }
      });
    });
  }

  /** Runs `code` (allow_stdin false, stop_on_error true) and collects its output. */
  execute(code: string, opts: { timeoutMs: number }): Promise<ExecuteResult> {
    const content = {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    };
    return this.#request(this.#make('execute_request', content, 'shell'), opts.timeoutMs, collectExecute());
  }

  /** The kernel_info_reply content. */
  kernelInfo(opts: { timeoutMs: number }): Promise<JsonObject> {
    const msg = this.#make('kernel_info_request', {}, 'shell');
    return this.#request(msg, opts.timeoutMs, (m) =>
      m.header.msg_type === 'kernel_info_reply' ? m.content : undefined,
    );
  }

  /** Interrupts the kernel: `interrupt_request` on the control channel, or the REST endpoint. */
  async interrupt(opts: { timeoutMs: number; via?: 'control' | 'rest' }): Promise<void> {
    if (opts.via === 'rest') {
      const { serverUrl, token } = this.#opts;
      const rest = new JupyterServerClient({ serverUrl, token, requestTimeoutMs: opts.timeoutMs });
      await rest.interruptKernel(this.#opts.kernelId);
      return;
    }
    const msg = this.#make('interrupt_request', {}, 'control');
    await this.#request(msg, opts.timeoutMs, (m) =>
      m.header.msg_type === 'interrupt_reply' ? true : undefined,
    );
  }

  /** Closes the socket (close handshake, then terminate after `timeoutMs`, default 5 s). */
  async close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.#broken ??= new KernelError('ws-failed', 'the kernel connection was closed by the client');
    if (this.#ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#ws.terminate();
        resolve();
      }, opts.timeoutMs ?? 5000);
      this.#ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.#ws.close(1000);
    });
  }

  #make(msgType: string, content: JsonObject, channel: 'shell' | 'control'): JupyterMessage {
    return makeRequest(msgType, content, {
      session: this.sessionId,
      username: this.#opts.username ?? 'rehearse',
      channel,
    });
  }

  /** Sends `msg` and feeds every message with it as parent to `step` until it returns a value. */
  #request<T>(
    msg: JupyterMessage,
    timeoutMs: number,
    step: (m: JupyterMessage) => T | undefined,
  ): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = msg.header.msg_id;
    const type = msg.header.msg_type;
    return new Promise<T>((resolve, reject) => {
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
        fn();
      };
      const timer = setTimeout(() => {
        done(() =>
          reject(new KernelError('timeout', `${type} got no complete answer within ${timeoutMs} ms`)),
        );
      }, timeoutMs);
      this.#pending.set(id, {
        deliver: (m) => {
          const value = step(m);
          if (value !== undefined) done(() => resolve(value));
        },
        fail: (err) => done(() => reject(err)),
      });
      const frame = this.#opts.protocol === 'v1' ? encodeV1(msg) : encodeLegacy(msg);
      this.#ws.send(frame, (err) => {
        if (err)
          this.#pending.get(id)?.fail(new KernelError('ws-failed', `sending ${type} failed: ${err.message}`));
      });
    });
  }

  #onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    let msg: JupyterMessage;
    try {
      const buf = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      msg =
        this.#opts.protocol === 'v1' ? decodeV1(buf) : decodeLegacy(isBinary ? buf : buf.toString('utf8'));
    } catch (err) {
      const e = new KernelError('protocol', `undecodable ${this.#opts.protocol} frame from the server`, {
        cause: err,
      });
      this.#broken ??= e;
      this.#failAll(e);
      this.#ws.terminate();
      return;
    }
    const state = msg.header.msg_type === 'status' ? msg.content.execution_state : undefined;
    if (state === 'dead' || state === 'restarting') {
      const e = new KernelError('kernel-died', `kernel ${this.#opts.kernelId} is ${state}`, {
        hint: 'The kernel crashed or ran out of memory; check the server log and the notebook workload.',
      });
      if (state === 'dead') this.#broken ??= e;
      this.#failAll(e);
      return;
    }
    const parent = msg.parent_header.msg_id;
    if (typeof parent === 'string') this.#pending.get(parent)?.deliver(msg);
  }

  #failAll(err: KernelError): void {
    for (const p of [...this.#pending.values()]) p.fail(err);
  }
}

function handshakeError(err: Error, shown: string, protocol: 'v1' | 'legacy'): KernelError {
  const code = errnoCode(err);
  if (code !== undefined && UNREACHABLE_CODES.has(code)) {
    return new KernelError('unreachable', `cannot reach ${shown} (${code})`, { cause: err });
  }
  if (/subprotocol/.test(err.message)) {
    return new KernelError('protocol', `${shown}: ${err.message} (offered ${protocol})`, {
      cause: err,
      hint: "The server does not speak the v1 kernel protocol (gateway, or kernel_ws_protocol=''): use 'legacy'.",
    });
  }
  return new KernelError('ws-failed', `websocket to ${shown} failed: ${err.message}`, { cause: err });
}
