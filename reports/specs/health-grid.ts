/**
 * The notebook health grid: one row per notebook, one square per code cell, coloured by outcome
 * (and labelled, never colour alone), one column per environment (stack or hub). With a
 * baseline, cells that ran ok but slower than the compare rule allows are marked "slower".
 */
import type { TopLevelSpec } from 'vega-lite';
import type { HealthRecord } from '../../loadgen/record/health.js';
import { environments } from '../health.js';
import { PALETTE } from './theme.js';

export const GRID_STATES = [
  'ok',
  'slower',
  'error',
  'consequence',
  'timeout',
  'not run',
  'could not run',
] as const;
export type GridState = (typeof GRID_STATES)[number];

const COLOURS: Record<GridState, string> = {
  ok: PALETTE.green,
  slower: PALETTE.yellow,
  error: PALETTE.vermillion,
  consequence: PALETTE.orange,
  timeout: PALETTE.purple,
  'not run': PALETTE.lightGrey,
  'could not run': PALETTE.black,
};

const LABELS: Record<GridState, string> = {
  ok: 'ok',
  slower: 'slow',
  error: 'err',
  consequence: 'csq',
  timeout: 't/o',
  'not run': '–',
  'could not run': '×',
};

export interface GridCell {
  environment: string;
  notebook: string;
  cell: number;
  state: GridState;
  label: string;
  /** The tooltip: error line or why not run. */
  detail: string;
}

/** Key `environment|repo|notebook|cell` of cells that are slower than the baseline. */
export type SlowerCells = ReadonlySet<string>;

export function slowerKey(environment: string, repo: string, notebook: string, cell: number): string {
  return `${environment}|${repo}|${notebook}|${cell}`;
}

export function gridCells(h: HealthRecord, slower: SlowerCells = new Set()): GridCell[] {
  const out: GridCell[] = [];
  const multiRepo = new Set(h.checks.map((c) => c.repo)).size > 1;
  for (const c of h.checks) {
    for (const nb of c.notebooks) {
      const notebook = multiRepo ? `${repoName(c.repo)}: ${nb.path}` : nb.path;
      const base = { environment: c.environment, notebook };
      if (nb.status === 'could-not-run') {
        const state: GridState = 'could not run';
        out.push({ ...base, cell: 0, state, label: LABELS[state], detail: nb.reason ?? '' });
        continue;
      }
      for (const cell of nb.cells) {
        let state: GridState =
          cell.outcome === 'not-run'
            ? 'not run'
            : cell.outcome === 'error' && cell.consequence
              ? 'consequence'
              : cell.outcome;
        if (state === 'ok' && slower.has(slowerKey(c.environment, c.repo, nb.path, cell.index)))
          state = 'slower';
        const e = cell.error;
        const detail = e ? `${e.ename}: ${e.evalue}${e.line ? ` (line ${e.line})` : ''}` : (cell.note ?? '');
        out.push({ ...base, cell: cell.index, state, label: LABELS[state], detail });
      }
    }
  }
  return out;
}

function repoName(spec: string): string {
  return spec.split('/').slice(1, 3).join('/');
}

export function healthGridSpec(h: HealthRecord, slower: SlowerCells = new Set()): TopLevelSpec {
  const values = gridCells(h, slower);
  const notebooks = [...new Set(values.map((v) => v.notebook))];
  const cells = Math.max(1, ...values.map((v) => v.cell + 1));
  const used = GRID_STATES.filter((s) => values.some((v) => v.state === s));
  const size = 28;
  const spec: TopLevelSpec = {
    description:
      'Notebook health: one square per code cell, coloured and labelled by outcome, a column per environment',
    data: { values },
    facet: {
      column: {
        field: 'environment',
        type: 'nominal',
        title: null,
        sort: environments(h),
        header: { labelFontWeight: 'bold', labelFontSize: 13 },
      },
    },
    spec: {
      width: cells * size,
      height: notebooks.length * size,
      encoding: {
        x: {
          field: 'cell',
          type: 'ordinal',
          title: 'code cell',
          scale: { domain: [...Array(cells).keys()] },
          axis: { labelAngle: 0 },
        },
        y: { field: 'notebook', type: 'nominal', title: null, sort: notebooks, axis: { labelLimit: 320 } },
      },
      layer: [
        {
          mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 2 },
          encoding: {
            color: {
              field: 'state',
              type: 'nominal',
              title: null,
              scale: { domain: used, range: used.map((s) => COLOURS[s]) },
              legend: { orient: 'bottom', direction: 'horizontal' },
            },
            tooltip: [{ field: 'notebook' }, { field: 'cell' }, { field: 'state' }, { field: 'detail' }],
          },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            text: { field: 'label' },
            color: {
              condition: { test: "datum.state === 'not run' || datum.state === 'slower'", value: '#1b1b1b' },
              value: '#ffffff',
            },
          },
        },
      ],
    },
    resolve: { scale: { x: 'shared', y: 'shared' } },
  };
  return spec;
}
