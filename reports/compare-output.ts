/**
 * Writing a comparison: report.html (self-contained, charts inline as SVG), report.md (charts as
 * PNG files beside it), junit.xml (one testcase per compared metric and rate) and compare.json,
 * all into one folder. The page layout is shared with the run report (page.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison } from './compare.js';
import { healthChangeDetails, healthSummary, slowerCells } from './compare-health-page.js';
import { footerLines, highlights, junitCases, notices, verdict } from './compare-page.js';
import { type PageInput, type PageSection, renderHtmlPage, renderJunit, renderMarkdown } from './page.js';
import { prefixSvgIds, renderSvg, svgToPng } from './render.js';
import { percentileBarsSpec, readyCurveSpec } from './specs/compare-charts.js';
import { healthGridSpec } from './specs/health-grid.js';

export { comparisonText } from './compare-page.js';

export interface ComparisonFiles {
  html: string;
  markdown: string;
  junit: string;
  json: string;
}

/** The two charts of a comparison, rendered to SVG (a chart with no data says why instead). */
async function charts(c: Comparison): Promise<PageSection[]> {
  const curve: PageSection = {
    id: 'compare-ready-curve',
    title: 'Time to ready, baseline vs candidate',
    description:
      'launch.ready at each percentile of the launches: click → server ready. A candidate curve above the baseline is slower.',
  };
  if (c.readyCurve) curve.svg = prefixSvgIds((await renderSvg(readyCurveSpec(c.readyCurve))).svg, curve.id);
  else curve.note = 'No launch reached ready in one of the runs: there is no curve to compare.';
  const bars: PageSection = {
    id: 'compare-percentiles',
    title: 'p50 and p95 per metric',
    description:
      'Baseline (grey) and candidate (blue) side by side; a regression is outlined and labelled "▲ regression".',
  };
  if (c.trends.length > 0)
    bars.svg = prefixSvgIds((await renderSvg(percentileBarsSpec(c.trends))).svg, bars.id);
  else bars.note = 'The runs have no latency metric in common.';
  if (!c.health) return [curve, bars];
  const h = c.health;
  const grid: PageSection = {
    id: 'compare-health',
    title: 'Notebook health: the candidate, changes against the baseline',
    description: `The candidate's cells by outcome; "slow" marks cells slower than ×${h.factor} of the baseline beyond run-to-run noise. Below, every cell that changed.`,
    note: healthSummary(h),
    noteTone: h.regression ? 'warn' : 'good',
    details: healthChangeDetails(h),
  };
  grid.svg = prefixSvgIds((await renderSvg(healthGridSpec(h.candidate, slowerCells(h)))).svg, grid.id);
  // A check record has no launches or latencies: only the health section says anything.
  return c.trends.length === 0 && c.readyCurve === null ? [grid] : [grid, curve, bars];
}

/** Render and write every output of `c` into `outDir` (created if missing). */
export async function writeComparison(c: Comparison, outDir: string): Promise<ComparisonFiles> {
  mkdirSync(outDir, { recursive: true });
  const sections = await charts(c);
  const partial = [c.baseline, c.candidate].filter((r) => r.partial);
  const page: PageInput = {
    title: `Comparison: ${c.candidate.id} against ${c.baseline.id}`,
    subtitle: `scenario ${c.candidate.scenario} · candidate ${c.candidate.id} · baseline ${c.baseline.id}`,
    partial: partial.length > 0,
    ...(partial.length > 0
      ? {
          partialNote: `${partial.map((r) => r.id).join(' and ')} did not end normally; compared as recorded`,
        }
      : {}),
    verdict: verdict(c),
    highlights: highlights(c),
    notices: notices(c),
    sections,
    footer: footerLines(c),
  };
  const files: ComparisonFiles = {
    html: join(outDir, 'report.html'),
    markdown: join(outDir, 'report.md'),
    junit: join(outDir, 'junit.xml'),
    json: join(outDir, 'compare.json'),
  };
  writeFileSync(files.html, renderHtmlPage(page));
  const images: Record<string, string> = {};
  for (const s of sections) {
    if (s.svg === undefined) continue;
    const png = `${s.id}.png`;
    writeFileSync(join(outDir, png), svgToPng(s.svg));
    images[s.id] = png;
  }
  writeFileSync(files.markdown, renderMarkdown({ ...page, images }));
  writeFileSync(
    files.junit,
    renderJunit({ suiteName: `rehearse compare ${c.baseline.id} → ${c.candidate.id}`, cases: junitCases(c) }),
  );
  writeFileSync(files.json, `${JSON.stringify(c, null, 2)}\n`);
  return files;
}
