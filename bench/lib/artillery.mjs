// The Artillery baseline: artillery@2.0.21 (the last release whose engines allow Node 20, ~600 MB)
// installed on demand into bench/.artillery/ (git-ignored; never a project dependency), then run on
// the websocket scenario equivalent to the generator's sessions part against the same stub.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const PREFIX = fileURLToPath(new URL('../.artillery/', import.meta.url));
const BIN = join(PREFIX, 'node_modules', 'artillery', 'bin', 'run');
const VERSION = '2.0.21';
const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;

/** Run `cmd` bounded by `timeoutMs` (SIGKILL after); resolves {code, ms, tail}. */
function run(cmd, args, { env, timeoutMs, onSpawn }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let tail = '';
    const keep = (d) => {
      tail = (tail + d).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, ms: performance.now() - t0, tail });
    });
  });
}

/** Installs artillery@2.0.21 into bench/.artillery/ unless it is there; bounded by 5 minutes. */
export async function ensureArtillery() {
  const pkg = join(PREFIX, 'node_modules', 'artillery', 'package.json');
  if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === VERSION) {
    return { ok: true, installed: 'already' };
  }
  const env = { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' };
  const args = ['install', '--prefix', PREFIX, '--no-audit', '--no-fund', `artillery@${VERSION}`];
  const r = await run('npm', args, { env, timeoutMs: 300_000 });
  if (r.code === 0 && existsSync(pkg)) return { ok: true, installed: `in ${r1(r.ms / 1000)} s` };
  return {
    ok: false,
    note: `npm install artillery@${VERSION} ${r.code === 'SIGKILL' ? 'took over 5 min' : `failed (${r.code})`}: ${r.tail.slice(-300)}`,
  };
}

/** utime+stime (s) and RSS (MB) of a process from /proc; null once it is gone. */
function procSample(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    return { cpu, rss };
  } catch {
    return null;
  }
}

/**
 * Artillery's websocket engine on the sessions scenario: `vus` virtual users arriving over
 * `rampSeconds` (after a 5 s pause that gives the baseline RSS), each connecting to a kernel
 * websocket and looping `loops` × { send the execute_request; think `thinkSeconds` }. Its ws engine
 * sends text frames only (legacy JSON protocol) and cannot wait for a reply of 3 messages (a
 * `capture` step completes on the first message), so its VUs send and think without waiting: the
 * stub's execute counter gives the round trips. CPU and RSS are sampled from /proc every 500 ms;
 * the baseline is the last sample before the stub saw the first socket.
 */
export async function runArtillery({ url, token, vus, rampSeconds, loops, thinkSeconds, stub, timeoutMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-artillery-'));
  const request = {
    channel: 'shell',
    header: {
      msg_id: '00000000-0000-4000-8000-000000000000',
      msg_type: 'execute_request',
      session: '00000000-0000-4000-8000-000000000001',
      username: 'rehearse',
      date: new Date().toISOString(),
      version: '5.3',
    },
    parent_header: {},
    metadata: {},
    content: {
      code: '1',
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    },
    buffers: [],
  };
  const script = {
    config: {
      target: `${url.replace(/^http/, 'ws')}user/artillery/api/kernels/bench-artillery/channels`,
      phases: [{ pause: 5 }, { duration: rampSeconds, arrivalCount: vus }],
      ws: { headers: { authorization: `token ${token}` } },
    },
    scenarios: [
      {
        engine: 'ws',
        flow: [{ loop: [{ send: JSON.stringify(request) }, { think: thinkSeconds }], count: loops }],
      },
    ],
  };
  writeFileSync(join(dir, 'script.json'), JSON.stringify(script), { mode: 0o600 });
  const env = { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true', NO_COLOR: '1' };
  const samples = [];
  const before = await stub.stats();
  let pid;
  let started = null;
  const sampler = setInterval(async () => {
    const s = pid && procSample(pid);
    if (!s) return;
    const st = await stub.stats().catch(() => null);
    samples.push({ ...s, wsOpen: st?.wsOpen ?? 0 });
    if (started === null && st && st.wsOpened > before.wsOpened) started = samples.length - 1;
  }, 500);
  const r = await run(
    process.execPath,
    [BIN, 'run', '--output', join(dir, 'report.json'), join(dir, 'script.json')],
    {
      env,
      timeoutMs,
      onSpawn: (c) => {
        pid = c.pid;
      },
    },
  );
  clearInterval(sampler);
  const after = await stub.stats();
  let report = null;
  try {
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')).aggregate;
  } catch {
    report = null;
  }
  rmSync(dir, { recursive: true, force: true });
  if (r.code !== 0 || started === null || samples.length < 2) {
    return { ok: false, note: `artillery exited ${r.code}: ${r.tail.slice(-400)}` };
  }
  const base = samples[Math.max(0, started - 1)];
  const last = samples.at(-1);
  const peak = samples.reduce((a, s) =>
    s.wsOpen > a.wsOpen || (s.wsOpen === a.wsOpen && s.rss > a.rss) ? s : a,
  );
  const roundTrips = after.executes - before.executes;
  const cpu = last.cpu - base.cpu;
  const c = report?.counters ?? {};
  return {
    ok: true,
    vus,
    wallSeconds: r1(r.ms / 1000),
    peakSockets: peak.wsOpen,
    rssBaselineMB: r1(base.rss),
    rssPeakMB: r1(peak.rss),
    rssPerVuKB: r1(((peak.rss - base.rss) * 1024) / Math.max(1, peak.wsOpen)),
    roundTrips,
    cpuSecondsAfterFirstSocket: r3(cpu),
    cpuSecondsPer1000RoundTrips: r3((cpu / roundTrips) * 1000),
    counters: {
      sent: c['websocket.messages_sent'] ?? null,
      vusersCreated: c['vusers.created'] ?? null,
      vusersCompleted: c['vusers.completed'] ?? null,
      vusersFailed: c['vusers.failed'] ?? 0,
      errors: Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith('errors.'))),
    },
    sessionLengthMs: report?.summaries?.['vusers.session_length'] ?? null,
    process: { cpuSeconds: last.cpu, maxRssMB: r1(Math.max(...samples.map((s) => s.rss))) },
  };
}
