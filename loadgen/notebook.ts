import { readFileSync } from 'node:fs';
import { InputError } from '../scenarios/errors.js';

/** The code cells of a notebook, in order, as the kernel will receive them. */
export interface CodeCell {
  /** Index among the notebook's code cells (0-based): the `cell` tag of cell.exec samples. */
  index: number;
  source: string;
}

interface NotebookJson {
  cells?: { cell_type?: string; source?: string | string[] }[];
}

export function readCodeCells(path: string): CodeCell[] {
  let nb: NotebookJson;
  try {
    nb = JSON.parse(readFileSync(path, 'utf8')) as NotebookJson;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(
      missing ? 'NOTEBOOK_NOT_FOUND' : 'NOTEBOOK_INVALID',
      `${path}: ${missing ? 'no such notebook' : 'not a notebook (JSON)'}`,
      {
        hint: missing
          ? 'Check the path; scenario notebook paths are relative to the scenario file.'
          : undefined,
        cause: err,
      },
    );
  }
  if (!Array.isArray(nb.cells))
    throw new InputError('NOTEBOOK_INVALID', `${path}: no "cells" array (nbformat 4 expected)`);
  const cells: CodeCell[] = [];
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'code') continue;
    const source = Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '');
    if (source.trim() === '') continue;
    cells.push({ index: cells.length, source });
  }
  if (cells.length === 0)
    throw new InputError('NOTEBOOK_EMPTY', `${path}: the notebook has no code cell to run`);
  return cells;
}
