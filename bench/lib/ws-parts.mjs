// Closed-loop websocket round trips at the maximum rate against the stub's kernel websocket:
//   rawWs     the ceiling: plain `ws` sockets sending the pre-encoded bytes of the execute_request
//             our client sends (same size, v1 subprotocol), counting 3 reply frames, never decoding;
//   clientMax the product's KernelConnection (encode, decode, match replies), without the runner.
// One process, `sockets` sockets, each sending its next request as soon as the last is answered
// (rawWs with `thinkMs`: that long after it, by a timer, as a session at 1 execute/s does), for
// `seconds` once every socket is open. CPU and RSS are this process's.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const dist = new URL('../../dist/', import.meta.url);
const { KernelConnection, V1_SUBPROTOCOL } = await import(new URL('loadgen/clients/kernel.js', dist));
const { encodeV1, makeRequest } = await import(new URL('loadgen/clients/kernel-wire.js', dist));

const MB = 2 ** 20;
const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;
/** What KernelConnection.execute sends for the cell `1`. */
const CONTENT = {
  code: '1',
  silent: false,
  store_history: true,
  user_expressions: {},
  allow_stdin: false,
  stop_on_error: true,
};

/** Open `n` things with `open(i)`, at most `batch` at a time; bounded by `timeoutMs` overall. */
async function openAll(n, open, { batch = 200, timeoutMs = 60_000 } = {}) {
  const deadline = performance.now() + timeoutMs;
  const out = [];
  for (let i = 0; i < n; i += batch) {
    if (performance.now() > deadline) throw new Error(`opening ${n} sockets took over ${timeoutMs} ms`);
    const size = Math.min(batch, n - i);
    out.push(...(await Promise.all(Array.from({ length: size }, (_, k) => open(i + k)))));
  }
  return out;
}

function measure(seconds, rss0, run) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  return run().then((roundTrips) => {
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      seconds: r1(wall),
      roundTrips,
      roundTripsPerSecond: r1(roundTrips / wall),
      cpuSeconds: r3(cpuSeconds),
      cpuCoresUsed: r3(cpuSeconds / wall),
      cpuSecondsPer1000RoundTrips: r3((cpuSeconds / roundTrips) * 1000),
      rssMB: r1(process.memoryUsage.rss() / MB),
      rssPerSocketKB: r1(((process.memoryUsage.rss() / MB - rss0) * 1024) / seconds.sockets),
    };
  });
}

export async function rawWs({ url, token, sockets, seconds, thinkMs = 0 }) {
  const frame = encodeV1(
    makeRequest('execute_request', CONTENT, {
      session: randomUUID(),
      username: 'rehearse',
      channel: 'shell',
    }),
  );
  const base = url.replace(/^http/, 'ws');
  globalThis.gc?.();
  const rss0 = process.memoryUsage.rss() / MB;
  const wss = await openAll(
    sockets,
    (i) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${base}user/bench/api/kernels/bench-raw-${i}/channels`, [V1_SUBPROTOCOL], {
          headers: { authorization: `token ${token}` },
          perMessageDeflate: false,
        });
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      }),
  );
  const result = await measure({ sockets }, rss0, async () => {
    let roundTrips = 0;
    let sending = true;
    let inFlight = 0;
    let drained;
    const idle = new Promise((r) => {
      drained = r;
    });
    for (const ws of wss) {
      let frames = 0;
      ws.on('message', () => {
        frames += 1;
        if (frames % 3 !== 0) return;
        roundTrips += 1;
        if (sending && thinkMs > 0)
          setTimeout(() => (sending ? ws.send(frame) : --inFlight === 0 && drained()), thinkMs);
        else if (sending) ws.send(frame);
        else if (--inFlight === 0) drained();
      });
      inFlight += 1;
      // Paced: the sockets start spread over one think time, as sessions do.
      if (thinkMs > 0) setTimeout(() => ws.send(frame), Math.random() * thinkMs);
      else ws.send(frame);
    }
    await new Promise((r) => setTimeout(r, seconds * 1000));
    sending = false;
    await Promise.race([idle, new Promise((r) => setTimeout(r, 10_000 + thinkMs))]);
    return roundTrips;
  });
  for (const ws of wss) ws.terminate();
  return { sockets, ...result };
}

export async function clientMax({ url, token, sockets, seconds }) {
  globalThis.gc?.();
  const rss0 = process.memoryUsage.rss() / MB;
  const conns = await openAll(sockets, (i) =>
    KernelConnection.open({
      serverUrl: `${url}user/bench/`,
      token,
      kernelId: `bench-client-${i}`,
      protocol: 'v1',
      openTimeoutMs: 30_000,
    }),
  );
  const result = await measure({ sockets }, rss0, async () => {
    let roundTrips = 0;
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      conns.map(async (c) => {
        while (performance.now() < deadline) {
          const r = await c.execute('1', { timeoutMs: 30_000 });
          if (r.status !== 'ok') throw new Error(`execute answered ${r.status}`);
          roundTrips += 1;
        }
      }),
    );
    return roundTrips;
  });
  await Promise.all(conns.map((c) => c.close({ timeoutMs: 5000 })));
  return { sockets, ...result };
}
