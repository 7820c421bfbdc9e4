/**
 * Cell execution latency per notebook code cell: `cell.exec{cell=N}` merged over the run, p50 and
 * p95 per cell index (from the scheduled send to the reply and idle). Shows which cell of the
 * workshop notebook is the slow one, and how far its slow tail is from its median.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { IntervalRecord } from '../../loadgen/record/types.js';
import { histogramKeys, mergedHistogram, percentileMs } from './hist.js';
import { CHART_HEIGHT, CHART_WIDTH, PALETTE, round3 } from './theme.js';

const CELL_KEY = /^cell\.exec\{cell=(\d+)\}$/;
export const CELL_STATS: readonly ['p50', 'p95'] = ['p50', 'p95'];

export interface CellLatency {
  /** Code cell indexes present, ascending. */
  cells: number[];
  bars: { cell: number; stat: 'p50' | 'p95'; seconds: number; count: number }[];
}

export function cellLatency(intervals: readonly IntervalRecord[]): CellLatency {
  const cells = histogramKeys(intervals)
    .map((k) => CELL_KEY.exec(k)?.[1])
    .filter((c): c is string => c !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const bars: CellLatency['bars'] = [];
  for (const cell of cells) {
    const h = mergedHistogram(intervals, `cell.exec{cell=${cell}}`);
    for (const stat of CELL_STATS) {
      const p = stat === 'p50' ? 50 : 95;
      bars.push({ cell, stat, seconds: round3(percentileMs(h, p) / 1000), count: h.totalCount });
    }
  }
  return { cells, bars };
}

export function cellLatencySpec(intervals: readonly IntervalRecord[]): TopLevelSpec {
  const d = cellLatency(intervals);
  return {
    description: 'Cell execution latency per code cell, p50 and p95',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values: d.bars },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'cell',
        type: 'ordinal',
        title: 'code cell (index in the notebook)',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'stat', type: 'nominal', sort: [...CELL_STATS] },
      y: { field: 'seconds', type: 'quantitative', title: 'execution time (s)' },
      color: {
        field: 'stat',
        type: 'nominal',
        title: null,
        scale: { domain: [...CELL_STATS], range: [PALETTE.sky, PALETTE.blue] },
      },
    },
  };
}
