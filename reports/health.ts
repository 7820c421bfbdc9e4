/**
 * Notebook health in words (pure): the notebook × environment table, the failing cells with
 * their error, line and traceback tail, and one JUnit case per notebook per environment whose
 * failure message is `cell N, line L: Ename: evalue` (what CI annotations show).
 */
import type { CellHealth, HealthRecord, NotebookHealth, RepoCheck } from '../loadgen/record/health.js';

/** The environments of a record, in the order they were checked. */
export function environments(h: HealthRecord): string[] {
  return [...new Set(h.checks.map((c) => c.environment))];
}

export interface HealthRow {
  repo: string;
  notebook: string;
  /** Per environment: the notebook's result, or undefined when it was not found there. */
  byEnv: Record<string, NotebookHealth | undefined>;
}

/** One row per (repo, notebook) seen on any environment, in checking order. */
export function healthRows(h: HealthRecord): HealthRow[] {
  const envs = environments(h);
  const rows = new Map<string, HealthRow>();
  for (const c of h.checks) {
    for (const nb of c.notebooks) {
      const key = `${c.repo}\u0000${nb.path}`;
      const row = rows.get(key) ?? {
        repo: c.repo,
        notebook: nb.path,
        byEnv: Object.fromEntries(envs.map((e) => [e, undefined])),
      };
      row.byEnv[c.environment] = nb;
      rows.set(key, row);
    }
  }
  return [...rows.values()];
}

/** The first cell that erred or timed out (the cause a reader meets first). */
export function firstFailure(nb: NotebookHealth): CellHealth | undefined {
  return nb.cells.find((c) => c.outcome === 'error' || c.outcome === 'timeout');
}

/** `cell 1, line 3: AttributeError: 'DataFrame' object has no attribute 'append'` */
export function failureMessage(nb: NotebookHealth): string {
  if (nb.status === 'could-not-run') return `could not run: ${nb.reason ?? 'unknown reason'}`;
  const c = firstFailure(nb);
  if (c === undefined) return 'passed';
  return cellMessage(c);
}

export function cellMessage(c: CellHealth): string {
  const where = c.error?.line === undefined ? `cell ${c.index}` : `cell ${c.index}, line ${c.error.line}`;
  if (c.outcome === 'timeout') return `${where}: timed out (${c.note ?? 'no reply'})`;
  return `${where}: ${c.error?.ename ?? 'error'}: ${c.error?.evalue ?? ''}`.trimEnd();
}

/** A short status word for a table cell. */
export function statusWord(nb: NotebookHealth | undefined): string {
  if (nb === undefined) return '—';
  if (nb.status === 'passed') return `ok (${nb.cells.length} cells)`;
  if (nb.status === 'could-not-run') return 'could not run';
  const bad = nb.cells.filter((c) => c.outcome === 'error' || c.outcome === 'timeout').length;
  const first = firstFailure(nb);
  return `FAIL at cell ${first?.index ?? '?'} (${bad} failing)`;
}

export interface FailingCell {
  environment: string;
  repo: string;
  notebook: string;
  cell: CellHealth;
}

/** Every cell that erred or timed out, consequences included (they are labelled). */
export function failingCells(h: HealthRecord): FailingCell[] {
  return h.checks.flatMap((c) =>
    c.notebooks.flatMap((nb) =>
      nb.cells
        .filter((cell) => cell.outcome === 'error' || cell.outcome === 'timeout')
        .map((cell) => ({ environment: c.environment, repo: c.repo, notebook: nb.path, cell })),
    ),
  );
}

/** Counts over a record: notebooks passed / failed / could not run; repos not checked at all. */
export function healthCounts(h: HealthRecord): {
  passed: number;
  failed: number;
  couldNotRun: number;
  repoFailures: RepoCheck[];
} {
  const all = h.checks.flatMap((c) => c.notebooks);
  return {
    passed: all.filter((n) => n.status === 'passed').length,
    failed: all.filter((n) => n.status === 'failed').length,
    couldNotRun: all.filter((n) => n.status === 'could-not-run').length,
    repoFailures: h.checks.filter((c) => c.reason !== undefined),
  };
}

export interface RepoSummary {
  environment: string;
  repo: string;
  passing: number;
  failing: number;
  /** `<notebook> cell N, line L: Ename: evalue` per failing notebook, or why the repo was not checked. */
  firstFailures: string[];
}

/** Across repos (a cookbook gallery): per repo and environment, notebooks passing / failing and where each failing one first broke. */
export function repoSummaries(h: HealthRecord): RepoSummary[] {
  return h.checks.map((c) => {
    const failing = c.notebooks.filter((n) => n.status !== 'passed');
    const first = failing.map((n) => `${n.path} ${failureMessage(n)}`);
    return {
      environment: c.environment,
      repo: c.repo,
      passing: c.notebooks.length - failing.length,
      failing: failing.length + (c.reason === undefined ? 0 : 1),
      firstFailures: c.reason === undefined ? first : [`not checked: ${c.reason}`],
    };
  });
}

function repoTable(h: HealthRecord): string[] {
  const lines = ['| repo | environment | passing | failing | first failing cell |', '|---|---|--:|--:|---|'];
  for (const r of repoSummaries(h)) {
    const first = r.firstFailures.length === 0 ? '—' : r.firstFailures.join('; ');
    lines.push(`| ${r.repo} | ${r.environment} | ${r.passing} | ${r.failing} | ${escapeCell(first)} |`);
  }
  return [...lines, ''];
}

/** Plain-text report (stdout, report.md): the table, then each failing cell with its traceback tail. */
export function healthText(h: HealthRecord): string {
  const envs = environments(h);
  const many = new Set(h.checks.map((c) => c.repo)).size > 1;
  const lines = [
    ...(many ? repoTable(h) : []),
    `| notebook | ${envs.join(' | ')} |`,
    `|---|${envs.map(() => '---').join('|')}|`,
  ];
  for (const r of healthRows(h)) {
    const cells = envs.map((e) => {
      const nb = r.byEnv[e];
      if (nb?.status === 'failed') return `${statusWord(nb)}: ${failureMessage(nb)}`;
      return nb?.status === 'could-not-run' ? failureMessage(nb) : statusWord(nb);
    });
    lines.push(`| ${r.repo} ${r.notebook} | ${cells.map(escapeCell).join(' | ')} |`);
  }
  for (const c of healthCounts(h).repoFailures)
    lines.push(`\n${c.environment} ${c.repo}: not checked: ${c.reason}`);
  const failing = failingCells(h);
  if (failing.length > 0) lines.push('', 'Failing cells:');
  for (const f of failing) {
    const tag = f.cell.consequence ? ' (consequence of an earlier failure)' : '';
    lines.push(`- ${f.environment} ${f.repo} ${f.notebook} ${cellMessage(f.cell)}${tag}`);
    if (f.cell.error?.lineText !== undefined) lines.push(`    > ${f.cell.error.lineText.trim()}`);
  }
  for (const c of h.checks) {
    const v = c.info.versions;
    if (v && Object.keys(v).length > 0)
      lines.push(
        `\n${c.environment}: ${Object.entries(v)
          .map(([k, x]) => `${k} ${x}`)
          .join(', ')}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

function escapeCell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** One JUnit case per notebook per environment (and one per repo that could not be checked). */
export function healthJunitCases(h: HealthRecord): { name: string; pass: boolean; message?: string }[] {
  const multi = environments(h).length > 1;
  return h.checks.flatMap((c) => {
    const prefix = `${multi ? `[${c.environment}] ` : ''}${c.repo}`;
    const repoCase = c.reason === undefined ? [] : [{ name: prefix, pass: false, message: c.reason }];
    return [
      ...repoCase,
      ...c.notebooks.map((nb) => ({
        name: `${prefix} ${nb.path}`,
        pass: nb.status === 'passed',
        message: failureMessage(nb),
      })),
    ];
  });
}
