#!/usr/bin/env node
// How much load one generator process makes, as JSON, with its baselines measured in the same run
// against the same stub target (bench/stub-target.mjs, its own process on 127.0.0.1):
//   launches     N users click at once (session 1 ms, no cells): launches/s through the whole product
//   sessions     S kernel sessions held at 1 execute/s each (think time 1 s fixed) for ~60 s:
//                schedule-lag p99, RSS per session, CPU-seconds per 1,000 round trips
//   ours-max     the same S sessions with think time 1 ms: the product's round trips/s, ~closed loop
//   client-max   S KernelConnections (the product's client, no runner) at the maximum rate
//   raw-ws       the ceiling: S plain `ws` sockets, same request bytes, at the maximum rate
//   runner       the runner alone: 500 sessions whose server lives in the worker process (no socket),
//                800 cells each at 1 ms think time: CPU-µs per cell of the runner's own work
//   raw-paced    the floor at 1 execute/s: S plain `ws` sockets, each sending a request 1 s after its
//                last answer (a timer, no decoding): the CPU per 1,000 round trips that any Node
//                websocket client pays at that rate on this machine (syscalls and wake-ups)
//   artillery    artillery@2.0.21 on the equivalent websocket scenario (installed on demand)
//   many         BENCH_MANY_SESSIONS (10000) kernel sessions in one process at 1 execute per 10 s, held
//                ~BENCH_MANY_SECONDS (90) after a 60 s ramp: schedule-lag p99, RSS per session, and the
//                peak of open file descriptors (read from /proc by this parent, every 2 s): the
//                `ulimit -n` that many sessions need
//   live         `--live` on and off: the sessions part again with the live server (worker thread)
//                serving an open page and a /metrics scrape a second (bench/lib/live-viewer.mjs),
//                each way BENCH_LIVE_PAIRS times, alternating; schedule-lag p99 with over without
// Each part runs in a fresh process (bench/lib/worker.mjs). Targets are reported, not asserted.
//   npm run bench:generator   (or node bench/generator.mjs after `npm run bootstrap`)
// Env: BENCH_SESSIONS (2000), BENCH_SESSION_SECONDS (60), BENCH_LAUNCH_USERS (1000),
//      BENCH_MAX_SECONDS (10), BENCH_SKIP_ARTILLERY=1, BENCH_KEEP_RUNS=1 (keep run records in /tmp),
//      BENCH_PARTS (all: launches,sessions,max,client,raw,raw-paced,runner,artillery,many,live), BENCH_LIVE_PAIRS (2),
//      BENCH_MANY_SESSIONS (10000), BENCH_MANY_SECONDS (90).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureArtillery, runArtillery } from './lib/artillery.mjs';
import { gitState, hostCpu, machine } from './lib/machine.mjs';
import { newToken, startStub } from './lib/stub.mjs';

const WORKER = fileURLToPath(new URL('./lib/worker.mjs', import.meta.url));
const num = (name, dflt) => Number(process.env[name] ?? dflt);
const say = (m) => process.stderr.write(`[bench:generator] ${m}\n`);
const r3 = (x) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : null);

const host = machine();
const wanted = num('BENCH_SESSIONS', 2000);
// Per session: one kernel websocket and up to two pooled HTTP connections (REST, /build) at once.
const byFd = Math.floor((host.fdLimit - 256) / 3);
const S = Math.min(wanted, byFd);
const sessionSeconds = num('BENCH_SESSION_SECONDS', 60);
const maxSeconds = num('BENCH_MAX_SECONDS', 10);
const launchUsers = Math.min(num('BENCH_LAUNCH_USERS', 1000), byFd);
const token = newToken();
const parts = new Set(
  (process.env.BENCH_PARTS ?? 'launches,sessions,max,client,raw,raw-paced,runner,artillery,many,live')
    .split(',')
    .map((x) => x.trim()),
);
const livePairs = num('BENCH_LIVE_PAIRS', 2);
const median = (xs) => {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length === 0
    ? null
    : v.length % 2
      ? v[(v.length - 1) / 2]
      : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

/** Open file descriptors of a process (Linux /proc), or null. */
const fdCount = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
};

/**
 * One part in a fresh process, bounded by `timeoutMs`; its stdout's last line is the result, with
 * the peak of the process's open file descriptors (read from here every 2 s) as `fdPeak`.
 */
function part(name, opts, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', WORKER, name, JSON.stringify(opts)], {
      env: { ...process.env, STUB_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let fdPeak = 0;
    const fdWatch = setInterval(() => {
      fdPeak = Math.max(fdPeak, fdCount(child.pid) ?? 0);
    }, 2000);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(fdWatch);
      const line = out.trim().split('\n').at(-1);
      try {
        resolve({ ...JSON.parse(line), fdPeak });
      } catch {
        resolve({
          error: `${name} ended with ${code ?? signal}${signal === 'SIGKILL' ? ` (over ${timeoutMs} ms)` : ''}: ${err.trim().slice(-600)}`,
        });
      }
    });
  });
}

/**
 * Run a part and attach what the stub and the rest of the host used meanwhile: a saturated stub, or
 * other processes taking the cores, would cap the numbers (the host is shared: see othersCores).
 */
async function measured(stub, name, fn) {
  say(`${name}…`);
  const a = await stub.stats();
  const h0 = hostCpu();
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const h1 = hostCpu();
  const b = await stub.stats();
  const stubCores = (b.cpuSeconds - a.cpuSeconds) / wall;
  const partCores = (result.process?.cpuSeconds ?? 0) / wall;
  const hostCores = h0 && h1 ? ((h1.busy - h0.busy) / (h1.total - h0.total)) * host.nproc : null;
  return {
    ...result,
    stub: { cpuCoresUsed: r3(stubCores), wsOpenMax: b.wsOpenMax },
    host: {
      wallSeconds: r3(wall),
      busyCores: r3(hostCores),
      othersCores: r3(hostCores - stubCores - partCores),
    },
  };
}

const notes = [];
if (S < wanted)
  notes.push(
    `sessions capped at ${S} by ulimit -n ${host.fdLimit} (asked ${wanted}): raise it with ulimit -n`,
  );
const stub = await startStub({ token, maxSeconds: 900 });
const out = {
  bench: 'generator',
  machine: host,
  git: gitState(),
  config: { sessions: S, sessionSeconds, maxSeconds, launchUsers },
};
try {
  if (parts.has('launches'))
    out.launches = await measured(stub, 'launches', () =>
      part('launches', { url: stub.url, users: launchUsers }, 240_000),
    );
  const sessionOpts = { url: stub.url, users: S, rampMs: 10_000, durationMs: sessionSeconds * 1000 };
  if (parts.has('sessions'))
    out.sessions = await measured(stub, 'sessions at 1 exec/s', () =>
      part('sessions', { ...sessionOpts, thinkMs: 1000, cells: sessionSeconds + 20 }, 240_000),
    );
  if (parts.has('many')) {
    const manyWanted = num('BENCH_MANY_SESSIONS', 10_000);
    const manySeconds = num('BENCH_MANY_SECONDS', 90);
    out.many = await measured(stub, `${manyWanted} sessions at 1 exec/10 s`, () =>
      part(
        'sessions',
        {
          url: stub.url,
          users: manyWanted,
          rampMs: 60_000,
          durationMs: manySeconds * 1000,
          thinkMs: 10_000,
          cells: Math.ceil(manySeconds / 10) + 5,
        },
        (manySeconds + 300) * 1000,
      ),
    );
    out.many.wanted = manyWanted;
  }
  if (parts.has('live')) {
    // Alternating off/on pairs: the shared host's background load drifts; the ratio is of medians.
    const runs = { off: [], on: [] };
    for (let i = 0; i < livePairs; i++) {
      for (const live of [false, true]) {
        const r = await measured(
          stub,
          `sessions at 1 exec/s, --live ${live ? 'on' : 'off'} (${i + 1}/${livePairs})`,
          () =>
            part('sessions', { ...sessionOpts, thinkMs: 1000, cells: sessionSeconds + 20, live }, 240_000),
        );
        runs[live ? 'on' : 'off'].push({
          scheduleLagMs: r.generatorLagMs,
          loopDelayMs: r.loopDelayMs,
          cpuCoresUsed: r.steady?.cpuCoresUsed ?? null,
          roundTrips: r.roundTrips,
          host: r.host,
          ...(r.liveViewer ? { viewer: r.liveViewer } : {}),
          ...(r.error ? { error: r.error } : {}),
        });
      }
    }
    const p99 = (k) => median(runs[k].map((r) => r.scheduleLagMs?.p99));
    out.live = {
      runs,
      scheduleLagP99Ms: { off: p99('off'), on: p99('on') },
      scheduleLagP99OnOverOff: r3(p99('on') / p99('off')),
    };
  }
  if (parts.has('max'))
    out.oursMax = await measured(stub, 'ours at max rate', () =>
      // Think time 1 ms, not 0: with 0 a session never waits on a timer, and libuv's poll phase then
      // runs for seconds per loop turn (timers, progress ticks and samples starve).
      part(
        'sessions',
        { ...sessionOpts, rampMs: 2000, durationMs: (maxSeconds + 10) * 1000, thinkMs: 1, cells: 20_000 },
        180_000,
      ),
    );
  const wsOpts = { url: stub.url, sockets: S, seconds: maxSeconds };
  if (parts.has('client'))
    out.clientMax = await measured(stub, 'client at max rate', () => part('client-max', wsOpts, 120_000));
  if (parts.has('raw'))
    out.rawWs = await measured(stub, 'raw ws ceiling', () => part('raw-ws', wsOpts, 120_000));
  if (parts.has('raw-paced'))
    out.rawPaced = await measured(stub, 'raw ws at 1 exec/s', () =>
      part('raw-ws', { ...wsOpts, seconds: 30, thinkMs: 1000 }, 120_000),
    );
  if (parts.has('runner'))
    out.runnerOnly = await measured(stub, 'the runner alone', () =>
      part('runner-only', { users: 500, cells: 800, seconds: 10 }, 120_000),
    );
  if (!parts.has('artillery')) out.artillery = { ok: false, note: 'not in BENCH_PARTS' };
  else if (process.env.BENCH_SKIP_ARTILLERY)
    out.artillery = { ok: false, note: 'skipped (BENCH_SKIP_ARTILLERY)' };
  else {
    say('artillery: install check…');
    const inst = await ensureArtillery();
    out.artillery = !inst.ok
      ? { ok: false, note: inst.note }
      : await measured(stub, 'artillery', async () => ({
          installed: inst.installed,
          ...(await runArtillery({
            url: stub.url,
            token,
            vus: S,
            rampSeconds: 10,
            loops: sessionSeconds,
            thinkSeconds: 1,
            stub,
            timeoutMs: 240_000,
          })),
        }));
  }
} finally {
  await stub.stop();
}

const ses = out.sessions?.steady ?? {};
const max = out.oursMax?.steady ?? {};
const art = out.artillery ?? {};
const raw = out.rawWs ?? {};
out.ratios = {
  // Throughput, as measured: both sides share a busy 2-core host, see each part's host.othersCores.
  oursMaxOverRawWsCeiling: r3(max.roundTripsPerSecond / raw.roundTripsPerSecond),
  clientMaxOverRawWsCeiling: r3(out.clientMax?.roundTripsPerSecond / raw.roundTripsPerSecond),
  // CPU-normalised: the share of the raw ceiling ours would reach with one core to itself.
  oursMaxOverRawWsCeilingPerCpu: r3(raw.cpuSecondsPer1000RoundTrips / max.cpuSecondsPer1000RoundTrips),
  clientMaxOverRawWsCeilingPerCpu: r3(
    raw.cpuSecondsPer1000RoundTrips / out.clientMax?.cpuSecondsPer1000RoundTrips,
  ),
  oursCpuPer1000OverArtillery: art.ok
    ? r3(ses.cpuSecondsPer1000RoundTrips / art.cpuSecondsPer1000RoundTrips)
    : null,
  oursWholeRunCpuPer1000OverArtillery: art.ok
    ? r3(out.sessions.wholeRun.cpuSecondsPer1000RoundTrips / art.cpuSecondsPer1000RoundTrips)
    : null,
  // At 1 execute/s: ours against plain ws sockets paced the same way (no decoding, no timing).
  oursCpuPer1000OverRawWsPaced: r3(
    ses.cpuSecondsPer1000RoundTrips / out.rawPaced?.cpuSecondsPer1000RoundTrips,
  ),
  artilleryCpuPer1000OverRawWsPaced: art.ok
    ? r3(art.cpuSecondsPer1000RoundTrips / out.rawPaced?.cpuSecondsPer1000RoundTrips)
    : null,
  oursRssPerSessionOverArtilleryPerVu: art.ok ? r3(ses.rssPerSessionKB / art.rssPerVuKB) : null,
  scheduleLagP99LiveOnOverOff: out.live?.scheduleLagP99OnOverOff ?? null,
};
const lagP99 = out.sessions?.generatorLagMs?.p99;
out.targets = {
  sessionsAt1PerSecond: { target: '>= 2000', measured: ses.sessions ?? null, met: ses.sessions >= 2000 },
  execPerSessionPerSecond: { target: '~1', measured: ses.execPerSessionPerSecond ?? null },
  scheduleLagP99Ms: { target: '<= 20', measured: lagP99 ?? null, met: lagP99 <= 20 },
  rssPerSessionKB: { target: '<= 64', measured: ses.rssPerSessionKB ?? null, met: ses.rssPerSessionKB <= 64 },
  shareOfRawWsCeiling: {
    target: '>= 0.7',
    measured: out.ratios.oursMaxOverRawWsCeiling,
    met: out.ratios.oursMaxOverRawWsCeiling >= 0.7,
    perCpu: out.ratios.oursMaxOverRawWsCeilingPerCpu,
  },
  manySessions: {
    target: '10000 sessions at 1 exec/10 s: schedule-lag p99 <= 20 ms, <= 64 KB RSS each',
    sessions: out.many?.steady?.sessions ?? out.many?.peakSessions ?? null,
    scheduleLagP99Ms: out.many?.generatorLagMs?.p99 ?? null,
    steadyScheduleLagP99Ms: out.many?.steady?.generatorLagMs?.p99 ?? null,
    rssPerSessionKB: out.many?.steady?.rssPerSessionKB ?? null,
    fdPeak: out.many?.fdPeak ?? null,
    fdLimit: host.fdLimit,
    met:
      out.many?.steady?.sessions >= 10_000 &&
      out.many?.generatorLagMs?.p99 <= 20 &&
      out.many?.steady?.rssPerSessionKB <= 64,
  },
  oneCore: {
    target: 'steady cpuCoresUsed <= 1',
    measured: ses.cpuCoresUsed ?? null,
    met: ses.cpuCoresUsed <= 1,
  },
};
out.machine.loadAvgAfter = loadavg().map((x) => Math.round(x * 100) / 100);
out.notes = notes;
console.log(JSON.stringify(out, null, 2));
