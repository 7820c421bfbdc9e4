import { describe, expect, it } from 'vitest';
import {
  collectExecute,
  decodeLegacy,
  decodeV1,
  encodeLegacy,
  encodeLegacyBinary,
  encodeV1,
  type JupyterMessage,
  makeRequest,
  WireFormatError,
} from '../../loadgen/clients/kernel-wire.js';

const header = { msg_id: 'm', msg_type: 't', session: 's', username: 'u', date: 'd', version: '5.3' };

function message(over: Partial<JupyterMessage> = {}): JupyterMessage {
  return {
    channel: 'shell',
    header,
    parent_header: {},
    metadata: {},
    content: { a: 1 },
    buffers: [],
    ...over,
  };
}

describe('v1.kernel.websocket.jupyter.org', () => {
  it('lays a small message out exactly as serialize_msg_to_ws_v1 does', () => {
    const buf = encodeV1(message({ buffers: [Buffer.from([1, 2, 3])] }));
    // Parts: "shell" (5 B), header JSON (85 B, counted by hand), "{}" (2), "{}" (2),
    // {"a":1} (7), one buffer (3). Seven offsets, so the table is 8·(1+7) = 64 bytes.
    const offsets = [64, 69, 154, 156, 158, 165, 168];
    expect(buf.length).toBe(168);
    expect(buf.readBigUInt64LE(0)).toBe(7n);
    offsets.forEach((o, i) => {
      expect(buf.readBigUInt64LE(8 * (i + 1))).toBe(BigInt(o));
    });
    expect(buf.subarray(64, 69).toString()).toBe('shell');
    expect(buf.subarray(69, 154).toString()).toBe(
      '{"msg_id":"m","msg_type":"t","session":"s","username":"u","date":"d","version":"5.3"}',
    );
    expect(buf.subarray(154, 158).toString()).toBe('{}{}');
    expect(buf.subarray(158, 165).toString()).toBe('{"a":1}');
    expect([...buf.subarray(165)]).toEqual([1, 2, 3]);
  });

  it('round-trips buffers (including an empty one) and non-ASCII text byte-exactly', () => {
    const msg = message({
      channel: 'iopub',
      parent_header: { ...header, msg_id: 'père-🎉' },
      metadata: { note: 'naïve' },
      content: { name: 'stdout', text: 'héllo – 日本語 🎉\n' },
      buffers: [Buffer.from([0, 255, 128]), Buffer.alloc(0), Buffer.from('βuf')],
    });
    const back = decodeV1(encodeV1(msg));
    expect(back).toEqual(msg);
    expect(back.buffers.map((b) => b.length)).toEqual([3, 0, 4]);
  });

  it('counts channel and JSON lengths in UTF-8 bytes, not UTF-16 units', () => {
    const buf = encodeV1(message({ content: { t: 'é' } }));
    const n = Number(buf.readBigUInt64LE(0));
    const last = Number(buf.readBigUInt64LE(8 * n));
    expect(last).toBe(buf.length);
    // content is the last part: from offsets[n-2] (at byte 8·(n-1)) to offsets[n-1] (at 8·n)
    expect(last - Number(buf.readBigUInt64LE(8 * (n - 1)))).toBe(Buffer.byteLength('{"t":"é"}'));
  });

  it('rejects frames whose offset table does not fit', () => {
    const buf = encodeV1(message());
    expect(() => decodeV1(buf.subarray(0, 30))).toThrow(WireFormatError);
    const bad = Buffer.from(buf);
    bad.writeBigUInt64LE(10_000n, 16);
    expect(() => decodeV1(bad)).toThrow(WireFormatError);
    expect(() => decodeV1(Buffer.from('nope'))).toThrow(WireFormatError);
  });
});

describe('legacy protocol', () => {
  it('decodes the text frames the server sends', () => {
    // _reserialize_reply: the message dict plus channel, msg_id and msg_type at the top.
    const text = JSON.stringify({
      header,
      msg_id: 'm',
      msg_type: 't',
      parent_header: { msg_id: 'p' },
      metadata: {},
      content: { execution_state: 'idle' },
      buffers: [],
      channel: 'iopub',
    });
    const msg = decodeLegacy(text);
    expect(msg.channel).toBe('iopub');
    expect(msg.parent_header.msg_id).toBe('p');
    expect(msg.content).toEqual({ execution_state: 'idle' });
    expect(msg.buffers).toEqual([]);
  });

  it('decodes a hand-built binary frame (serialize_binary_message layout)', () => {
    const json = Buffer.from(JSON.stringify({ ...message({ channel: 'iopub' }), buffers: undefined }));
    const b1 = Buffer.from([9, 8, 7]);
    const b2 = Buffer.from('zwei');
    // big-endian: nbufs = 3, then the start of each part; the JSON starts after 4·(1+3) bytes.
    const head = Buffer.alloc(16);
    head.writeUInt32BE(3, 0);
    head.writeUInt32BE(16, 4);
    head.writeUInt32BE(16 + json.length, 8);
    head.writeUInt32BE(16 + json.length + 3, 12);
    const msg = decodeLegacy(Buffer.concat([head, json, b1, b2]));
    expect(msg.channel).toBe('iopub');
    expect(msg.header).toEqual(header);
    expect(msg.content).toEqual({ a: 1 });
    expect(msg.buffers.map((b) => [...b])).toEqual([[9, 8, 7], [...b2]]);
  });

  it('round-trips through encodeLegacyBinary, and text frames refuse buffers', () => {
    const msg = message({ buffers: [Buffer.from('x')] });
    expect(decodeLegacy(encodeLegacyBinary(msg))).toEqual(msg);
    expect(() => encodeLegacy(msg)).toThrow(WireFormatError);
    expect(decodeLegacy(encodeLegacy(message()))).toEqual(message());
  });
});

describe('makeRequest', () => {
  it('builds a 5.3 request with a fresh msg_id and an ISO date', () => {
    const a = makeRequest('execute_request', { code: '1' }, { session: 'S', username: 'U' });
    const b = makeRequest(
      'execute_request',
      { code: '1' },
      { session: 'S', username: 'U', channel: 'control' },
    );
    expect(a.header.msg_id).not.toBe(b.header.msg_id);
    expect(a.header).toMatchObject({
      msg_type: 'execute_request',
      session: 'S',
      username: 'U',
      version: '5.3',
    });
    expect(new Date(a.header.date).toISOString()).toBe(a.header.date);
    expect(a.channel).toBe('shell');
    expect(b.channel).toBe('control');
    expect(a.parent_header).toEqual({});
  });
});

describe('collectExecute', () => {
  const iopub = (msg_type: string, content: Record<string, unknown>): JupyterMessage =>
    message({ channel: 'iopub', header: { ...header, msg_type }, content });
  const reply = (content: Record<string, unknown>): JupyterMessage =>
    message({ channel: 'shell', header: { ...header, msg_type: 'execute_reply' }, content });

  it('completes only when both the reply and idle are in, in either order', () => {
    const a = collectExecute();
    expect(a(iopub('status', { execution_state: 'busy' }))).toBeUndefined();
    expect(a(iopub('stream', { name: 'stdout', text: 'hi\n' }))).toBeUndefined();
    expect(a(iopub('execute_result', { data: { 'text/plain': '2' }, execution_count: 1 }))).toBeUndefined();
    expect(a(iopub('status', { execution_state: 'idle' }))).toBeUndefined();
    expect(a(reply({ status: 'ok', execution_count: 1 }))).toMatchObject({
      status: 'ok',
      executionCount: 1,
      stdout: 'hi\n',
      result: '2',
    });

    const b = collectExecute();
    expect(b(reply({ status: 'ok', execution_count: 2 }))).toBeUndefined();
    expect(b(iopub('display_data', { data: {} }))).toBeUndefined();
    expect(b(iopub('status', { execution_state: 'idle' }))).toMatchObject({
      executionCount: 2,
      displayData: 1,
    });
  });

  it('takes the error from the reply when no iopub error came', () => {
    const c = collectExecute();
    c(reply({ status: 'error', ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] }));
    expect(c(iopub('status', { execution_state: 'idle' }))).toMatchObject({
      status: 'error',
      error: { ename: 'ZeroDivisionError', evalue: 'division by zero', traceback: ['tb'] },
    });
  });
});
