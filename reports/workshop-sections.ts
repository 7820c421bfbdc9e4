/**
 * The workshop parts of a run report (issue hub-workshops): per cohort (each cohort carries its
 * server profile), the launch, the nbgitpuller pull and the browser canaries' figures; then each
 * canary with its screenshot. Pure: a record in, section definitions out. Sections appear only
 * when the record has per-cohort histograms of a workshop run or canary events.
 */
import type { RunRecord } from '../loadgen/record/reader.js';
import { formatMs } from './format.js';
import type { SectionDef } from './run-sections.js';
import { histogramKeys, mergedHistogram, percentileMs } from './specs/hist.js';

const COHORT_KEY = /^([a-z][a-z0-9_.]*)\{cohort=([^}]+)\}$/;
const COLUMNS = ['launch.ready', 'launch.gitpull', 'browser.ready', 'browser.cell'] as const;

/** A screenshot under a section: path relative to the record folder. */
export interface SectionPicture {
  file: string;
  alt: string;
  caption: string;
}

/** What these sections read of a record. */
export type WorkshopRecord = Pick<RunRecord, 'events' | 'intervals'> & {
  meta: { scenario: { normalized: unknown } };
};

export interface WorkshopCohortRow {
  cohort: string;
  options: string;
  figures: Record<(typeof COLUMNS)[number], { p50: number; p95: number; count: number } | undefined>;
}

/** The cohorts' server options as the scenario gave them (from the normalized scenario in meta). */
function cohortOptions(record: WorkshopRecord): Map<string, string> {
  const out = new Map<string, string>();
  const normalized = record.meta.scenario.normalized;
  const cohorts =
    typeof normalized === 'object' && normalized !== null
      ? (normalized as { cohorts?: unknown }).cohorts
      : undefined;
  if (!Array.isArray(cohorts)) return out;
  for (const c of cohorts) {
    if (typeof c !== 'object' || c === null) continue;
    const o = c as {
      name?: unknown;
      profile?: unknown;
      profileOptions?: unknown;
      server?: unknown;
      userOptions?: unknown;
    };
    const parts: string[] = [typeof o.profile === 'string' ? `profile ${o.profile}` : 'default profile'];
    if (typeof o.profileOptions === 'object' && o.profileOptions !== null) {
      for (const [k, v] of Object.entries(o.profileOptions)) {
        const unlisted =
          typeof v === 'object' && v !== null ? (v as { unlisted?: unknown }).unlisted : undefined;
        parts.push(`${k}=${typeof v === 'string' ? v : `other: ${String(unlisted)}`}`);
      }
    }
    if (typeof o.userOptions === 'object' && o.userOptions !== null) parts.push('raw user_options');
    if (typeof o.server === 'string') parts.push(`named server "${o.server}"`);
    if (typeof o.name === 'string') out.set(o.name, parts.join(', '));
  }
  return out;
}

export function workshopCohortRows(record: WorkshopRecord): WorkshopCohortRow[] {
  const keys = histogramKeys(record.intervals);
  const cohorts = [
    ...new Set(keys.map((k) => COHORT_KEY.exec(k)?.[2]).filter((c): c is string => c !== undefined)),
  ];
  const options = cohortOptions(record);
  return cohorts.sort().map((cohort) => {
    const figures = {} as WorkshopCohortRow['figures'];
    for (const metric of COLUMNS) {
      const key = `${metric}{cohort=${cohort}}`;
      if (!keys.includes(key)) {
        figures[metric] = undefined;
        continue;
      }
      const h = mergedHistogram(record.intervals, key);
      figures[metric] = { p50: percentileMs(h, 50), p95: percentileMs(h, 95), count: h.totalCount };
    }
    return { cohort, options: options.get(cohort) ?? '', figures };
  });
}

export function workshopSections(record: WorkshopRecord): (SectionDef & { pictures?: SectionPicture[] })[] {
  const isWorkshop = record.events.some(
    (e) => e.type === 'canary' || (e.type === 'step' && (e.step === 'gitpull' || e.step === 'browser')),
  );
  const rows = workshopCohortRows(record);
  if (!isWorkshop && !rows.some((r) => r.options.startsWith('profile'))) return [];
  const out: (SectionDef & { pictures?: SectionPicture[] })[] = [];
  const cell = (f: { p50: number; p95: number; count: number } | undefined) =>
    f ? `${formatMs(f.p50)} / ${formatMs(f.p95)} (${f.count})` : '–';
  const details = rows.map((r) => ({
    heading: `${r.cohort}: ${r.options || 'default server'}`,
    code: COLUMNS.map((m) => `${m.padEnd(15)} p50 / p95 (n)  ${cell(r.figures[m])}`).join('\n'),
  }));
  out.push({
    id: 'workshop',
    title: 'Per cohort: server profile, nbgitpuller, browser',
    description:
      'Each cohort starts its servers with its own options (a KubeSpawner profile slug and profile_options). launch.ready: click to ' +
      'server ready. launch.gitpull: ready to the nbgitpuller link followed through the hub and the pull finished (protocol-level ' +
      'attendees). browser.ready: a canary in headless Chromium, from the login page and the link to JupyterLab showing the notebook ' +
      'with its kernel idle (it follows the nbgitpuller link itself, so its pull is inside). browser.cell: one cell run from the UI until its output shows.',
    ...(rows.length > 0 ? { details } : { note: 'No per-cohort figures were recorded.' }),
  });
  const canaries = record.events.filter((e) => e.type === 'canary');
  if (canaries.length > 0) {
    const ok = canaries.filter((c) => c.type === 'canary' && c.ok).length;
    out.push({
      id: 'canaries',
      title: 'Browser canaries',
      description:
        'Attendees driven by a real browser, from the link a person clicks to an interactive JupyterLab; the final page of each.',
      note: `${ok} of ${canaries.length} canaries reached an interactive JupyterLab and ran a cell.`,
      noteTone: ok === canaries.length ? 'good' : 'warn',
      pictures: canaries.flatMap((c) =>
        c.type === 'canary' && c.screenshot
          ? [
              {
                file: c.screenshot,
                alt: `screenshot of canary ${c.user}`,
                caption: c.ok
                  ? `${c.user} (${c.cohort}): browser.ready ${formatMs(c.readyMs ?? 0)}, browser.cell ${formatMs(c.cellMs ?? 0)}`
                  : `${c.user} (${c.cohort}): ${c.reason ?? 'failed'} at ${c.stage}: ${c.message ?? ''}`,
              },
            ]
          : [],
      ),
    });
  }
  return out;
}
