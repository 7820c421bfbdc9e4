#!/usr/bin/env node
// Soak: a long rehearsal on the local target with attendees arriving and leaving throughout
// (poisson arrivals, each session BENCH_SOAK_SESSION seconds, servers stopped on leaving). The
// generator (`rehearse run`, a child process) has its RSS sampled every 5 s from /proc; the bench
// prints the least-squares slope of RSS over time (MiB per minute, and KiB per attendee served),
// and as a baseline in the same run the RSS once the first quarter of the run has passed (warm:
// JIT, the stack's first servers) against the RSS at the end (ratio). Flat = nothing retained per
// user. Then events.jsonl is read back line by line through a stream (never loaded whole) and the
// reader's own heap growth is printed beside the file's size.
//
//   BENCH_SOAK_SECONDS=1800 node bench/soak.mjs     (default 1800 = 30 minutes; loopback only)
//   BENCH_SOAK_RATE=6 (arrivals per minute), BENCH_SOAK_SESSION=60 (seconds), BENCH_STACK=debian12
// Bounded: arrivals stop at BENCH_SOAK_SECONDS; the child is killed 10 minutes after that.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const { up, down } = await import(new URL('provision/local/stack.js', dist));
const BIN = fileURLToPath(new URL('../bin/rehearse.js', import.meta.url));

const seconds = Number(process.env.BENCH_SOAK_SECONDS ?? 1800);
const rate = Number(process.env.BENCH_SOAK_RATE ?? 6);
const session = Number(process.env.BENCH_SOAK_SESSION ?? 60);
const stackName = process.env.BENCH_STACK ?? 'debian12';

const dir = mkdtempSync(join(tmpdir(), 'rehearse-soak-'));
const stateDir = join(dir, 'local');
const nb = join(dir, 'soak.ipynb');
const cells = [
  'x = sum(range(100_000))',
  'import numpy as np\ny = np.arange(1_000_000).sum()',
  'print(x, y)',
];
writeFileSync(
  nb,
  JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: cells.map((source) => ({
      cell_type: 'code',
      metadata: {},
      outputs: [],
      execution_count: null,
      source,
    })),
  }),
);
const users = Math.ceil((rate * seconds) / 60) + 5;
const scenario = join(dir, 'soak.yaml');
writeFileSync(
  scenario,
  [
    'name: soak',
    'seed: 7',
    'target: { kind: local }',
    'repo: gh/rehearse-examples/dask-intro/HEAD',
    `cohorts: [{ name: soak, users: ${users}, arrival: { kind: poisson, ratePerMinute: ${rate}, until: ${seconds}s } }]`,
    `session: { notebook: ${nb}, thinkTime: { median: 2s, p95: 6s }, duration: ${session}s, onEnd: stop }`,
    '',
  ].join('\n'),
);

const rssKiB = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
};

/** Least squares slope of y over x. */
const slope = (pts) => {
  const n = pts.length;
  const mx = pts.reduce((s, p) => s + p.x, 0) / n;
  const my = pts.reduce((s, p) => s + p.y, 0) / n;
  const sxy = pts.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const sxx = pts.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : sxy / sxx;
};

await up({ stateDir, buildSeconds: 2, stack: stackName });
const samples = [];
let code;
try {
  const child = spawn(
    process.execPath,
    [BIN, 'run', scenario, '--json', '--out', join(dir, 'runs'), '--state-dir', stateDir],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const t0 = Date.now();
  const timer = setInterval(() => {
    const kib = rssKiB(child.pid);
    if (kib !== null) samples.push({ t: (Date.now() - t0) / 1000, kib });
  }, 5000);
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + session + 600) * 1000);
  code = await new Promise((r) => child.on('exit', (c) => r(c)));
  clearInterval(timer);
  clearTimeout(killer);
  const summary = JSON.parse(out);
  const [id] = readdirSync(join(dir, 'runs'));
  const eventsFile = join(dir, 'runs', id, 'events.jsonl');

  // Streaming read-back: one line at a time; the heap grows by the counters, not by the file.
  const heap0 = process.memoryUsage().heapUsed;
  const counts = {};
  let lines = 0;
  const rl = createInterface({ input: createReadStream(eventsFile), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (!line) continue;
    lines += 1;
    const ev = JSON.parse(line);
    counts[ev.type] = (counts[ev.type] ?? 0) + 1;
  }
  const heapGrowth = process.memoryUsage().heapUsed - heap0;

  // Fit over the steady part: after the first quarter (warm-up), up to the end of arrivals.
  const steady = samples
    .filter((s) => s.t >= seconds / 4 && s.t <= seconds)
    .map((s) => ({ x: s.t / 60, y: s.kib / 1024 }));
  const mibPerMin = slope(steady);
  const served = summary.users.completed + summary.users.failed;
  const warm = steady[0]?.y ?? null;
  const last = steady.at(-1)?.y ?? null;
  console.log(
    JSON.stringify(
      {
        bench: 'soak',
        stack: stackName,
        seconds,
        ratePerMinute: rate,
        sessionSeconds: session,
        exitCode: code,
        users: summary.users,
        failures: summary.failures,
        rss: {
          samples: samples.length,
          firstMiB: samples[0] ? Math.round(samples[0].kib / 102.4) / 10 : null,
          warmMiB: warm && Math.round(warm * 10) / 10,
          endMiB: last && Math.round(last * 10) / 10,
          maxMiB: Math.round(Math.max(...samples.map((s) => s.kib)) / 102.4) / 10,
          slopeMiBPerMinute: Math.round(mibPerMin * 1000) / 1000,
          slopeKiBPerUser:
            served > 0
              ? Math.round(((mibPerMin * ((seconds * 3) / 4 / 60)) / served) * 1024 * 10) / 10
              : null,
          endOverWarm: warm && last ? Math.round((last / warm) * 1000) / 1000 : null,
        },
        eventsReadBack: {
          bytes: statSync(eventsFile).size,
          lines,
          byType: counts,
          readerHeapGrowthKiB: Math.round(heapGrowth / 1024),
        },
      },
      null,
      2,
    ),
  );
} finally {
  const res = await down({ stateDir });
  if (res.leftovers.length > 0) console.error(`processes survived: ${res.leftovers.join(' ')}`);
}
process.exitCode = code === 0 ? 0 : 1;
