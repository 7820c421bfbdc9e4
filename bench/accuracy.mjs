#!/usr/bin/env node
// Does rehearse report what the target did? As JSON, against the stub target (its own process):
//   delays  the stub answers each execute 10 ms / 100 ms / 1 s late (busy at once, then reply and
//           idle after the delay, timed in the stub): the reported cell.exec p50 must be within
//           2 ms + 1 % of the injected delay; a plain `ws` client timed on the same stub right after
//           (rawWsP50Ms) shows what the host itself adds.
//   stall   the stub holds every /build request arriving in a 3 s window until the window ends:
//           users scheduled in it must record launch.ready waits from their SCHEDULED time, i.e.
//           wait ≈ stall end − scheduled (coordinated omission would show ~0 or one long sample).
// Stub and run clocks are aligned through performance.timeOrigin (epoch ms, both processes).
//   npm run bench:accuracy   (or node bench/accuracy.mjs after `npm run bootstrap`)
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  dropRuns,
  RealClock,
  readEvents,
  runAgainstStub,
  stubScenario,
  tinyCells,
  trend,
} from './lib/drive.mjs';
import { gitState, machine } from './lib/machine.mjs';
import { newToken, startStub } from './lib/stub.mjs';

const { V1_SUBPROTOCOL } = await import('../dist/loadgen/clients/kernel.js');
const { encodeV1, makeRequest } = await import('../dist/loadgen/clients/kernel-wire.js');
const say = (m) => process.stderr.write(`[bench:accuracy] ${m}\n`);
const r2 = (x) => Math.round(x * 100) / 100;
const token = newToken();
const STALL = { from: 2500, to: 5500 }; // ms after the stub's start
const STALL_TOLERANCE_MS = 10;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)];
}

/**
 * The same exchange without the product, side by side: 10 plain `ws` sockets (v1), each sending the
 * pre-encoded execute_request 10 times with 200 ms pauses and timing send → third reply frame.
 * Shows what the host itself adds (loopback, process wake-ups) on top of the injected delay.
 */
async function rawProbe(stub) {
  const frame = encodeV1(
    makeRequest(
      'execute_request',
      { code: '1' },
      { session: 'probe', username: 'rehearse', channel: 'shell' },
    ),
  );
  const base = stub.url.replace(/^http/, 'ws');
  const one = (i) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base}user/probe/api/kernels/bench-probe-${i}/channels`, [V1_SUBPROTOCOL], {
        headers: { authorization: `token ${token}` },
      });
      const times = [];
      let frames = 0;
      let sent = 0;
      const guard = setTimeout(() => {
        ws.terminate();
        reject(new Error('raw probe took over 60 s'));
      }, 60_000);
      const next = () =>
        setTimeout(() => {
          sent = performance.now();
          ws.send(frame);
        }, 200);
      ws.on('message', () => {
        frames += 1;
        if (frames % 3 !== 0) return;
        times.push(performance.now() - sent);
        if (times.length < 10) return next();
        clearTimeout(guard);
        ws.close();
        resolve(times);
      });
      ws.once('open', next);
      ws.once('error', reject);
    });
  const all = (await Promise.all(Array.from({ length: 10 }, (_, i) => one(i)))).flat();
  return r2(median(all));
}

async function delayCase(delayMs) {
  const stub = await startStub({ token, replyDelayMs: delayMs, maxSeconds: 120 });
  try {
    const thinkMs = 200;
    const cellsPerUser = 10;
    const loaded = stubScenario({
      name: `accuracy-delay-${delayMs}`,
      binderUrl: stub.url,
      cohorts: [{ name: 'c', users: 10, arrival: { kind: 'burst', over: '1s' } }],
      thinkMs: { median: thinkMs, p95: thinkMs },
      durationMs: cellsPerUser * (delayMs + thinkMs + 20) + 200,
    });
    const run = await runAgainstStub({
      loaded,
      cells: tinyCells(cellsPerUser),
      binderUrl: stub.url,
      maxMs: 90_000,
    });
    dropRuns(run.runsDir);
    const st = await stub.stats();
    const rawWsP50Ms = await rawProbe(stub);
    const cell = trend(run.summary, 'cell.exec');
    const allowed = 2 + 0.01 * delayMs;
    return {
      injectedMs: delayMs,
      stubActualP50Ms: delayMs > 0 ? r2(median(st.replyDelaysMs)) : 0,
      measuredP50Ms: cell?.p50 ?? null,
      errorMs: cell ? r2(cell.p50 - delayMs) : null,
      rawWsP50Ms,
      rawWsErrorMs: r2(rawWsP50Ms - delayMs),
      allowedMs: allowed,
      pass: cell !== null && Math.abs(cell.p50 - delayMs) <= allowed,
      cellExecMs: cell,
      generatorLagMs: trend(run.summary, 'generator.lag'),
      cellsFailed: run.summary.rates['cell.failed']?.hits ?? null,
      users: run.summary.users,
    };
  } finally {
    await stub.stop();
  }
}

async function stallCase() {
  const stub = await startStub({ token, stall: [STALL.from, STALL.to], maxSeconds: 120 });
  try {
    const clock = new RealClock();
    const clockEpoch = performance.timeOrigin + performance.now() - clock.now();
    const start = stub.startedAt + STALL.from - clockEpoch; // the stall window on the run's clock
    const end = stub.startedAt + STALL.to - clockEpoch;
    const rel = [-1500, -800, -200, 200, 700, 1200, 1700, 2200, 2700, 3300, 4000];
    const at = rel.map((d) => Math.round(start + d));
    const loaded = stubScenario({
      name: 'accuracy-stall',
      binderUrl: stub.url,
      cohorts: [{ name: 'c', arrival: { kind: 'list', at: at.map((t) => `${t}ms`) } }],
      thinkMs: { median: 100, p95: 100 },
      durationMs: 500,
    });
    const run = await runAgainstStub({
      loaded,
      cells: tinyCells(1),
      binderUrl: stub.url,
      clock,
      maxMs: 60_000,
    });
    const steps = await readEvents(run.dir, (e) => e.type === 'step' && e.step === 'launch');
    dropRuns(run.runsDir);
    const st = await stub.stats();
    const users = steps
      .sort((a, b) => a.scheduled - b.scheduled)
      .map((e) => {
        const inStall = e.scheduled >= start && e.scheduled < end;
        const expected = inStall ? end - e.scheduled : 0;
        const deviation = e.duration - expected;
        return {
          user: e.user,
          scheduledMs: e.scheduled,
          inStall,
          waitMs: r2(e.duration),
          expectedMs: r2(expected),
          deviationMs: r2(deviation),
          ok: e.ok && (inStall ? Math.abs(deviation) <= STALL_TOLERANCE_MS : e.duration < 50),
        };
      });
    return {
      stallOnRunClockMs: [r2(start), r2(end)],
      stubHeldBuilds: st.buildsHeld,
      stubReleaseLateByMs: st.buildLog.map((b) => r2(b.releasedAt - (stub.startedAt + STALL.to))),
      rule: `in the stall: |wait − (stall end − scheduled)| <= ${STALL_TOLERANCE_MS} ms; outside: wait < 50 ms`,
      pass: users.length === rel.length && users.every((u) => u.ok),
      launchReadyMs: trend(run.summary, 'launch.ready'),
      users,
    };
  } finally {
    await stub.stop();
  }
}

const out = { bench: 'accuracy', machine: machine(), git: gitState() };
// A short unreported run first, so that no case pays for JIT warm-up.
say('warm-up…');
await delayCase(0);
// 0 ms: no delay injected, the floor (loopback round trip + generator) the other cases sit on; not judged.
say('reply delay 0 ms (reference)…');
out.reference = await delayCase(0);
out.delays = [];
for (const d of [10, 100, 1000]) {
  say(`reply delay ${d} ms…`);
  out.delays.push(await delayCase(d));
}
say('3 s /build stall…');
out.stall = await stallCase();
out.pass = out.delays.every((d) => d.pass) && out.stall.pass;
out.machine.loadAvgAfter = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(JSON.stringify(out, null, 2));
