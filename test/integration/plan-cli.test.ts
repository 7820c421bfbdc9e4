import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../analysis/sizing-plan.js';
import { plan } from '../../cli/commands/plan.js';
import type { CliIO } from '../../cli/main.js';
import { reportError } from '../../cli/main.js';

// `rehearse plan` as the CLI runs it (cli/commands/plan.ts, in-process with captured streams):
// the bundled Pythia scenario, its NodeGroupPlan file, --json, and exit 2 on bad input.
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

  it('writes the NodeGroupPlan even without --out, and says where', async () => {
    const c = capture();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await plan(c.io, join(cwd, 'scenarios/pythia-workshop.yaml'), {});
    } finally {
      process.chdir(cwd);
    }
    expect(c.err()).toContain('NodeGroupPlan written to pythia-workshop.plan.yaml');
    expect(readFileSync(join(dir, 'pythia-workshop.plan.yaml'), 'utf8')).toContain('version: 1');
  }, 120_000);

  it('--json carries every parameter with its origin', async () => {
    const c = capture();
    await plan(c.io, 'scenarios/pythia-workshop.yaml', {
      json: true,
      eventHours: '8',
      out: join(dir, 'json.plan.yaml'),
    });
    const report = JSON.parse(c.out()) as {
      params: Record<string, { origin: string; source: string }>;
      plan: { preScale: { steps: { at: number }[] } };
    };
    expect(report.params.nodeReady?.origin).toBe('scenario');
    expect(report.params.imagePull?.origin).toBe('default');
    expect(report.plan.preScale.steps.at(-1)?.at).toBe(8 * 3_600_000);
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
