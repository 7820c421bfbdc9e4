/**
 * `rehearse plan` on a terminal: parameters with their origins, the best candidates, the chosen
 * plan beside the alternatives an operator would pick, the SLOs as predicted, the node groups, the
 * pre-scale schedule, the SU budget and the quota check.
 */

import type { Spread } from '../core/random.js';
import { misses, predictedText } from './alternatives.js';
import type { ModelParams } from './model.js';
import { GiB } from './node-capacity.js';
import type { Candidate } from './recommend.js';
import type { PlanReport } from './sizing.js';

/** 850ms, 12.5s, 4m29s, 1h10m. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const su = (n: number) => Math.round(n).toLocaleString('en-US');
const spread = (s: Spread) =>
  s.p95 === s.median ? duration(s.median) : `${duration(s.median)} (p95 ${duration(s.p95)})`;

/** One parameter's value as text. */
export function paramText(key: keyof ModelParams, p: ModelParams): string {
  const v = p[key].value;
  switch (key) {
    case 'nodeReady':
    case 'imagePull':
    case 'spawn':
    case 'cellExec':
      return spread(v as Spread);
    case 'build': {
      const b = p.build.value;
      return b.needed ? `needed, ${spread(b.time)}` : 'image already built';
    }
    case 'retryDelays':
      return p.retryDelays.value.map(duration).join(', ');
    case 'retryAfter':
      return p.retryAfter.value.map(duration).join('–');
    case 'session': {
      const s = p.session.value;
      return `${duration(s.duration)}, ${s.onEnd}`;
    }
    case 'user': {
      const u = p.user.value;
      const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;
      const same = u.limit.memory === u.request.memory && u.limit.cpu === u.request.cpu;
      const limit = same ? 'limit = guarantee' : `limit ${gib(u.limit.memory)}, ${u.limit.cpu} CPU`;
      return `${gib(u.request.memory)}, ${u.request.cpu} CPU (${limit})`;
    }
    case 'autoscaler': {
      const a = p.autoscaler.value;
      return `scan ${duration(a.scanInterval)}, unneeded ${duration(a.unneededTime)}, < ${a.utilizationThreshold * 100}%`;
    }
    case 'nodeOverhead': {
      const o = p.nodeOverhead.value;
      return `${o.cpu} CPU, ${(o.memory / GiB).toFixed(2)} GiB, ${o.pods} pods`;
    }
    case 'dask':
      return p.dask.value.mode;
    case 'launchTimeout':
    case 'startTimeout':
    case 'binderOverhead':
    case 'hubWork':
    case 'preemptionDelay':
    case 'sessionWarmup':
      return duration(v as number);
    default:
      return String(v);
  }
}

function table(rows: string[][], indent = '  '): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/**
 * The chosen plan beside the named alternatives (same flavor and max, same replications), one row
 * each, an alternative that is the chosen plan said so; how each is set; why the choice won.
 */
function formatAlternatives(r: PlanReport): string[] {
  const rec = r.recommendation;
  const c = rec.chosen;
  const dask = [c, ...rec.alternatives].some((x) => x.daskPrescale > 0);
  const slos = (x: Candidate) => {
    const missed = misses(x);
    return missed.length === 0 ? 'all met' : `misses ${missed.join('; ')}`;
  };
  const row = (name: string, x: Candidate, same = false) => [
    name,
    String(x.prescale),
    ...(dask ? [String(x.daskPrescale)] : []),
    String(x.placeholders),
    duration(x.p50),
    duration(x.p95),
    duration(x.maxReady),
    su(x.eventSu),
    `${slos(x)}${same ? ' — the chosen plan itself' : ''}`,
  ];
  const head = ['plan', 'pre-scale', ...(dask ? ['dask pre-scale'] : []), 'placeholders'];
  return [
    `Beside the alternatives (each on ${c.flavor} with max ${c.max} nodes, as the chosen plan; ` +
      `${rec.replications} replications, the same seeds)`,
    table([
      [...head, 'p50', 'p95', 'max wait', 'SU/event', 'SLOs'],
      row('* chosen', c),
      ...rec.alternatives.map((a) => row(a.name, a, a.sameAsChosen)),
    ]),
    ...rec.alternatives.map((a) => `  ${a.name}: ${a.rule}`),
    `  ${rec.versusRuleOfThumb}`,
  ];
}

const at = (ms: number) => (ms < 0 ? `T-${duration(-ms)}` : `T+${duration(ms)}`);

export function formatPlan(r: PlanReport): string {
  const rec = r.recommendation;
  const c = rec.chosen;
  const out: string[] = [];
  const rates = r.plan.catalogue.rates;
  out.push(
    `rehearse plan: ${r.scenario.name} — ${r.scenario.users} users, at most ${rec.peakConcurrent} at once; ` +
      `catalogue ${r.plan.catalogue.version} (SU per vCPU-hour: CPU ${rates.cpu}, large-memory ${rates.largeMemory}, GPU ${rates.gpu})`,
  );
  if (r.calibration)
    out.push(
      `calibrated from run ${r.calibration.recordId}${r.calibration.notes.map((n) => `\n  note: ${n}`).join('')}`,
    );
  out.push('', 'Parameters');
  const keys = Object.keys(r.params) as (keyof ModelParams)[];
  out.push(
    table([
      ['name', 'value', 'origin', 'source'],
      ...keys.map((k) => [k, paramText(k, r.params), r.params[k].origin, r.params[k].source]),
    ]),
  );
  out.push('', `Candidates: ${rec.searched} simulated, ${rec.feasible} meet the SLOs (best first)`);
  const head = [
    '',
    'flavor',
    'users/node',
    'pre-scale',
    'max',
    'placeholders',
    'p50',
    'p95',
    'max wait',
    'peak nodes',
    'SU/event',
  ];
  const rows = rec.top.map((x, i) => [
    i === 0 ? '*' : '',
    x.flavor,
    String(x.perNode),
    String(x.prescale),
    String(x.max),
    String(x.placeholders),
    duration(x.p50),
    duration(x.p95),
    duration(x.maxReady),
    String(x.peakNodes),
    su(x.eventSu),
  ]);
  out.push(table([head, ...rows]));
  out.push('', ...formatAlternatives(r));
  out.push('', 'SLOs, as predicted for the chosen plan');
  for (const v of c.verdicts) {
    const actual = predictedText(v);
    out.push(
      `  ${v.actual === null ? '-' : v.pass ? '✓' : '✗'} ${v.slo.expr.padEnd(28)} ${actual}${v.slo.origin === 'default' ? '  (default SLO)' : ''}`,
    );
  }
  out.push(
    '',
    `Node groups (NodeGroupPlan; users per ${c.flavor} node: ${c.perNode}, bound by ${r.plan.user.boundBy})`,
  );
  out.push(
    table([
      ['group', 'flavor', 'min', 'max', 'at creation', 'SU/h'],
      [
        'control plane',
        r.plan.controlPlane.flavor,
        '',
        '',
        String(r.plan.controlPlane.count),
        String(r.floor.items[0]?.suPerHour ?? ''),
      ],
      ...r.plan.groups.map((g) => [
        g.name,
        g.flavor,
        String(g.minNodeCount),
        String(g.maxNodeCount),
        String(g.nodeCount),
        String(g.suPerHour),
      ]),
    ]),
  );
  out.push('', 'Pre-scale (T = the event start)');
  for (const s of r.plan.preScale.steps) out.push(`  ${at(s.at).padEnd(9)} ${s.group}: ${s.note}`);
  const floorParts = r.floor.items.map((i) => `${i.group} ${i.nodes * i.suPerHour}`).join(' + ');
  const y = r.year;
  out.push(
    '',
    'SU budget',
    `  always-on floor  ${floorParts} = ${su(r.floor.suPerHour)} SU/h → ${su(r.floor.suPerYear)} SU/year`,
    `  per event        ${su(c.eventSu)} SU above the floor (lead ${duration(r.leadMs)}, event ${duration(r.eventMs)}, ` +
      `window ${duration(r.event.windowHours * 3_600_000)})`,
    `  per year         ${su(r.floor.suPerYear)} + ${y.eventsPerYear} × ${su(c.eventSu)} = ${su(y.perYear)} SU; ` +
      `+10% ${su(y.padded)} → ${y.tier ? `fits ACCESS ${y.tier}` : 'above ACCESS Accelerate'}`,
  );
  out.push('', `Quota (${r.quota.allocation} defaults)`);
  out.push(
    r.quota.ok ? '  within the default quotas' : r.quota.requests.map((q) => `  request: ${q}`).join('\n'),
  );
  return `${out.join('\n')}\n`;
}
