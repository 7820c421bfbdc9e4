import type { CellError, CellHealth } from '../record/health.js';

/**
 * Reading a kernel's `error` message the way a person reads the red box under a cell (pure).
 *
 * IPython ≥ 8 names the cell's frame `Cell In[<count>], line <L>` (8.5, Debian 12: `Cell In [<count>]`); IPython 7
 * wrote `<ipython-input-<count>-<hash>> in <module>` and marked the line with `----> L`. The
 * first frame is the cell's own (the traceback starts at the notebook code, deeper frames are
 * library code), so its line is the line of the cell that raised, also when a library raised.
 */

/** ESC [ … final byte: the colour/style sequences IPython's traceback carries. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, 'g');

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** How many traceback entries are kept: the cell frame's tail and the error line. */
export const TRACEBACK_FRAMES = 4;

const CELL_FRAME = /Cell In ?\[\d*\],? line (\d+)/;
// IPython 7 (`<ipython-input-…> in <module>`), and IPython 8.35 (Debian 13) when the error passes
// through library frames: the cell's frame is named by ipykernel's file, `/tmp/ipykernel_<pid>/<hash>.py in ?()`.
const OLD_FRAME = /(?:<ipython-input-\d+-[0-9a-f]+>|\/ipykernel_\d+\/\d+\.py) in /;
const ARROW = /^-+> ?(\d+)/m;

/** The 1-based line of the cell that raised, from a (stripped) traceback; undefined if unknown. */
export function errorLine(traceback: readonly string[]): number | undefined {
  for (const entry of traceback) {
    const m = CELL_FRAME.exec(entry);
    if (m) return Number(m[1]);
    if (OLD_FRAME.test(entry)) {
      const arrow = ARROW.exec(entry);
      if (arrow) return Number(arrow[1]);
    }
  }
  return undefined;
}

/** A kernel error as recorded: ANSI stripped, last frames, the cell line that raised. */
export function cellError(
  e: { ename: string; evalue: string; traceback: readonly string[] },
  source: string,
): CellError {
  const traceback = e.traceback.map(stripAnsi);
  const line = errorLine(traceback);
  const lineText = line === undefined ? undefined : source.split('\n')[line - 1];
  return {
    ename: e.ename,
    evalue: e.evalue,
    traceback: traceback.slice(-TRACEBACK_FRAMES),
    ...(line === undefined ? {} : { line }),
    ...(lineText === undefined ? {} : { lineText }),
  };
}

/**
 * Is this error a consequence of an earlier failed cell rather than a cause of its own? Yes when
 * it is a NameError for a name that an earlier FAILED cell binds (assigns, imports, defines,
 * loops over): the earlier cell died before binding it, as with a NameError after a failed
 * import. Anything else (another exception, a name no failed cell binds) is a cause.
 */
export function isConsequence(
  error: Pick<CellError, 'ename' | 'evalue'>,
  earlier: readonly { cell: Pick<CellHealth, 'outcome'>; source: string }[],
): boolean {
  if (error.ename !== 'NameError') return false;
  const name = /name '([A-Za-z_][A-Za-z0-9_]*)' is not defined/.exec(error.evalue)?.[1];
  if (name === undefined) return false;
  return earlier.some((e) => e.cell.outcome !== 'ok' && bindsName(e.source, name));
}

/** Does `source` bind `name` at some statement start (x = …, x, y = …, import x, as x, def x, for x in)? */
export function bindsName(source: string, name: string): boolean {
  const n = name.replace(/[$]/g, '\\$');
  const patterns = [
    new RegExp(`^\\s*(?:[A-Za-z_][\\w, ]*,\\s*)?${n}\\s*(?:,[\\w, ]*)?(?::[^=\\n]+)?=(?!=)`, 'm'),
    new RegExp(`^\\s*(?:from\\s+\\S+\\s+)?import\\s+(?:[\\w.]+\\s*,\\s*)*${n}\\b`, 'm'),
    new RegExp(`\\bas\\s+${n}\\b`),
    new RegExp(`^\\s*(?:async\\s+)?(?:def|class)\\s+${n}\\b`, 'm'),
    new RegExp(`^\\s*for\\s+(?:[\\w, ]*,\\s*)?${n}\\b[\\w, ]*\\s+in\\b`, 'm'),
  ];
  return patterns.some((p) => p.test(source));
}
