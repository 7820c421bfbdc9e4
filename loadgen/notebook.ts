import { readFileSync } from 'node:fs';
import { InputError } from '../core/errors.js';

/** The code cells of a notebook, in order, as the kernel will receive them. */
export interface CodeCell {
  /** Index among the notebook's code cells (0-based): the `cell` tag of cell.exec samples. */
  index: number;
  source: string;
}

interface NotebookJson {
  cells?: { cell_type?: string; source?: string | string[] }[];
  metadata?: { kernelspec?: { name?: unknown } };
}

export function readCodeCells(path: string): CodeCell[] {
  let nb: unknown;
  try {
    nb = JSON.parse(readFileSync(path, 'utf8'));
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
  return codeCellsOf(nb, path);
}

/** The code cells of a parsed notebook (`path` names it in errors): NOTEBOOK_INVALID / NOTEBOOK_EMPTY. */
export function codeCellsOf(json: unknown, path: string): CodeCell[] {
  const nb = (typeof json === 'object' && json !== null ? json : {}) as NotebookJson;
  if (!Array.isArray(nb.cells))
    throw new InputError('NOTEBOOK_INVALID', `${path}: no "cells" array (nbformat 4 expected)`);
  const cells: CodeCell[] = [];
  for (const cell of nb.cells) {
    if (cell?.cell_type !== 'code') continue;
    const source = Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '');
    if (source.trim() === '') continue;
    cells.push({ index: cells.length, source });
  }
  if (cells.length === 0)
    throw new InputError('NOTEBOOK_EMPTY', `${path}: the notebook has no code cell to run`);
  return cells;
}

/** The kernel a notebook asks for (`metadata.kernelspec.name`), if it names one. */
export function kernelNameOf(json: unknown): string | undefined {
  const nb = (typeof json === 'object' && json !== null ? json : {}) as NotebookJson;
  const name = nb.metadata?.kernelspec?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
