#!/usr/bin/env node
// Launch timings on the local target, as JSON, with a baseline measured in the same run:
//   baseline  = JupyterHub alone: POST users/{u}/server with Binder-like user_options, progress until ready
//   candidate = the same through the BinderHub-API front (/build stream, cache hit), then kernel + one Dask cell
// ratio = candidate p50 / baseline p50 for the launch itself (the front's overhead over a bare spawn).
// Loopback only; bounded: BENCH_ROUNDS rounds (default 5), each step with its own timeout.
//   npm run bench            (or: node bench/launch-local.mjs after `npm run bootstrap`)
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/', import.meta.url);
const { up, down } = await import(new URL('provision/local/stack.js', dist));
const { readToken } = await import(new URL('provision/local/state.js', dist));
const { HubClient } = await import(new URL('loadgen/clients/hub.js', dist));
const { launchOnce } = await import(new URL('loadgen/launch-once.js', dist));

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const SPEC = 'gh/rehearse-examples/dask-intro/HEAD';
const CELL = {
  index: 0,
  source: 'import dask.array as da\nprint(int(da.arange(1_000_000, chunks=100_000).sum().compute()))',
};

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: round(s[0]), p50: round(q(0.5)), max: round(s.at(-1)) };
};
const round = (x) => Math.round(x * 10) / 10;

const stateDir = join(mkdtempSync(join(tmpdir(), 'rehearse-bench-')), 'local');
const t0 = performance.now();
const stack = await up({ stateDir, buildSeconds: 0 });
const upMs = performance.now() - t0;
const token = readToken(stack.state);
const hub = new HubClient({ hubUrl: stack.state.hubUrl, token });
const leave = async (user) => {
  await hub.stopServer(user);
  await hub.waitForStopped(user, 60_000);
  await hub.deleteUser(user, { timeoutMs: 60_000 });
};
const base = { spawn: [] };
const cand = { launch: [], kernelStart: [], wsConnect: [], cell: [] };
try {
  // Warm the emulated image cache and learn the image name the hub's spawner expects.
  const warm = await launchOnce({
    binderUrl: stack.state.binderUrl,
    spec: SPEC,
    cells: [CELL],
    protocol: 'v1',
    hubToken: token,
    launchTimeoutMs: 120_000,
    stepTimeoutMs: 60_000,
    cellTimeoutMs: 60_000,
  });
  if (warm.error) throw warm.error;
  if (warm.cleanup.some((c) => !c.ok))
    throw new Error(`warm-up cleanup failed: ${JSON.stringify(warm.cleanup)}`);
  const image = warm.image;
  for (let i = 0; i < rounds; i++) {
    const user = `bench-${i}-${randomUUID().slice(0, 8)}`;
    await hub.createUser(user);
    const s = performance.now();
    await hub.startServer(user, {
      userOptions: {
        image,
        token: randomUUID().replaceAll('-', ''),
        repo_url: 'https://github.com/rehearse-examples/dask-intro',
      },
    });
    await hub.progress(user, { stallMs: 30_000, timeoutMs: 120_000 });
    base.spawn.push(performance.now() - s);
    await leave(user);

    const r = await launchOnce({
      binderUrl: stack.state.binderUrl,
      spec: SPEC,
      cells: [CELL],
      protocol: 'v1',
      hubToken: token,
      launchTimeoutMs: 120_000,
      stepTimeoutMs: 60_000,
      cellTimeoutMs: 60_000,
    });
    if (r.error) throw r.error;
    const took = (name) => r.steps.find((x) => x.step === name)?.durationMs;
    cand.launch.push(took('launch'));
    cand.kernelStart.push(took('kernel.start'));
    cand.wsConnect.push(took('ws.connect'));
    cand.cell.push(took('cell.exec'));
  }
} finally {
  const res = await down({ stateDir });
  if (res.leftovers.length > 0)
    console.error(`processes survived the bench: kill -9 ${res.leftovers.join(' ')}`);
}
const baseline = { spawnMs: stats(base.spawn) };
const candidate = {
  launchMs: stats(cand.launch),
  kernelStartMs: stats(cand.kernelStart),
  wsConnectMs: stats(cand.wsConnect),
  daskCellMs: stats(cand.cell),
};
console.log(
  JSON.stringify(
    {
      bench: 'launch-local',
      rounds,
      node: process.version,
      upMs: round(upMs),
      baseline,
      candidate,
      ratios: {
        launchP50OverBareSpawnP50: round((candidate.launchMs.p50 / baseline.spawnMs.p50) * 100) / 100,
      },
    },
    null,
    2,
  ),
);
