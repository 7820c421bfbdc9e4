import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../analysis/sizing-plan.js';
import { plan } from '../../cli/commands/plan.js';
import type { CliIO } from '../../cli/main.js';
import { reportError } from '../../cli/main.js';
import { planInputFromRecommendation } from '../../reports/sizing-input.js';

// `rehearse plan` as the CLI runs it (cli/commands/plan.ts, in-process with captured streams):
// the bundled Pythia scenario, its NodeGroupPlan file (only with --out), the alternatives beside the
// chosen plan, --json, and exit 2 on bad input.
function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        add(String(chunk));
        done();
      },
    });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), env: {} },
    out: () => out,
    err: () => err,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'rehearse-plan-'));

describe('rehearse plan', () => {
  it('prints the recommendation with its SU budget and writes a NodeGroupPlan', async () => {
    const c = capture();
    const out = join(dir, 'plan.yaml');
    const code = await plan(c.io, 'scenarios/pythia-workshop.yaml', { out, eventsPerYear: '4' });
    expect(code).toBe(0);
    expect(c.out()).toMatch(/Candidates: \d+ simulated/);
    expect(c.out()).toMatch(/always-on floor .* = 24 SU\/h → 210,240 SU\/year/);
    expect(c.out()).toMatch(/per year +210,240 \+ 4 × /);
    expect(c.out()).toMatch(/request: CPU cores/);
    expect(c.err()).toMatch(/searching: \d+\/\d+ candidates/);
    const written = parsePlan(readFileSync(out, 'utf8'), out);
    expect(written.scenario.name).toBe('pythia-workshop');
    expect(written.groups.find((g) => g.role === 'user')?.flavor).toBe('m3.large');
  }, 120_000);

  it('without --out writes no file and says how to save it; prints the alternatives beside the plan', async () => {
    const c = capture();
    const cwd = process.cwd();
    const here = mkdtempSync(join(tmpdir(), 'rehearse-plan-cwd-'));
    process.chdir(here);
    try {
      expect(await plan(c.io, join(cwd, 'scenarios/pythia-workshop.yaml'), {})).toBe(0);
    } finally {
      process.chdir(cwd);
    }
    expect(readdirSync(here)).toEqual([]);
    expect(c.err()).toContain(
      'NodeGroupPlan not saved: add --out pythia-workshop.plan.yaml to save it for rehearse provision',
    );
    expect(c.err()).not.toContain('NodeGroupPlan written');
    expect(c.out()).toMatch(
      /Beside the alternatives \(each on m3\.large with max \d+ nodes, as the chosen plan/,
    );
    for (const name of ['rule of thumb', 'pre-scale to peak', 'autoscale only'])
      expect(c.out()).toMatch(
        new RegExp(`\\n  ${name} +\\d+ +\\d+ +\\S+ +\\S+ +\\S+ +[\\d,]+ +(all met|misses )`),
      );
  }, 120_000);

  it('--json carries every parameter with its origin, and the alternatives', async () => {
    const c = capture();
    await plan(c.io, 'scenarios/pythia-workshop.yaml', {
      json: true,
      eventHours: '8',
      out: join(dir, 'json.plan.yaml'),
    });
    const report = JSON.parse(c.out()) as {
      params: Record<string, { origin: string; source: string }>;
      plan: { preScale: { steps: { at: number }[] } };
      recommendation: {
        chosen: { flavor: string; max: number; eventSu: number };
        reserve: number;
        versusRuleOfThumb: string;
        alternatives: {
          name: string;
          flavor: string;
          max: number;
          prescale: number;
          placeholders: number;
          eventSu: number;
          p50: number;
          p95: number;
          maxReady: number;
          verdicts: { slo: { expr: string }; pass: boolean }[];
          feasible: boolean;
          sameAsChosen: boolean;
        }[];
      };
    };
    expect(report.params.nodeReady?.origin).toBe('scenario');
    expect(report.params.imagePull?.origin).toBe('default');
    expect(report.plan.preScale.steps.at(-1)?.at).toBe(8 * 3_600_000);
    const rec = report.recommendation;
    expect(rec.alternatives.map((a) => a.name)).toEqual([
      'rule of thumb',
      'pre-scale to peak',
      'autoscale only',
    ]);
    const rule = rec.alternatives[0];
    expect([rule?.prescale, rule?.placeholders]).toEqual([1, rec.reserve]);
    for (const a of rec.alternatives) {
      expect([a.flavor, a.max]).toEqual([rec.chosen.flavor, rec.chosen.max]);
      expect(a.verdicts.map((v) => v.slo.expr)).toContain('launch.ready p(95) < 2m');
      expect(a.p50).toBeLessThanOrEqual(a.p95);
      expect(a.p95).toBeLessThanOrEqual(a.maxReady);
    }
    expect(rec.versusRuleOfThumb).toMatch(/rule of thumb/);
  }, 120_000);

  it('reads the --json output into the report plan section with the alternatives marked', async () => {
    const c = capture();
    await plan(c.io, 'scenarios/pythia-workshop.yaml', { json: true });
    const file = join(dir, 'plan.json');
    writeFileSync(file, c.out());
    const input = planInputFromRecommendation(JSON.parse(readFileSync(file, 'utf8')).recommendation);
    expect(input.alternatives?.map((a) => a.name)).toEqual([
      'rule of thumb',
      'pre-scale to peak',
      'autoscale only',
    ]);
  }, 120_000);

  it('exits 2 with what to change for an unknown flavor', async () => {
    const text = readFileSync('scenarios/pythia-workshop.yaml', 'utf8').replace(
      'flavors: [m3.large]',
      'flavors: [m3.lrage]',
    );
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      text.replace('notebook: notebooks/', `notebook: ${process.cwd()}/scenarios/notebooks/`),
    );
    const c = capture();
    const code = await plan(c.io, file, {}).catch((e: unknown) => reportError(e, c.io, false));
    expect(code).toBe(2);
    expect(c.err()).toMatch(/unknown Jetstream2 flavor "m3.lrage"/);
    expect(c.err()).toMatch(/did you mean m3.large/);
  });
});
