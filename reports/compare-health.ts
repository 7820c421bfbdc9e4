/**
 * Notebook-level changes between two `rehearse check` records (pure): cells that newly fail,
 * cells fixed, cells slower. Cells are matched by (environment, repo, notebook, code cell); when
 * each record holds exactly one environment they are matched across environments (debian12 →
 * debian13, staging → production): that is the comparison a maintainer wants before an upgrade.
 *
 * Slower uses the latency rule of compare-stats.ts with one sample per cell and record, the
 * "too few samples" case: tolerance = factor − 1, so a cell is SLOWER when
 *
 *     c > b + max((factor − 1)·b, minDeltaMs)          (tolerance: by more than the factor)
 *     c > max(b, b + fallbackDeltaMs)                  (spread: beyond run-to-run noise)
 *
 * (the baseline's upper bound and the candidate's lower bound of one sample are the sample).
 * Both must fire; a cell beyond the factor but within the noise floor is listed as such.
 */
import type { CellHealth, HealthRecord, NotebookHealth } from '../loadgen/record/health.js';
import {
  COMPARE_DEFAULTS,
  type CompareSettings,
  judgePercentile,
  type PercentileComparison,
  spreadBand,
} from './compare-stats.js';
import { cellMessage, environments } from './health.js';

export type CellChangeKind = 'newly failing' | 'fixed' | 'slower' | 'slower within noise';

export interface CellChange {
  kind: CellChangeKind;
  environment: string;
  repo: string;
  notebook: string;
  /** The code cell; undefined for a notebook that (no longer) could run at all. */
  cell?: number;
  baseline: string;
  candidate: string;
  /** The slower rule's numbers (slower, slower within noise). */
  judgement?: PercentileComparison;
}

export interface HealthComparison {
  factor: number;
  /** How environments were paired, e.g. "debian12 → debian13". */
  pairing: string[];
  changes: CellChange[];
  /** Cells present in both with an outcome each (not `not-run`). */
  compared: number;
  regression: boolean;
  /** The candidate's health, for the grid (slower cells marked). */
  candidate: HealthRecord;
}

type Key = { environment: string; repo: string; notebook: string };

export function compareHealth(
  b: HealthRecord,
  c: HealthRecord,
  opts: { factor: number; settings?: Partial<Omit<CompareSettings, 'tolerance'>> },
): HealthComparison {
  const s: CompareSettings = { ...COMPARE_DEFAULTS, ...opts.settings, tolerance: opts.factor - 1 };
  const [be, ce] = [environments(b), environments(c)];
  const across = be.length === 1 && ce.length === 1;
  const envOf = (candidateEnv: string) => (across ? (be[0] as string) : candidateEnv);
  const pairing = across
    ? [`${be[0]} → ${ce[0]}`]
    : ce.filter((e) => be.includes(e)).map((e) => `${e} → ${e}`);
  const base = notebookIndex(b);
  const changes: CellChange[] = [];
  let compared = 0;
  for (const check of c.checks) {
    for (const nb of check.notebooks) {
      const key: Key = { environment: check.environment, repo: check.repo, notebook: nb.path };
      const old = base.get(keyOf({ ...key, environment: envOf(check.environment) }));
      if (old === undefined) continue;
      const found = compareNotebook(key, old, nb, s);
      compared += found.compared;
      changes.push(...found.changes);
    }
  }
  const regression = changes.some((x) => x.kind === 'newly failing' || x.kind === 'slower');
  return { factor: opts.factor, pairing, changes, compared, regression, candidate: c };
}

function compareNotebook(
  key: Key,
  old: NotebookHealth,
  nb: NotebookHealth,
  s: CompareSettings,
): { changes: CellChange[]; compared: number } {
  const changes: CellChange[] = [];
  const couldRun = (n: NotebookHealth) => n.status !== 'could-not-run';
  if (couldRun(old) !== couldRun(nb)) {
    const kind = couldRun(nb) ? 'fixed' : 'newly failing';
    const say = (n: NotebookHealth) => (couldRun(n) ? n.status : `could not run: ${n.reason ?? ''}`);
    return { changes: [{ kind, ...key, baseline: say(old), candidate: say(nb) }], compared: 1 };
  }
  let compared = 0;
  for (const cell of nb.cells) {
    const was = old.cells.find((x) => x.index === cell.index);
    if (was === undefined || was.outcome === 'not-run' || cell.outcome === 'not-run') continue;
    compared += 1;
    const change = (kind: CellChangeKind, judgement?: PercentileComparison): CellChange => ({
      kind,
      ...key,
      cell: cell.index,
      baseline: describe(was),
      candidate: describe(cell),
      ...(judgement ? { judgement } : {}),
    });
    if (was.outcome === 'ok' && cell.outcome !== 'ok') changes.push(change('newly failing'));
    else if (was.outcome !== 'ok' && cell.outcome === 'ok') changes.push(change('fixed'));
    else if (was.outcome === 'ok' && cell.outcome === 'ok') {
      const j = slower(was.durationMs ?? 0, cell.durationMs ?? 0, s);
      if (j.fired === 'both') changes.push(change('slower', j));
      else if (j.fired === 'tolerance') changes.push(change('slower within noise', j));
    }
  }
  return { changes, compared };
}

/** The compare-stats rule on one sample each (module comment). */
export function slower(b: number, c: number, s: CompareSettings): PercentileComparison {
  const one = (value: number) => ({ value, kind: 'extreme' as const });
  const band = spreadBand([], b, { baselineUpper: one(b), candidateLower: one(c) }, s);
  return judgePercentile(b, c, band, s);
}

function describe(cell: CellHealth): string {
  if (cell.outcome === 'ok') return `ok in ${Math.round(cell.durationMs ?? 0)} ms`;
  return cellMessage(cell);
}

function keyOf(k: Key): string {
  return `${k.environment}\u0000${k.repo}\u0000${k.notebook}`;
}

function notebookIndex(h: HealthRecord): Map<string, NotebookHealth> {
  const out = new Map<string, NotebookHealth>();
  for (const c of h.checks) {
    for (const nb of c.notebooks)
      out.set(keyOf({ environment: c.environment, repo: c.repo, notebook: nb.path }), nb);
  }
  return out;
}
