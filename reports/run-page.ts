/**
 * The non-chart parts of a run report, from a record: verdict rows (one per threshold), the
 * at-a-glance tiles, notices, the JUnit cases and the run's identity for the footer (target URLs
 * stripped of credentials and query strings: a report is shared, a token must never reach it).
 * Pure.
 */
import { describeOutage } from '../loadgen/record/outages.js';
import type { RunRecord } from '../loadgen/record/reader.js';
import type { RecordedTarget, RunSummary, ThresholdResult } from '../loadgen/record/types.js';
import { formatMs, formatRate, formatThresholdValue, thresholdAgg } from './format.js';
import type { PageInput, VerdictLabel, VerdictRow } from './page.js';
import type { GeneratorHealth } from './specs/generator-health.js';

export function verdictLabel(summary: RunSummary): VerdictLabel {
  // A hub that went down, or things left behind, fail the run whatever its thresholds say.
  if ((summary.outages ?? []).length > 0 || summary.leftovers.length > 0) return 'FAIL';
  return summary.verdict === 'pass' ? 'PASS' : summary.verdict === 'fail' ? 'FAIL' : 'NO THRESHOLDS';
}

export function verdictRow(th: ThresholdResult): VerdictRow {
  const row: VerdictRow = {
    name: th.expr,
    pass: th.pass,
    measured: formatThresholdValue(th.expr, th.actual),
    limit: formatThresholdValue(th.expr, th.limit),
  };
  const notes: string[] = [];
  if (th.actual === null) notes.push('no samples');
  else if (
    (th.op === '<' || th.op === '<=') &&
    th.limit > 0 &&
    !['rate', 'count'].includes(thresholdAgg(th.expr))
  ) {
    const pct = (th.actual / th.limit) * 100;
    notes.push(`${pct > 0 && pct < 1 ? '<1' : Math.round(pct)}% of the limit`);
  }
  if (th.abortOnFail) notes.push('aborts the run when crossed');
  if (notes.length > 0) row.note = notes.join('; ');
  return row;
}

export function verdictSummary(record: RunRecord): string {
  const outages = record.summary.outages ?? [];
  const hub =
    outages.length > 0
      ? `The hub was unreachable during the run (${outages.length} outage${outages.length > 1 ? 's' : ''}). `
      : '';
  return hub + thresholdSummary(record);
}

function thresholdSummary(record: RunRecord): string {
  const ths = record.summary.thresholds;
  const failed = ths.filter((t) => !t.pass).length;
  if (ths.length === 0) {
    return record.partial
      ? 'Thresholds are judged only when a run ends normally; this record is partial.'
      : 'The scenario sets no thresholds (slo:), so nothing was judged.';
  }
  if (failed === 0) return `All ${ths.length} thresholds passed.`;
  return `${failed} of ${ths.length} thresholds failed.`;
}

export function partialNote(record: RunRecord): string {
  const s = record.summary;
  const why = s.stopReason ? `: ${s.stopReason}` : '';
  return (
    `this run did not finish normally (status ${s.status}${why}). ` +
    'The charts show what was recorded before it stopped; numbers cover only that part of the run.'
  );
}

export function highlights(
  record: RunRecord,
  generator: GeneratorHealth,
): NonNullable<PageInput['highlights']> {
  const s = record.summary;
  const ready = s.trends['launch.ready'];
  const cell = s.trends['cell.exec'];
  const launchFailed = s.rates['launch.failed'];
  const first = s.rates['launch.failed.first'];
  const cellFailed = s.rates['cell.failed'];
  const u = s.users;
  const notArrived = u.planned - u.arrived;
  return [
    {
      label: 'Completed',
      value: `${u.completed} / ${u.planned}`,
      note: [
        `${u.failed} failed`,
        `${u.late} late`,
        ...(notArrived > 0 ? [`${notArrived} never arrived`] : []),
      ].join(' · '),
    },
    ready && ready.count > 0
      ? {
          label: 'Time to ready p95',
          value: formatMs(ready.p95),
          note: `p50 ${formatMs(ready.p50)} · max ${formatMs(ready.max)}`,
        }
      : { label: 'Time to ready p95', value: '—', note: 'no launch ready' },
    {
      label: 'Launch failures',
      value: launchFailed ? formatRate(launchFailed.rate) : '—',
      note: launchFailed
        ? `${launchFailed.hits} of ${launchFailed.total}${first && first.hits > 0 ? ` · ${first.hits} first attempts` : ''}`
        : 'no launch finished',
    },
    cell && cell.count > 0
      ? {
          label: 'Cell run p95',
          value: formatMs(cell.p95),
          note: `${cell.count} cells${cellFailed ? ` · ${cellFailed.hits} failed` : ''}`,
        }
      : { label: 'Cell run p95', value: '—', note: 'no cell ran' },
    { label: 'Duration', value: formatMs(s.durationMs), note: s.status },
    {
      label: 'Generator',
      value: generator.points.length === 0 ? '—' : generator.saturated.length > 0 ? 'saturated' : 'kept up',
      note:
        generator.saturated.length > 0
          ? `in ${generator.saturated.length} of ${generator.intervals} intervals`
          : `schedule lag p99 ≤ ${formatMs(generator.worstP99['schedule lag'])}`,
    },
  ];
}

export function notices(record: RunRecord): string[] {
  const out = record.summary.leftovers.map((l) => `Left behind: ${l.what}. Remove it with: ${l.command}`);
  const hub = (record.summary.outages ?? []).map((o) => `Hub outage: ${describeOutage(o)}`);
  return [
    ...hub,
    ...lostWorkers(record),
    ...out,
    ...record.warnings.map((w) => `While reading the record: ${w}`),
  ];
}

/** A distributed run whose workers did not all finish: its figures miss part of the load. */
function lostWorkers(record: RunRecord): string[] {
  const workers = record.summary.workers ?? [];
  const lost = workers.filter((w) => w.state === 'lost');
  if (lost.length === 0) return [];
  const users = record.summary.users.lost ?? lost.reduce((n, w) => n + w.lost, 0);
  const which = lost.map((w) => `worker ${w.index} (${w.where}): ${w.detail ?? 'lost'}`).join('; ');
  return [
    `${lost.length} of ${workers.length} workers lost, with ${users} planned users whose outcome never arrived: the figures cover the rest of the load only. ${which}`,
  ];
}

/** A URL without user info, query or fragment (where tokens hide); a non-URL is not shown. */
export function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.href;
  } catch {
    return '(not a URL)';
  }
}

export function describeTarget(t: RecordedTarget): string {
  const parts: string[] = [t.kind];
  if (t.binderUrl) parts.push(`BinderHub ${safeUrl(t.binderUrl)}`);
  if (t.hubUrl) parts.push(`hub ${safeUrl(t.hubUrl)}`);
  if (t.tokenEnv) parts.push(`token from $${t.tokenEnv}`);
  if (t.local) {
    parts.push(
      Object.entries(t.local)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    );
  }
  return parts.join(' · ');
}

function utc(iso: string | undefined): string {
  if (iso === undefined) return 'not recorded';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, '')} UTC`;
}

export function footer(record: RunRecord): string[] {
  const m = record.meta;
  const s = record.summary;
  const h = m.host;
  return [
    `Scenario: ${m.scenario.name}`,
    `Scenario hash: ${m.scenario.hash}`,
    `Seed: ${m.seed}`,
    `Tool: ${m.tool.name} ${m.tool.version}`,
    `Target: ${describeTarget(m.target)}`,
    `Run: ${m.id}`,
    `Started: ${utc(m.startedAt)}`,
    `Ended: ${utc(m.endedAt ?? s.endedAt)} (${s.status})`,
    ...(s.stopReason ? [`Stop reason: ${s.stopReason}`] : []),
    ...(h
      ? [
          `Host: ${h.hostname} · ${h.platform} ${h.arch} · ${h.cpus} CPUs · ${h.memoryGiB} GiB · Node ${h.node}`,
        ]
      : []),
  ];
}

/** One JUnit case per threshold; a partial record adds a failing "run finished" case. */
export function junitCases(record: RunRecord): { name: string; pass: boolean; message?: string }[] {
  const cases = record.summary.thresholds.map((th) => ({
    name: th.expr,
    pass: th.pass,
    message: `measured ${formatThresholdValue(th.expr, th.actual)}, limit ${th.op} ${formatThresholdValue(th.expr, th.limit)}`,
  }));
  const outages = record.summary.outages ?? [];
  if (outages.length > 0)
    cases.push({ name: 'hub reachable', pass: false, message: outages.map(describeOutage).join('; ') });
  if (record.partial)
    cases.push({ name: 'run finished', pass: false, message: `partial record: ${partialNote(record)}` });
  return cases;
}
