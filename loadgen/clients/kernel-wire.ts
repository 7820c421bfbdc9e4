import { randomUUID } from 'node:crypto';
import { RehearseError } from '../../core/errors.js';

/**
 * Jupyter kernel messages on the Jupyter Server websocket: the message type and the two wire
 * formats (pure functions, no I/O).
 *
 * v1 (`v1.kernel.websocket.jupyter.org`, binary frames both ways), as in jupyter_server's
 * `serialize_msg_to_ws_v1` / `deserialize_msg_from_ws_v1` and @jupyterlab/services serialize.ts:
 *
 *   parts   = [channel, header, parent_header, metadata, content, ...buffers]  (JSON as UTF-8)
 *   n       = parts.length + 1                       (number of offsets, = 6 + buffers)
 *   layout  = u64le n · u64le offsets[0..n-1] · parts concatenated
 *   offsets[0] = 8·(1 + n)  (first byte after the offset table)
 *   offsets[i] = offsets[i-1] + bytes(parts[i-1]);  offsets[n-1] = total length
 *
 * Legacy (no subprotocol): text frames of one JSON object `{header, parent_header, metadata,
 * content, buffers: [], channel}`; when a message carries buffers the server sends a binary frame
 * instead (`serialize_binary_message`):
 *
 *   layout  = u32be nbufs · u32be offsets[0..nbufs-1] · JSON · buffers
 *   nbufs   = 1 + buffers;  offsets[i] is where part i starts; the last part runs to the end.
 */

export type Channel = 'shell' | 'iopub' | 'stdin' | 'control';
const CHANNELS: readonly string[] = ['shell', 'iopub', 'stdin', 'control'];

/** Protocol version we speak: what jupyter_client ≤ 8.6 (7.4.9 here) sends. */
export const PROTOCOL_VERSION = '5.3';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
  [extra: string]: unknown;
}

export type JsonObject = { [key: string]: unknown };

export interface JupyterMessage {
  channel: Channel;
  header: MessageHeader;
  /** `{}` for requests; the request's header on replies and iopub output. */
  parent_header: Partial<MessageHeader>;
  metadata: JsonObject;
  content: JsonObject;
  buffers: Buffer[];
}

/** A frame that does not follow the wire format. */
export class WireFormatError extends RehearseError {
  constructor(message: string, cause?: unknown) {
    super('KERNEL_WIRE_FORMAT', message, { cause });
    this.name = 'WireFormatError';
  }
}

// ---- v1 --------------------------------------------------------------------------------------

export function encodeV1(msg: JupyterMessage): Buffer {
  const parts: Buffer[] = [
    Buffer.from(msg.channel, 'utf8'),
    jsonBytes(msg.header),
    jsonBytes(msg.parent_header),
    jsonBytes(msg.metadata),
    jsonBytes(msg.content),
    ...msg.buffers,
  ];
  const n = parts.length + 1;
  // uint64 LE words written as their low 32 bits (the table is zero-filled): a frame is far below
  // 4 GiB, and BigInt conversions cost more than the rest of the encoding on the hot path.
  const table = Buffer.alloc(8 * (1 + n));
  table.writeUInt32LE(n, 0);
  let offset = 8 * (1 + n);
  table.writeUInt32LE(offset, 8);
  parts.forEach((part, i) => {
    offset += part.length;
    table.writeUInt32LE(offset, 8 * (i + 2));
  });
  return Buffer.concat([table, ...parts]);
}

export function decodeV1(buf: Buffer): JupyterMessage {
  if (buf.length < 8) throw new WireFormatError(`v1 frame of ${buf.length} bytes is too short`);
  const n = readU64(buf, 0);
  if (n < 6 || 8 * (1 + n) > buf.length) throw new WireFormatError(`v1 frame declares ${n} offsets`);
  const offsets: number[] = [];
  for (let i = 0; i < n; i++) offsets.push(readU64(buf, 8 * (i + 1)));
  for (let i = 0; i < n; i++) {
    const o = offsets[i] as number;
    if (o > buf.length || (i > 0 && o < (offsets[i - 1] as number)) || (i === 0 && o !== 8 * (1 + n))) {
      throw new WireFormatError(
        `v1 frame has a bad offset table (${offsets.join(',')}; ${buf.length} bytes)`,
      );
    }
  }
  const part = (i: number): Buffer => buf.subarray(offsets[i], offsets[i + 1]);
  const buffers: Buffer[] = [];
  for (let i = 5; i < n - 1; i++) buffers.push(Buffer.from(part(i)));
  return {
    channel: channelOf(part(0).toString('utf8')),
    header: headerOf(parseObject(part(1), 'header')),
    parent_header: parseObject(part(2), 'parent_header'),
    metadata: parseObject(part(3), 'metadata'),
    content: parseObject(part(4), 'content'),
    buffers,
  };
}

/** A uint64 LE word as a number: low word + high word · 2^32 (exact below 2^53), without BigInt. */
function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 0x1_0000_0000;
}

// ---- legacy ----------------------------------------------------------------------------------

/** Text frame. Legacy requests with buffers need the binary form: use encodeLegacyBinary. */
export function encodeLegacy(msg: JupyterMessage): string {
  if (msg.buffers.length > 0) throw new WireFormatError('a legacy text frame cannot carry buffers');
  return JSON.stringify({ ...msg, buffers: [] });
}

export function encodeLegacyBinary(msg: JupyterMessage): Buffer {
  const { buffers, ...rest } = msg;
  const parts = [jsonBytes(rest), ...buffers];
  const head = Buffer.alloc(4 * (1 + parts.length));
  head.writeUInt32BE(parts.length, 0);
  let offset = head.length;
  parts.forEach((p, i) => {
    head.writeUInt32BE(offset, 4 * (i + 1));
    offset += p.length;
  });
  return Buffer.concat([head, ...parts]);
}

export function decodeLegacy(data: string | Buffer): JupyterMessage {
  if (typeof data === 'string') return messageOf(parseObject(data, 'message'), []);
  if (data.length < 8) throw new WireFormatError(`legacy binary frame of ${data.length} bytes is too short`);
  const nbufs = data.readUInt32BE(0);
  if (nbufs < 1 || 4 * (1 + nbufs) > data.length) {
    throw new WireFormatError(`legacy binary frame declares ${nbufs} parts`);
  }
  const offsets: number[] = [];
  for (let i = 0; i < nbufs; i++) offsets.push(data.readUInt32BE(4 * (i + 1)));
  offsets.push(data.length);
  for (let i = 0; i < nbufs; i++) {
    if ((offsets[i] as number) > (offsets[i + 1] as number)) {
      throw new WireFormatError(`legacy binary frame has a bad offset table (${offsets.join(',')})`);
    }
  }
  const part = (i: number): Buffer => data.subarray(offsets[i], offsets[i + 1]);
  const buffers: Buffer[] = [];
  for (let i = 1; i < nbufs; i++) buffers.push(Buffer.from(part(i)));
  return messageOf(parseObject(part(0), 'message'), buffers);
}

// ---- requests --------------------------------------------------------------------------------

export interface RequestOptions {
  /** The client's session id: stable for one client, unique across clients. */
  session: string;
  username: string;
  channel?: Channel;
}

export function makeRequest(msgType: string, content: JsonObject, opts: RequestOptions): JupyterMessage {
  return {
    channel: opts.channel ?? 'shell',
    header: {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: opts.session,
      username: opts.username,
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  };
}

// ---- execute results -----------------------------------------------------------------------

export interface ExecuteResult {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  stdout: string;
  stderr: string;
  /** text/plain of the execute_result, if there was one. */
  result: string | undefined;
  /** How many display_data messages arrived. */
  displayData: number;
  error?: { ename: string; evalue: string; traceback: string[] };
}

/**
 * Folds the messages of one execute (already filtered to those whose parent is the request) into
 * its result. Returns the result once BOTH the shell execute_reply and the iopub `status: idle`
 * arrived, in either order (messaging spec); undefined until then.
 */
export function collectExecute(): (m: JupyterMessage) => ExecuteResult | undefined {
  const r: ExecuteResult = {
    status: 'ok',
    executionCount: null,
    stdout: '',
    stderr: '',
    result: undefined,
    displayData: 0,
  };
  let replied = false;
  let idle = false;
  return (m) => {
    const c = m.content;
    switch (m.header.msg_type) {
      case 'stream':
        if (c.name === 'stderr') r.stderr += str(c.text);
        else r.stdout += str(c.text);
        break;
      case 'execute_result': {
        const plain = (c.data as JsonObject | undefined)?.['text/plain'];
        r.result = typeof plain === 'string' ? plain : undefined;
        break;
      }
      case 'display_data':
        r.displayData++;
        break;
      case 'error':
        r.error = errorOf(c);
        break;
      case 'status':
        if (m.channel === 'iopub' && c.execution_state === 'idle') idle = true;
        break;
      case 'execute_reply':
        replied = true;
        r.status =
          c.status === 'ok' ? 'ok' : c.status === 'aborted' || c.status === 'abort' ? 'aborted' : 'error';
        r.executionCount = typeof c.execution_count === 'number' ? c.execution_count : null;
        if (r.status === 'error' && r.error === undefined) r.error = errorOf(c);
        break;
    }
    return replied && idle ? r : undefined;
  };
}

// ---- helpers ---------------------------------------------------------------------------------

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value ?? {}), 'utf8');
}

function parseObject(raw: Buffer | string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch (err) {
    throw new WireFormatError(`kernel message ${what} is not valid JSON`, err);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new WireFormatError(`kernel message ${what} is not a JSON object`);
  }
  return value as JsonObject;
}

function channelOf(value: unknown): Channel {
  if (typeof value === 'string' && CHANNELS.includes(value)) return value as Channel;
  throw new WireFormatError(`unknown kernel channel ${JSON.stringify(value)}`);
}

function headerOf(h: JsonObject): MessageHeader {
  if (typeof h.msg_id !== 'string' || typeof h.msg_type !== 'string') {
    throw new WireFormatError('kernel message header lacks msg_id or msg_type');
  }
  return h as MessageHeader;
}

function objectField(o: JsonObject, key: string): JsonObject {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new WireFormatError(`kernel message ${key} is not an object`);
  return v as JsonObject;
}

function messageOf(o: JsonObject, buffers: Buffer[]): JupyterMessage {
  return {
    channel: channelOf(o.channel),
    header: headerOf(objectField(o, 'header')),
    parent_header: objectField(o, 'parent_header'),
    metadata: objectField(o, 'metadata'),
    content: objectField(o, 'content'),
    buffers,
  };
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function errorOf(c: JsonObject): { ename: string; evalue: string; traceback: string[] } {
  const tb = Array.isArray(c.traceback) ? c.traceback.filter((t): t is string => typeof t === 'string') : [];
  return { ename: str(c.ename), evalue: str(c.evalue), traceback: tb };
}
