/**
 * The "Notebook health" part of a report, from a record's health.json (pure): the grid section,
 * one detail per failing cell (error, line, traceback tail), the verdict rows (one per notebook
 * per environment) and the tiles. The run report uses these instead of its load charts for a
 * `rehearse check` record.
 */
import type { HealthRecord } from '../loadgen/record/health.js';
import { formatMs } from './format.js';
import {
  cellMessage,
  environments,
  failingCells,
  failureMessage,
  healthCounts,
  repoSummaries,
  statusWord,
} from './health.js';
import type { PageInput, SectionDetail, VerdictRow } from './page.js';
import type { SectionDef } from './run-sections.js';
import { healthGridSpec, type SlowerCells } from './specs/health-grid.js';

export function healthSections(h: HealthRecord, slower?: SlowerCells): SectionDef[] {
  const counts = healthCounts(h);
  const total = counts.passed + counts.failed + counts.couldNotRun;
  const grid: SectionDef = {
    id: 'health',
    title: 'Notebook health',
    description:
      'Every code cell of every notebook, one attendee per notebook, per environment (a column each). ok: ran; err: raised an ' +
      'error; csq: an error that follows from an earlier failed cell (a NameError after a failed import); t/o: no reply within ' +
      `the cell timeout (${formatMs(h.settings.cellTimeoutMs)}), the kernel interrupted; –: not run (after a failure${h.settings.keepGoing ? '' : ', as a reader would stop'}); ×: the notebook could not run.`,
    ...(total > 0 ? { spec: healthGridSpec(h, slower) } : {}),
    note: healthNote(h),
    noteTone: counts.failed + counts.couldNotRun + counts.repoFailures.length > 0 ? 'warn' : 'good',
  };
  const repos = new Set(h.checks.map((c) => c.repo)).size > 1 ? [reposSection(h)] : [];
  return [...repos, grid, failuresSection(h)];
}

/** Many repos (a gallery): one line per repo and environment, before the grid. */
function reposSection(h: HealthRecord): SectionDef & { details: SectionDetail[] } {
  const rows = repoSummaries(h);
  const bad = rows.filter((r) => r.failing > 0).length;
  return {
    id: 'health-repos',
    title: 'Repositories',
    description:
      'Each repository on each environment: notebooks passing and failing, and where each failing one first broke.',
    note: `${rows.length - bad} of ${rows.length} repository checks passed.`,
    noteTone: bad > 0 ? 'warn' : 'good',
    details: rows.map((r) => ({
      heading: `${r.failing === 0 ? '✓' : '✗'} ${r.repo} (${r.environment}): ${r.passing} passing, ${r.failing} failing`,
      ...(r.firstFailures.length > 0 ? { text: r.firstFailures.join(' · ') } : {}),
    })),
  };
}

function healthNote(h: HealthRecord): string {
  const c = healthCounts(h);
  const parts = [`${c.passed} notebooks passed, ${c.failed} failed, ${c.couldNotRun} could not run`];
  for (const r of c.repoFailures) parts.push(`${r.environment} ${r.repo} was not checked: ${r.reason}`);
  for (const check of h.checks) {
    const v = check.info.versions;
    if (v && Object.keys(v).length > 0 && !parts.some((p) => p.startsWith(`${check.environment}:`))) {
      parts.push(
        `${check.environment}: ${Object.entries(v)
          .map(([k, x]) => `${k} ${x}`)
          .join(', ')}`,
      );
    }
  }
  return parts.join('\n');
}

function failuresSection(h: HealthRecord): SectionDef & { details: SectionDetail[] } {
  const failing = failingCells(h);
  const multi = environments(h).length > 1;
  const details: SectionDetail[] = failing.map((f) => {
    const e = f.cell.error;
    const line = e?.lineText === undefined ? '' : `line ${e.line}: ${e.lineText.trim()}`;
    const why = f.cell.consequence ? 'A consequence of an earlier failed cell, not a cause of its own.' : '';
    return {
      heading: `${multi ? `[${f.environment}] ` : ''}${f.notebook} · ${cellMessage(f.cell)}`,
      text: [line, why, f.cell.note ?? ''].filter((x) => x !== '').join(' — ') || f.repo,
      ...(e && e.traceback.length > 0 ? { code: e.traceback.join('\n') } : {}),
    };
  });
  for (const c of h.checks) {
    for (const nb of c.notebooks.filter((n) => n.status === 'could-not-run')) {
      details.push({
        heading: `${multi ? `[${c.environment}] ` : ''}${nb.path} · could not run`,
        text: nb.reason ?? '',
      });
    }
  }
  return {
    id: 'health-failures',
    title: 'Failing cells',
    description:
      'Each cell that raised or timed out, with the line of the cell that raised and the last frames of its traceback.',
    ...(details.length === 0
      ? { note: 'Every cell of every notebook ran without an error.', noteTone: 'good' as const }
      : {}),
    details,
  };
}

export function healthVerdict(h: HealthRecord): PageInput['verdict'] {
  const multi = environments(h).length > 1;
  const rows: VerdictRow[] = h.checks.flatMap((c) =>
    c.notebooks.map((nb) => ({
      name: `${multi ? `[${c.environment}] ` : ''}${nb.path}`,
      pass: nb.status === 'passed',
      measured: statusWord(nb),
      limit: `${nb.cells.length} cells`,
      ...(nb.status === 'passed' ? { note: formatMs(nb.durationMs) } : { note: failureMessage(nb) }),
    })),
  );
  const c = healthCounts(h);
  const bad = c.failed + c.couldNotRun + c.repoFailures.length;
  return {
    label: bad > 0 ? 'FAIL' : 'PASS',
    rows,
    summary:
      bad > 0
        ? `${c.failed + c.couldNotRun} of ${rows.length} notebooks failed or could not run.`
        : `All ${rows.length} notebooks ran every code cell without an error.`,
  };
}
