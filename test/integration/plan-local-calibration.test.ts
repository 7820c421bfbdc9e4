import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrate, localTargetInput } from '../../analysis/calibrate.js';
import { defaultParams, valuesOf } from '../../analysis/model.js';
import { percentile, simulate } from '../../analysis/sim/simulate.js';
import { plan } from '../../cli/commands/plan.js';
import { planArrivals } from '../../loadgen/arrivals.js';
import { type RunRecord, readRecord } from '../../loadgen/record/reader.js';
import { loadScenario } from '../../scenarios/load.js';
import { describeEachStack, startTestStack, type TestStack } from '../helpers/local-stack.js';

// Against measurement, in one real run on the local target (JupyterHub, jupyter-server, kernels,
// Dask): calibrate the one-node model on the first cohort (a burst during the emulated build), then
// predict the second, differently shaped cohort (a rush of clicks 45 s later) and compare
// time-to-ready p50/p95. The goal is 25 %; the accuracy is a timing figure, measured on a quiet
// machine by `npm run bench:calibration` (rounds, medians) — here other test files share the two
// cores, so this test only catches a broken calibration (off by an order of magnitude) and logs its
// figures. Then `rehearse plan --from` the same record: the parameters become measured.
const BIN = fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url));
const NOTEBOOK = fileURLToPath(new URL('../../scenarios/notebooks/dask-xarray-intro.ipynb', import.meta.url));
describeEachStack('plan-local-calibration', (stack) => {
  let t: TestStack;
  let dir: string;

  beforeAll(async () => {
    t = await startTestStack({ stack, buildSeconds: 8 });
    dir = mkdtempSync(join(tmpdir(), 'rehearse-plancal-'));
  });

  afterAll(async () => {
    const { leftovers } = await t.stop();
    expect(leftovers).toEqual([]);
  });

  function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        resolve({ code, stderr });
      });
    });
  }

  /** The record restricted to one cohort's users (arrivals and launches). */
  function cohortOnly(record: RunRecord, cohort: string): RunRecord {
    const users = new Set(
      record.events.flatMap((e) => (e.type === 'arrival' && e.cohort === cohort ? [e.user] : [])),
    );
    return { ...record, events: record.events.filter((e) => !('user' in e) || users.has(e.user)) };
  }

  /**
   * How many times apart two positive figures are, whichever is larger: 1 when equal, 10 when one
   * is ten times the other. Symmetric, so an under-prediction fails as surely as an over-prediction
   * (|a − b| / b is at most 1 for any a <= b, so it could not catch the former).
   */
  const factorApart = (a: number, b: number) =>
    a > 0 && b > 0 ? Math.max(a / b, b / a) : Number.POSITIVE_INFINITY;

  describe('calibration against the local stack', () => {
    it('calibrated on one cohort, predicts another cohort shape; plan --from marks parameters measured', async () => {
      const file = join(dir, 'two-shapes.yaml');
      writeFileSync(
        file,
        [
          'name: two-shapes',
          'seed: 9',
          'target: { kind: local }',
          'repo: gh/rehearse-examples/dask-intro/HEAD',
          'cohorts:',
          '  - { name: cal, users: 6, arrival: { kind: burst, over: 15s } }',
          '  - { name: rush, users: 6, start: 45s, arrival: { kind: burst, over: 3s } }',
          `session: { notebook: ${NOTEBOOK}, thinkTime: { median: 2s, p95: 5s }, duration: 25s }`,
          'capacity: { user: { memory: 1Gi, cpu: 0.5 }, flavors: [m3.medium], nodeReady: 5m }',
          '',
        ].join('\n'),
      );
      const runs = join(dir, 'runs');
      const r = await runCli(['run', file, '--out', runs, '--state-dir', t.stack.stateDir]);
      expect(r.code, r.stderr).toBe(0);
      const record = readRecord(join(runs, readdirSync(runs)[0] as string));

      const { scenario } = await loadScenario(file);
      const cal = calibrate(defaultParams(scenario), cohortOnly(record, 'cal'), 'local');
      expect(cal.localFit?.users).toBe(6);
      const planned = planArrivals(scenario).arrivals;
      const sim = simulate(
        localTargetInput(
          valuesOf(cal.params),
          planned.map((a) => a.t),
          scenario.seed,
        ),
      );
      const rushIds = new Set(planned.filter((a) => a.cohort === 'rush').map((a) => a.id));
      const predicted = sim.users
        .filter((_, i) => rushIds.has(planned[i]?.id ?? ''))
        .map((u) => u.timeToReady ?? Number.POSITIVE_INFINITY)
        .sort((a, b) => a - b);
      const measured = cohortOnly(record, 'rush')
        .events.flatMap((e) => (e.type === 'step' && e.step === 'launch' && e.ok ? [e.duration] : []))
        .sort((a, b) => a - b);
      expect(measured).toHaveLength(6);
      const figures = {
        fit: cal.localFit,
        p50: { predicted: percentile(predicted, 50), measured: percentile(measured, 50) },
        p95: { predicted: percentile(predicted, 95), measured: percentile(measured, 95) },
      };
      console.log(`plan-local-calibration: ${JSON.stringify(figures)}`);
      // Prediction accuracy is a timing figure (STYLE: timings belong in bench/, not pass/fail here):
      // it is logged above and reported in the issue note (goal 25%). The test only catches a broken
      // calibration: a prediction an order of magnitude too high or too low.
      expect(factorApart(figures.p50.predicted, figures.p50.measured)).toBeLessThan(10);
      expect(factorApart(figures.p95.predicted, figures.p95.measured)).toBeLessThan(10);

      let out = '';
      const io = {
        stdout: new Writable({
          write(c, _e, done) {
            out += String(c);
            done();
          },
        }),
        stderr: new Writable({ write: (_c, _e, done) => done() }),
        env: {},
      };
      expect(await plan(io, file, { from: runs, json: true, out: join(dir, 'calibrated.plan.yaml') })).toBe(
        0,
      );
      const report = JSON.parse(out) as { params: Record<string, { origin: string; source: string }> };
      for (const key of [
        'spawn',
        'spawnConcurrency',
        'sessionWarmup',
        'hubWork',
        'binderOverhead',
        'build',
        'concurrentSpawnLimit',
      ]) {
        expect(report.params[key]?.origin, key).toBe('measured');
        expect(report.params[key]?.source).toContain(record.meta.id);
      }
    }, 175_000);
  });
});
