// Driving the product's rehearse() against the stub target: a scenario built through the product's
// own parser, tiny code cells, a bounded run, and readers for the run record.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const dist = new URL('../../dist/', import.meta.url);
const { rehearse } = await import(new URL('loadgen/run.js', dist));
const { BinderTarget } = await import(new URL('loadgen/runner/targets.js', dist));
const { parseScenario, scenarioHash } = await import(new URL('scenarios/load.js', dist));

export { RealClock } from '../../dist/loadgen/clock.js';

const SPEC = 'gh/stub/bench/HEAD';

/**
 * A LoadedScenario for the stub: `cohorts` as in YAML (durations as strings), think time
 * {median, p95} and session duration in ms. Goes through parseScenario, so it is a valid scenario.
 */
export function stubScenario({ name, binderUrl, cohorts, thinkMs, durationMs, seed = 42 }) {
  const text = JSON.stringify({
    name,
    seed,
    target: { kind: 'binderhub', url: binderUrl },
    repo: SPEC,
    cohorts,
    session: {
      notebook: 'bench.ipynb',
      thinkTime: { median: `${thinkMs.median}ms`, p95: `${thinkMs.p95}ms` },
      duration: `${durationMs}ms`,
      onEnd: 'stop',
    },
  });
  const scenario = parseScenario(text, `${name} (bench)`);
  return {
    scenario,
    sourcePath: join(import.meta.dirname, `${name}.bench`),
    baseDir: import.meta.dirname,
    hash: scenarioHash(scenario),
    notebookPath: join(import.meta.dirname, 'bench.ipynb'),
  };
}

/** `n` one-character code cells (`1`): the smallest execute_request a notebook sends. */
export const tinyCells = (n) => Array.from({ length: n }, (_, index) => ({ index, source: '1' }));

/**
 * One rehearse() run against the stub, bounded by `maxMs` (then aborted). Returns the summary, the
 * record dir, CPU seconds and wall ms of the run, and a progress sample per second
 * ({t, ready, inCells, rssMB}). opts: { loaded, cells, binderUrl, protocol?, maxMs, clock?, keep?, live? }
 */
export async function runAgainstStub(opts) {
  const runsDir = mkdtempSync(join(tmpdir(), 'rehearse-bench-runs-'));
  const stop = new AbortController();
  const abort = new AbortController();
  const guard = setTimeout(
    () => abort.abort(new Error(`bench bound of ${opts.maxMs} ms reached`)),
    opts.maxMs,
  );
  const samples = [];
  const reporter = {
    onProgress: (p) =>
      samples.push({
        t: Math.round(p.t),
        ready: p.ready,
        inCells: p.inCells,
        rssMB: process.memoryUsage.rss() / 2 ** 20,
        cpuSeconds: cpuNow(),
      }),
  };
  // opts.live: serve the run as `rehearse run --live` does, watched from another process.
  const live = opts.live ? await startWatchedLive() : null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await rehearse({
      loaded: opts.loaded,
      runsDir,
      target: new BinderTarget({ binderUrl: opts.binderUrl, spec: SPEC, launchTimeoutMs: 120_000 }),
      thresholds: [],
      cells: opts.cells,
      protocol: opts.protocol ?? 'v1',
      reporter: live ? live.live.reporter(reporter) : reporter,
      ...(live ? { tap: live.live.tap } : {}),
      stop: stop.signal,
      abort: abort.signal,
      clock: opts.clock,
      toolVersion: 'bench',
      stepTimeoutMs: 60_000,
      cellTimeoutMs: 60_000,
    });
    const cpu = process.cpuUsage(cpu0);
    return {
      summary: result.summary,
      dir: result.dir,
      runsDir,
      wallMs: performance.now() - t0,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      samples,
      ...(live ? { viewer: await live.stop() } : {}),
    };
  } finally {
    clearTimeout(guard);
    await live?.stop();
  }
}

/** The live server (its worker thread) and a viewer process: an open page and a scrape a second. */
async function startWatchedLive() {
  const { startLive } = await import(new URL('live/live.js', dist));
  const token = randomBytes(16).toString('hex');
  const live = await startLive({
    token,
    page: { host: '127.0.0.1', port: 0 },
    warn: (l) => process.stderr.write(`${l}\n`),
  });
  const origin = new URL(live.pageUrl).origin;
  const viewer = spawn(
    process.execPath,
    [fileURLToPath(new URL('./live-viewer.mjs', import.meta.url)), origin, token],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  viewer.stdout.on('data', (d) => {
    out += d;
  });
  let stopped = null;
  return {
    live,
    stop: () => {
      stopped ??= (async () => {
        const exited = new Promise((r) => viewer.once('exit', r));
        viewer.kill('SIGTERM');
        await exited;
        await live.close();
        try {
          return JSON.parse(out.trim().split('\n').at(-1));
        } catch {
          return { error: `viewer: ${out.slice(-300)}` };
        }
      })();
      return stopped;
    },
  };
}

/** CPU seconds (user + system) this process has used so far. */
export function cpuNow() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}

/**
 * Times calls of `obj[name]` (a prototype method of the product) without changing what it does:
 * the bench sees how long the generator's event loop spent in it. Returns the tally.
 */
export function timeCalls(obj, name) {
  const tally = { calls: 0, totalMs: 0, maxMs: 0 };
  const orig = obj[name];
  obj[name] = function (...args) {
    const t = performance.now();
    try {
      return orig.apply(this, args);
    } finally {
      const ms = performance.now() - t;
      tally.calls += 1;
      tally.totalMs += ms;
      tally.maxMs = Math.max(tally.maxMs, ms);
    }
  };
  return tally;
}

/** Remove a run record folder made by runAgainstStub (unless BENCH_KEEP_RUNS is set). */
export function dropRuns(runsDir) {
  if (!process.env.BENCH_KEEP_RUNS) rmSync(runsDir, { recursive: true, force: true });
}

/** Every event of a record's events.jsonl for which `keep(ev)` is true. */
export async function readEvents(dir, keep) {
  const out = [];
  const lines = createInterface({ input: createReadStream(join(dir, 'events.jsonl')), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line === '') continue;
    const ev = JSON.parse(line);
    if (keep(ev)) out.push(ev);
  }
  return out;
}

/** A trend of the summary, rounded to 0.01 ms, or null. */
export function trend(summary, key) {
  const s = summary.trends[key];
  if (!s) return null;
  const r = (x) => Math.round(x * 100) / 100;
  return { count: s.count, p50: r(s.p50), p90: r(s.p90), p99: r(s.p99), max: r(s.max), mean: r(s.mean) };
}
