/**
 * How a comparison report shows notebook health changes (pure): verdict rows, JUnit cases and
 * the terminal lines for each changed cell, and the candidate's grid with slower cells marked.
 */
import type { CellChange, HealthComparison } from './compare-health.js';
import { formatMs } from './format.js';
import type { SectionDetail, VerdictRow } from './page.js';
import { type SlowerCells, slowerKey } from './specs/health-grid.js';

const FAILS: readonly string[] = ['newly failing', 'slower'];

export function changeName(x: CellChange): string {
  return `${x.notebook}${x.cell === undefined ? '' : ` cell ${x.cell}`}`;
}

/** Which rule fired, for slower cells ("×2.0 and +2 s both exceeded"). */
export function slowerRule(h: HealthComparison, x: CellChange): string {
  const j = x.judgement;
  if (j === undefined) return '';
  const by = j.baseline > 0 ? `×${(j.candidate / j.baseline).toFixed(1)}` : 'from 0';
  const noise = `noise floor +${formatMs(j.spread.limit - j.baseline)}`;
  if (j.fired === 'both')
    return `${by}: beyond ×${h.factor} (tolerance) and beyond the ${noise} (spread): both fired`;
  return `${by}: beyond ×${h.factor} (tolerance fired) but within the ${noise} (spread did not): not counted`;
}

export function healthChangeRows(h: HealthComparison): VerdictRow[] {
  return h.changes.map((x) => ({
    name: changeName(x),
    pass: !FAILS.includes(x.kind),
    measured: `${x.baseline} → ${x.candidate}`,
    limit: x.kind.startsWith('slower') ? `×${h.factor} and the noise floor` : 'outcome',
    note: x.kind === 'slower' || x.kind === 'slower within noise' ? `${x.kind}: ${slowerRule(h, x)}` : x.kind,
  }));
}

export function healthJunitCases(h: HealthComparison): { name: string; pass: boolean; message: string }[] {
  return healthChangeRows(h).map((r) => ({
    name: r.name,
    pass: r.pass,
    message: `${r.note}: ${r.measured}`,
  }));
}

export function healthSummary(h: HealthComparison): string {
  const n = (k: CellChange['kind']) => h.changes.filter((x) => x.kind === k).length;
  return (
    `notebooks (${h.pairing.join(', ') || 'no environment in common'}): ${n('newly failing')} newly failing, ` +
    `${n('fixed')} fixed, ${n('slower')} slower than ×${h.factor} of ${h.compared} cells compared`
  );
}

export function healthTextLines(h: HealthComparison): string[] {
  return [
    '',
    healthSummary(h),
    ...healthChangeRows(h).map((r) => `${r.pass ? '  ' : '✗ '}${r.name}: ${r.note} (${r.measured})`),
  ];
}

/** Candidate cells marked slower in its grid. */
export function slowerCells(h: HealthComparison): SlowerCells {
  return new Set(
    h.changes
      .filter((x) => x.kind === 'slower' && x.cell !== undefined)
      .map((x) => slowerKey(x.environment, x.repo, x.notebook, x.cell as number)),
  );
}

export function healthChangeDetails(h: HealthComparison): SectionDetail[] {
  return h.changes.map((x) => ({
    heading: `${x.kind}: ${changeName(x)} (${x.environment})`,
    text: `${x.baseline} → ${x.candidate}${x.judgement ? `. ${slowerRule(h, x)}` : ''}`,
  }));
}
