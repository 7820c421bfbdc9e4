/**
 * `rehearse report runs/<id>`: read a run record and write, into the record's folder (or `outDir`):
 *
 *   report.html          one self-contained page: verdict, charts as inline SVG, identity footer
 *   report.md            the same for a GitHub step summary / PR comment, charts as PNGs:
 *   report-<section>.png   one per chart, beside report.md
 *   junit.xml            one testcase per threshold
 *
 * A partial record (no summary.json, or a run that did not end normally) gives a report marked
 * PARTIAL RECORD; an unreadable record throws the reader's InputError (exit 2).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type RunRecord, readRecord } from '../loadgen/record/reader.js';
import { compareHealth } from './compare-health.js';
import { slowerCells } from './compare-health-page.js';
import { formatMs } from './format.js';
import { healthJunitCases } from './health.js';
import { healthSections, healthVerdict } from './health-sections.js';
import {
  type PageInput,
  type PageSection,
  renderHtmlPage,
  renderJunit,
  renderMarkdown,
  type VerdictLabel,
} from './page.js';
import { prefixSvgIds, renderSvg, svgToPng } from './render.js';
import {
  footer,
  highlights,
  junitCases,
  notices,
  partialNote,
  verdictLabel,
  verdictRow,
  verdictSummary,
} from './run-page.js';
import { generatorVerdict, type RunReportExtras, runSections, type SectionDef } from './run-sections.js';
import { generatorHealth } from './specs/generator-health.js';
import { type SectionPicture, workshopSections } from './workshop-sections.js';

export interface RunReportOptions extends RunReportExtras {
  /** Where to write the files (default: the record's folder). */
  outDir?: string;
}

export interface RunReportFiles {
  html: string;
  md: string;
  junit: string;
  pngs: string[];
  record: string;
  verdict: VerdictLabel;
  partial: boolean;
  /** What the reader skipped or rebuilt, and chart rendering warnings; for stderr. */
  warnings: string[];
}

/** The page of a record, charts rendered to SVG (ids prefixed per section). */
export async function buildRunPage(
  record: RunRecord,
  extras: RunReportExtras = {},
): Promise<{ page: PageInput; warnings: string[] }> {
  const warnings: string[] = [];
  const sections: PageSection[] = [];
  const health = record.health;
  const base = extras.healthBaseline;
  const slower =
    health && base
      ? slowerCells(compareHealth(base, health, { factor: extras.slowerFactor ?? 2 }))
      : undefined;
  const defs: (SectionDef & { pictures?: SectionPicture[] })[] = health
    ? healthSections(health, slower)
    : [...runSections(record, extras), ...workshopSections(record)];
  for (const def of defs) {
    const section: PageSection = { id: def.id, title: def.title, description: def.description };
    if (def.pictures) section.pictures = embedPictures(record.dir, def.pictures);
    if (def.details) section.details = def.details;
    if (def.table) section.table = def.table;
    if (def.spec) {
      const r = await renderSvg(def.spec);
      section.svg = prefixSvgIds(r.svg, def.id);
      warnings.push(...r.warnings.map((w) => `chart ${def.id}: ${w}`));
    }
    if (def.note) section.note = def.note;
    if (def.noteTone) section.noteTone = def.noteTone;
    sections.push(section);
  }
  const s = record.summary;
  const gen = generatorHealth(record.intervals);
  const users = `${s.users.planned} attendee${s.users.planned === 1 ? '' : 's'}`;
  const page: PageInput = {
    title: `${record.meta.scenario.name}: ${health ? 'notebook health' : 'workshop rehearsal'}`,
    subtitle: `${health ? `${s.users.planned} notebook runs` : users} · ${formatMs(s.durationMs)} · ${record.meta.target.kind} target · run ${record.meta.id}`,
    partial: record.partial,
    ...(record.partial ? { partialNote: partialNote(record) } : {}),
    verdict: health
      ? healthVerdict(health)
      : { label: verdictLabel(s), rows: s.thresholds.map(verdictRow), summary: verdictSummary(record) },
    ...(health ? {} : { highlights: highlights(record, gen) }),
    notices: gen.saturated.length > 0 ? [generatorVerdict(gen), ...notices(record)] : notices(record),
    sections,
    footer: footer(record),
  };
  return { page, warnings };
}

/** Screenshots inlined as data: URIs (the HTML page stays one self-contained file). */
function embedPictures(dir: string, pictures: SectionPicture[]): NonNullable<PageSection['pictures']> {
  return pictures
    .filter((p) => existsSync(join(dir, p.file)))
    .map((p) => ({
      ...p,
      src: `data:image/png;base64,${readFileSync(join(dir, p.file)).toString('base64')}`,
    }));
}

export async function writeRunReport(dir: string, opts: RunReportOptions = {}): Promise<RunReportFiles> {
  const record = readRecord(dir);
  const outDir = opts.outDir ?? record.dir;
  mkdirSync(outDir, { recursive: true });
  const cluster = opts.cluster ?? record.cluster;
  const { page, warnings } = await buildRunPage(record, { ...opts, ...(cluster ? { cluster } : {}) });

  const html = join(outDir, 'report.html');
  writeFileSync(html, renderHtmlPage(page));

  const images: Record<string, string> = {};
  const pngs: string[] = [];
  for (const s of page.sections) {
    if (s.svg === undefined) continue;
    const name = `report-${s.id}.png`;
    const file = join(outDir, name);
    writeFileSync(file, svgToPng(s.svg));
    images[s.id] = name;
    pngs.push(file);
  }
  const md = join(outDir, 'report.md');
  writeFileSync(md, renderMarkdown({ ...page, images }));

  const junit = join(outDir, 'junit.xml');
  writeFileSync(
    junit,
    renderJunit({
      suiteName: `rehearse ${record.meta.scenario.name} ${basename(record.dir)}`,
      cases: record.health ? healthJunitCases(record.health) : junitCases(record),
    }),
  );
  return {
    html,
    md,
    junit,
    pngs,
    record: record.dir,
    verdict: page.verdict.label,
    partial: record.partial,
    warnings: [...record.warnings, ...warnings],
  };
}
