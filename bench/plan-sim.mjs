#!/usr/bin/env node
// Capacity-planning speed, as JSON (never part of `npm test`):
//   sim    = one simulation of 1,000 users over an 8-hour event (8 classes of 125, each clicking within
//            5 minutes of the hour, 45-minute sessions, Pythia's 8 GiB / 4 CPU users on m3.large:
//            dozens of scale-ups and scale-downs); target <= 100 ms. Median of BENCH_ROUNDS (default 15)
//            after 5 warm-up runs; events/s = simulated events / wall time.
//   search = `rehearse plan scenarios/pythia-workshop.yaml`'s search over m3.large and m3.xl
//            (every candidate simulated 3 times);
//            target >= 500 candidates in <= 5 s.
// Timings are wall-clock on a shared machine: loadavg is printed beside them.
//   node scripts/bootstrap.mjs && node bench/plan-sim.mjs
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

const dist = new URL('../dist/', import.meta.url);
const { simulate } = await import(new URL('analysis/sim/simulate.js', dist));
const { defaultParams, valuesOf } = await import(new URL('analysis/model.js', dist));
const { nodeRoom } = await import(new URL('analysis/node-capacity.js', dist));
const { findFlavor, jetstream2Catalogue, suPerHour } = await import(new URL('analysis/catalogue.js', dist));
const { planCluster } = await import(new URL('analysis/sizing.js', dist));
const { loadScenario } = await import(new URL('scenarios/load.js', dist));
const { planArrivals } = await import(new URL('loadgen/arrivals.js', dist));

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);
const round = (x) => Math.round(x * 10) / 10;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { scenario } = await loadScenario(
  new URL('../scenarios/pythia-workshop.yaml', import.meta.url).pathname,
);
const model = valuesOf(defaultParams(scenario));
const catalogue = jetstream2Catalogue();
const flavor = findFlavor(catalogue, 'm3.large');
const HOUR = 3_600_000;
// Class h: 125 clicks spread evenly over the first 5 minutes of hour h.
const arrivals = Array.from(
  { length: 1000 },
  (_, i) => Math.floor(i / 125) * HOUR + Math.floor(((i % 125) * 300_000) / 125),
);
const input = (seed) => ({
  seed,
  arrivals,
  user: {
    name: 'user-m3-large',
    role: 'user',
    room: nodeRoom(flavor, model.nodeOverhead),
    min: 1,
    max: 60,
    initial: 30,
    suPerHour: suPerHour(flavor, catalogue.rates),
  },
  placeholders: 6,
  model,
});

for (let i = 0; i < 5; i++) simulate(input(100 + i));
const times = [];
let last;
for (let i = 0; i < rounds; i++) {
  const t0 = performance.now();
  last = simulate(input(i));
  times.push(performance.now() - t0);
}
const simMs = median(times);

const arrivalsPythia = planArrivals(scenario).arrivals.map((a) => a.t);
const t0 = performance.now();
// Two candidate flavors (Pythia's own scenario lists one, m3.large: 352 candidates).
const wide = { ...scenario, capacity: { ...scenario.capacity, flavors: ['m3.large', 'm3.xl'] } };
const report = planCluster({ scenario: wide, arrivals: arrivalsPythia });
const searchMs = performance.now() - t0;
const searched = report.recommendation.searched;

const out = {
  sim: {
    users: arrivals.length,
    hours: 8,
    rounds,
    msMedian: round(simMs),
    msMin: round(Math.min(...times)),
    events: last.events,
    eventsPerSec: Math.round(last.events / (simMs / 1000)),
    scaleUps: last.groups[0].scaleUps,
    peakNodes: last.groups[0].peakNodes,
    targetMs: 100,
    pass: simMs <= 100,
  },
  search: {
    candidates: searched,
    simulations: searched * 3,
    ms: round(searchMs),
    candidatesPerSec: Math.round(searched / (searchMs / 1000)),
    target: { candidates: 500, ms: 5000 },
    pass: searched >= 500 && searchMs <= 5000,
  },
  machine: { node: process.version, cpus: cpus().length, loadavg: loadavg().map(round) },
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
