#!/usr/bin/env node
// A stub target for the benches, in its own process on 127.0.0.1 (port 0). It prints one JSON line
// on stdout once listening: {"port", "pid", "startedAt" (epoch ms, performance.timeOrigin-based,
// comparable across processes), "replyDelayMs", "stall"}. It answers:
//   GET  /build/<spec>  (Accept: text/event-stream)  data: built, launching, ready {url: /user/<n>/, token}
//   POST /user/<n>/api/kernels → 201 model · DELETE /user/<n>/api/kernels/<id> → 204 · POST /user/<n>/api/shutdown → 200
//   ws   /user/<n>/api/kernels/<id>/channels  v1.kernel.websocket.jupyter.org (binary) or legacy JSON:
//        execute_request → iopub status busy, [reply delay] shell execute_reply, iopub status idle
//        (parent_header = the request's header); kernel_info_request → kernel_info_reply.
//   GET  /_stub/stats  → counters, own CPU and RSS, measured reply delays, /build stall log.
// Kernel ids `bench-*` are accepted on the websocket without POST api/kernels (raw ws and Artillery
// baselines). The token comes from STUB_TOKEN (never argv); every user shares it.
// Options (argv or env): --reply-delay-ms=N (STUB_REPLY_DELAY_MS), --stall=T1:T2 (STUB_STALL: /build
// requests arriving T1..T2 ms after start get their events only at T2), --max-seconds=N (default 900:
// the stub exits by itself; it also exits when its stdin closes, i.e. when the parent goes away).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';

const V1 = 'v1.kernel.websocket.jupyter.org';
const arg = (name, envName) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : process.env[envName];
};
const replyDelayMs = Number(arg('reply-delay-ms', 'STUB_REPLY_DELAY_MS') ?? 0);
const stallText = arg('stall', 'STUB_STALL');
const stall = stallText ? stallText.split(':').map(Number) : null;
const maxSeconds = Number(arg('max-seconds', 'STUB_MAX_SECONDS') ?? 900);
const TOKEN = process.env.STUB_TOKEN || randomBytes(16).toString('hex');
if (!(replyDelayMs >= 0) || (stall && !(stall[0] >= 0 && stall[1] > stall[0]))) {
  process.stderr.write('stub-target: bad --reply-delay-ms or --stall (T1:T2 with T2 > T1 >= 0)\n');
  process.exit(2);
}

const epoch = () => performance.timeOrigin + performance.now();
let startedAt = 0;
const since = () => epoch() - startedAt;
const cpu0 = process.cpuUsage();
const stats = {
  builds: 0,
  buildsHeld: 0,
  kernelsStarted: 0,
  kernelsDeleted: 0,
  shutdowns: 0,
  wsOpened: 0,
  wsOpen: 0,
  wsOpenMax: 0,
  executes: 0,
  otherRequests: 0,
  badFrames: 0,
};
const delays = []; // measured reply delays (ms), last 20 000
const buildLog = []; // {arrivedAt, releasedAt} epoch ms, only with a stall, last 20 000
const kernels = new Set();
let users = 0;
const authorized = (req, url) =>
  req.headers.authorization === `token ${TOKEN}` || url.searchParams.get('token') === TOKEN;

// ---- BinderHub /build ------------------------------------------------------------------------
function build(req, res, origin) {
  if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
    res.writeHead(406, { 'content-type': 'application/json' }).end('{"message":"Accept text/event-stream"}');
    return;
  }
  stats.builds += 1;
  const n = ++users;
  const url = `${origin}/user/stub-${n}/`;
  const events = [
    { phase: 'built', message: 'Found built image, launching...\n', imageName: 'stub/image:bench' },
    { phase: 'launching', message: 'Launching server...\n' },
    { phase: 'ready', message: `server running at ${url}\n`, url, token: TOKEN, image: 'stub/image:bench' },
  ];
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.end(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join(''));
  };
  const t = since();
  if (stall && t >= stall[0] && t < stall[1]) {
    stats.buildsHeld += 1;
    const arrivedAt = epoch();
    setTimeout(() => {
      if (buildLog.length < 20_000) buildLog.push({ arrivedAt, releasedAt: epoch() });
      send();
    }, stall[1] - t);
  } else send();
}

// ---- Jupyter server REST ---------------------------------------------------------------------
function rest(req, res, url, m) {
  const json = (status, body) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  if (!authorized(req, url)) return json(403, { message: 'Forbidden', reason: 'bad token' });
  const [, , rest] = m;
  if (req.method === 'POST' && rest === 'api/kernels') {
    const id = randomUUID();
    kernels.add(id);
    stats.kernelsStarted += 1;
    const now = new Date().toISOString();
    return json(201, { id, name: 'python3', last_activity: now, execution_state: 'idle', connections: 0 });
  }
  const k = /^api\/kernels\/([^/]+)$/.exec(rest);
  if (req.method === 'DELETE' && k) {
    if (!kernels.delete(decodeURIComponent(k[1]))) return json(404, { message: 'Kernel does not exist' });
    stats.kernelsDeleted += 1;
    return json(204);
  }
  if (req.method === 'POST' && rest === 'api/shutdown') {
    stats.shutdowns += 1;
    return json(200, {});
  }
  return json(404, { message: `stub: no ${req.method} ${rest}` });
}

// ---- kernel websocket ------------------------------------------------------------------------
/** v1 frame: u64le n · u64le offsets · parts (offsets < 2^32 here, so the high words are 0). */
function v1Frame(parts) {
  const n = parts.length + 1;
  let total = 8 * (1 + n);
  for (const p of parts) total += p.length;
  const buf = Buffer.allocUnsafe(total);
  buf.fill(0, 0, 8 * (1 + n));
  buf.writeUInt32LE(n, 0);
  let offset = 8 * (1 + n);
  buf.writeUInt32LE(offset, 8);
  parts.forEach((p, i) => {
    p.copy(buf, offset);
    offset += p.length;
    buf.writeUInt32LE(offset, 8 * (i + 2));
  });
  return buf;
}

function v1Request(buf) {
  const n = buf.readUInt32LE(0);
  const off = (i) => buf.readUInt32LE(8 * (i + 1));
  if (n < 6 || buf.readUInt32LE(4) !== 0 || 8 * (1 + n) > buf.length) throw new Error('bad v1 frame');
  const headerRaw = buf.subarray(off(1), off(2));
  return { channel: buf.toString('utf8', off(0), off(1)), headerRaw, header: JSON.parse(headerRaw) };
}

const METADATA = Buffer.from('{}');
function replier(ws, protocol) {
  return (channel, msgType, parent, parentRaw, content) => {
    const header = `{"msg_id":"${randomUUID()}","msg_type":"${msgType}","session":"stub-kernel","username":"stub","date":"${new Date().toISOString()}","version":"5.3"}`;
    const body = JSON.stringify(content);
    if (protocol === 'v1') {
      ws.send(v1Frame([Buffer.from(channel), Buffer.from(header), parentRaw, METADATA, Buffer.from(body)]));
    } else {
      ws.send(
        `{"channel":"${channel}","header":${header},"parent_header":${JSON.stringify(parent)},"metadata":{},"content":${body},"buffers":[]}`,
      );
    }
  };
}

/**
 * Calls fn `ms` after `from`: a timer to 3 ms before the deadline (timers fire late under load), then
 * setImmediate until it, so that the injected delay is exact to a loop turn, not to a timer tick.
 */
function after(from, ms, fn) {
  const due = from + ms;
  const spin = () => (performance.now() >= due ? fn() : setImmediate(spin));
  if (ms > 4) setTimeout(spin, ms - 3);
  else spin();
}

function onSocket(ws) {
  const protocol = ws.protocol === V1 ? 'v1' : 'legacy';
  const reply = replier(ws, protocol);
  let count = 0;
  stats.wsOpened += 1;
  stats.wsOpen += 1;
  stats.wsOpenMax = Math.max(stats.wsOpenMax, stats.wsOpen);
  ws.on('close', () => {
    stats.wsOpen -= 1;
  });
  ws.on('error', () => undefined); // a client that vanishes: its close follows
  ws.on('message', (data, isBinary) => {
    const received = performance.now();
    let req;
    try {
      if (protocol === 'v1') req = v1Request(data);
      else {
        const m = JSON.parse(isBinary ? data.toString('utf8') : String(data));
        req = { channel: m.channel, header: m.header, headerRaw: Buffer.from(JSON.stringify(m.header)) };
      }
    } catch {
      stats.badFrames += 1;
      ws.close(1003, 'bad frame');
      return;
    }
    const { header, headerRaw } = req;
    const type = header.msg_type;
    if (type === 'execute_request') {
      stats.executes += 1;
      count += 1;
      const n = count;
      reply('iopub', 'status', header, headerRaw, { execution_state: 'busy' });
      const finish = () => {
        if (replyDelayMs > 0 && delays.length < 20_000) delays.push(performance.now() - received);
        reply('shell', 'execute_reply', header, headerRaw, {
          status: 'ok',
          execution_count: n,
          user_expressions: {},
          payload: [],
        });
        reply('iopub', 'status', header, headerRaw, { execution_state: 'idle' });
      };
      if (replyDelayMs > 0) after(received, replyDelayMs, finish);
      else finish();
    } else if (type === 'kernel_info_request') {
      reply('shell', 'kernel_info_reply', header, headerRaw, {
        status: 'ok',
        protocol_version: '5.3',
        implementation: 'stub',
        language_info: { name: 'python' },
      });
    } else {
      stats.otherRequests += 1;
      const replyType = type.replace(/_request$/, '_reply');
      reply(req.channel === 'control' ? 'control' : 'shell', replyType, header, headerRaw, { status: 'ok' });
    }
  });
}

// ---- server ----------------------------------------------------------------------------------
const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered) => (offered.has(V1) ? V1 : false),
});
const server = createServer((req, res) => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  const url = new URL(req.url, origin);
  if (req.method === 'GET' && url.pathname.startsWith('/build/')) return build(req, res, origin);
  const m = /^\/user\/([^/]+)\/(.*)$/.exec(url.pathname);
  if (m) return rest(req, res, url, m);
  if (url.pathname === '/_stub/stats') {
    const c = process.cpuUsage(cpu0);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...stats,
        cpuSeconds: (c.user + c.system) / 1e6,
        rssMB: Math.round(process.memoryUsage.rss() / 2 ** 20),
        replyDelaysMs: delays,
        buildLog,
      }),
    );
    return;
  }
  res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const m = /^\/user\/[^/]+\/api\/kernels\/([^/]+)\/channels$/.exec(url.pathname);
  const id = m ? decodeURIComponent(m[1]) : '';
  const status = !m
    ? 404
    : !authorized(req, url)
      ? 403
      : kernels.has(id) || id.startsWith('bench-')
        ? 0
        : 404;
  if (status !== 0) {
    socket.end(
      `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\nContent-Length: 0\r\n\r\n`,
    );
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  startedAt = epoch();
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid, startedAt, replyDelayMs, stall })}\n`);
});

const quit = () => {
  for (const c of wss.clients) c.terminate();
  server.closeAllConnections?.();
  server.close();
  setTimeout(() => process.exit(0), 500).unref();
};
setTimeout(quit, maxSeconds * 1000).unref();
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdin.resume();
process.on('SIGTERM', quit);
process.on('SIGINT', quit);
