#!/usr/bin/env node
// Prediction accuracy of the calibrated one-node model of the local target (issue [capacity]):
// per round, one real run on a fresh local stack (JupyterHub, jupyter-server, kernels, Dask) with
// two cohorts of different shape — `cal`: a burst over 15 s during the 8 s emulated build; `rush`:
// a burst over 3 s once the first cohort has left. Calibrate on `cal` only, predict `rush`, compare
// time-to-ready p50/p95 with what was measured. Baseline in the same round: the uncalibrated
// defaults' prediction. Goal: within 25 %.
//
// Run it on a quiet machine (it measures this machine; other load skews the measurement, not the
// model): `npm run build && node bench/calibration.mjs` (BENCH_ROUNDS=3, BENCH_USERS=8 per cohort,
// BENCH_STACKS=debian12,debian13 — the local stacks to run it on, each reported on its own, with
// the versions the stack reported).
// Talks only to 127.0.0.1; every run is bounded by the scenario and a 5-minute kill timer.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const { calibrate, localTargetInput } = await import(new URL('analysis/calibrate.js', dist));
const { defaultParams, valuesOf } = await import(new URL('analysis/model.js', dist));
const { percentile, simulate } = await import(new URL('analysis/sim/simulate.js', dist));
const { planArrivals } = await import(new URL('loadgen/arrivals.js', dist));
const { readRecord } = await import(new URL('loadgen/record/reader.js', dist));
const { loadScenario } = await import(new URL('scenarios/load.js', dist));

const BIN = fileURLToPath(new URL('../bin/rehearse.js', import.meta.url));
const NOTEBOOK = fileURLToPath(new URL('../scenarios/notebooks/dask-xarray-intro.ipynb', import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const stacks = (process.env.BENCH_STACKS ?? 'debian12,debian13').split(',').filter(Boolean);
const users = Number(process.env.BENCH_USERS ?? 8);
const r1 = (x) => Math.round(x);
const r3 = (x) => Math.round(x * 1000) / 1000;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function runCli(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d.toString();
    });
    const killer = setTimeout(() => child.kill('SIGINT'), 300_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr });
    });
  });
}

/** The record restricted to one cohort's users. */
function cohortOnly(record, cohort) {
  const ids = new Set(
    record.events.flatMap((e) => (e.type === 'arrival' && e.cohort === cohort ? [e.user] : [])),
  );
  return { ...record, events: record.events.filter((e) => !('user' in e) || ids.has(e.user)) };
}

function predictRush(params, scenario, planned) {
  const sim = simulate(
    localTargetInput(
      valuesOf(params),
      planned.map((a) => a.t),
      scenario.seed,
    ),
  );
  const rush = new Set(planned.filter((a) => a.cohort === 'rush').map((a) => a.id));
  return sim.users
    .filter((_, i) => rush.has(planned[i]?.id))
    .map((u) => u.timeToReady ?? Number.POSITIVE_INFINITY)
    .sort((a, b) => a - b);
}

async function roundsOn(stack) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-bench-cal-'));
    const file = join(dir, 'two-shapes.yaml');
    writeFileSync(
      file,
      [
        'name: two-shapes',
        `seed: ${9 + round}`,
        'target: { kind: local, buildTime: 8s }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        'cohorts:',
        `  - { name: cal, users: ${users}, arrival: { kind: burst, over: 15s } }`,
        `  - { name: rush, users: ${users}, start: 50s, arrival: { kind: burst, over: 3s } }`,
        `session: { notebook: ${NOTEBOOK}, thinkTime: { median: 2s, p95: 5s }, duration: 25s }`,
        'capacity: { user: { memory: 1Gi, cpu: 0.5 }, flavors: [m3.medium], nodeReady: 5m }',
        '',
      ].join('\n'),
    );
    const runs = join(dir, 'runs');
    const started = performance.now();
    const r = await runCli(['run', file, '--out', runs, '--state-dir', join(dir, 'local'), '--stack', stack]);
    if (r.code !== 0) {
      process.stderr.write(`${stack} round ${round}: rehearse run exited ${r.code}\n${r.stderr}\n`);
      process.exitCode = 1;
      break;
    }
    const record = readRecord(join(runs, readdirSync(runs)[0]));
    const { scenario } = await loadScenario(file);
    const planned = planArrivals(scenario).arrivals;
    const base = defaultParams(scenario);
    const cal = calibrate(base, cohortOnly(record, 'cal'), 'local');
    const measured = cohortOnly(record, 'rush')
      .events.flatMap((e) => (e.type === 'step' && e.step === 'launch' && e.ok ? [e.duration] : []))
      .sort((a, b) => a - b);
    const figures = (predicted) => ({
      p50: {
        predicted: r1(percentile(predicted, 50)),
        err: r3(percentile(predicted, 50) / percentile(measured, 50) - 1),
      },
      p95: {
        predicted: r1(percentile(predicted, 95)),
        err: r3(percentile(predicted, 95) / percentile(measured, 95) - 1),
      },
    });
    results.push({
      round,
      versions: record.meta.target?.stack?.versions,
      record: record.dir,
      runSeconds: r1((performance.now() - started) / 1000),
      loadavg1m: Math.round(loadavg()[0] * 10) / 10, // other load on the machine skews the measurement
      fit: cal.localFit,
      measured: { n: measured.length, p50: r1(percentile(measured, 50)), p95: r1(percentile(measured, 95)) },
      calibrated: figures(predictRush(cal.params, scenario, planned)),
      defaults: figures(predictRush(base, scenario, planned)),
    });
    rmSync(join(dir, 'local'), { recursive: true, force: true }); // the stack's state; the record stays
    process.stderr.write(`${stack}: round ${round + 1}/${rounds} done: ${record.dir}\n`);
  }
  return results;
}

const abs = (results, k, q) => r3(median(results.map((x) => Math.abs(x[k][q].err))));
const byStack = {};
for (const stack of stacks) {
  const results = await roundsOn(stack);
  if (results.length === 0) continue;
  byStack[stack] = {
    rounds: results,
    medianAbsError: {
      calibrated: { p50: abs(results, 'calibrated', 'p50'), p95: abs(results, 'calibrated', 'p95') },
      defaults: { p50: abs(results, 'defaults', 'p50'), p95: abs(results, 'defaults', 'p95') },
    },
  };
}
const out = {
  bench: 'calibration',
  stacks: byStack,
  goal: 0.25,
  machine: { node: process.version, loadavg: loadavg().map((x) => Math.round(x * 10) / 10) },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
