/**
 * The shared page API of every report (run report, comparison). Stable: other report writers build
 * a `PageInput` and call these; nothing here knows about run records.
 *
 *   renderHtmlPage(page: PageInput): string
 *     ONE self-contained HTML document: inline CSS and inline SVG charts, no script, no CDN, no
 *     web font, no external reference of any kind (it works offline and from a CI artifact).
 *     Order: title, a "PARTIAL RECORD" banner when `partial`, the verdict (badge + one row per
 *     threshold or compared metric), `highlights`, `notices`, a table of contents, the sections
 *     (chart SVG and/or a note), and the run's identity in the footer.
 *     Pass/fail is always icon + word (+ colour): never colour alone; a section note may be
 *     'good' (✓) or 'warn' (⚠) as well as plain 'info'. Every text is escaped here;
 *     `svg` is inserted as is (pass SVG from render.ts, ids made unique with prefixSvgIds).
 *
 *   renderMarkdown(page: PageInput & { images?, imageBase? }): string
 *     For a GitHub step summary or PR comment: the verdict table, highlights, then each section
 *     with its chart as an image link `images[section.id]` (a PNG file name written beside the
 *     .md by the caller; `imageBase` is prefixed, e.g. an artifact URL), then the footer.
 *
 *   renderJunit({ suiteName, cases: { name, pass, message? }[] }): string
 *     JUnit XML, one testcase per threshold (or compared metric), escaped for XML 1.0.
 */
import { escapeHtml } from './format.js';
import { PAGE_CSS } from './page-css.js';

export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';

export type VerdictLabel = 'PASS' | 'FAIL' | 'NO THRESHOLDS' | 'REGRESSION' | 'NO REGRESSION';

export interface VerdictRow {
  /** The threshold expression or compared metric, e.g. "launch.ready p(95) < 60s". */
  name: string;
  pass: boolean;
  /** Already formatted with its unit ("13.1 s", "0.5%"). */
  measured: string;
  limit: string;
  note?: string;
}

export interface PageSection {
  /** Anchor id, unique in the page ([a-z0-9-]); also names the PNG of the Markdown version. */
  id: string;
  title: string;
  /** How to read the chart, one or two sentences. */
  description?: string;
  /** An SVG document from render.ts (inserted unescaped). */
  svg?: string;
  /** Shown instead of (or under) the chart: why there is no chart, or what it shows at a glance. */
  note?: string;
  /** How the note is shown: 'info' (default), 'good' (✓, e.g. no failures), 'warn' (⚠, e.g. saturated). */
  noteTone?: 'info' | 'good' | 'warn';
  /** Items under the chart, e.g. one per failing notebook cell: a heading, a line of text, a code excerpt. */
  details?: SectionDetail[];
  /** A table under the chart and note (the capacity plan's alternatives). */
  table?: SectionTable;
  /** Pictures (browser canary screenshots): `src` for HTML (a data: URI), `file` for Markdown (relative). */
  pictures?: { src: string; file: string; alt: string; caption: string }[];
}

export interface SectionTable {
  head: string[];
  /** One string per column. */
  rows: string[][];
  /** Indexes of the columns holding figures (right-aligned). */
  numeric?: number[];
  /** Indexes of the rows shown in bold (the chosen plan). */
  strong?: number[];
}

export interface SectionDetail {
  heading: string;
  text?: string;
  /** Shown preformatted (a traceback tail). */
  code?: string;
}

export interface PageInput {
  title: string;
  subtitle?: string;
  partial: boolean;
  /** What the PARTIAL RECORD banner says after its heading (why the record is partial). */
  partialNote?: string;
  verdict: {
    label: VerdictLabel;
    rows: VerdictRow[];
    /** One line under the badge, e.g. "3 of 3 thresholds passed". */
    summary?: string;
  };
  /** Key numbers shown as tiles under the verdict. */
  highlights?: { label: string; value: string; note?: string }[];
  /** Things the reader must know (skipped torn lines, leftovers to remove). */
  notices?: string[];
  sections: PageSection[];
  /** The run's identity, one fact per line; "Label: value" lines get a bold label. */
  footer: string[];
}

export type VerdictTone = 'good' | 'bad' | 'neutral';

export function verdictTone(label: VerdictLabel): VerdictTone {
  if (label === 'PASS' || label === 'NO REGRESSION') return 'good';
  if (label === 'FAIL' || label === 'REGRESSION') return 'bad';
  return 'neutral';
}

/** 20×20 icons, drawn inline (no icon font); `currentColor` follows the text. */
const ICON: Record<VerdictTone | 'warn', string> = {
  good: '<svg class="icon" viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M5.5 10.5l3 3 6-7" fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  bad: '<svg class="icon" viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M6.5 6.5l7 7M13.5 6.5l-7 7" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/></svg>',
  neutral:
    '<svg class="icon" viewBox="0 0 20 20" aria-hidden="true"><circle cx="10" cy="10" r="9" fill="currentColor"/><path d="M6 10h8" stroke="#fff" stroke-width="2.4" stroke-linecap="round"/></svg>',
  warn: '<svg class="icon" viewBox="0 0 20 20" aria-hidden="true"><path d="M10 1.5l9 16.5H1z" fill="currentColor"/><path d="M10 7.5v5" stroke="#fff" stroke-width="2.2" stroke-linecap="round"/><circle cx="10" cy="15.3" r="1.2" fill="#fff"/></svg>',
};

function verdictBlock(v: PageInput['verdict']): string {
  const tone = verdictTone(v.label);
  const rows = v.rows
    .map((r) => {
      const cls = r.pass ? 'good' : 'bad';
      return (
        `<tr class="row-${cls}"><td class="status ${cls}">${ICON[cls]}<span>${r.pass ? 'pass' : 'FAIL'}</span></td>` +
        `<td class="name">${escapeHtml(r.name)}</td><td class="num">${escapeHtml(r.measured)}</td>` +
        `<td class="num">${escapeHtml(r.limit)}</td><td class="note">${escapeHtml(r.note ?? '')}</td></tr>`
      );
    })
    .join('\n');
  const table =
    v.rows.length === 0
      ? ''
      : `<table class="verdict-rows"><thead><tr><th>Result</th><th>Check</th><th class="num">Measured</th>` +
        `<th class="num">Limit</th><th>Note</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
  return (
    `<section class="verdict ${tone}" aria-label="Verdict">` +
    `<div class="badge ${tone}">${ICON[tone]}<span>${escapeHtml(v.label)}</span></div>` +
    (v.summary ? `<p class="verdict-summary">${escapeHtml(v.summary)}</p>` : '') +
    `${table}</section>`
  );
}

function highlightsBlock(h: PageInput['highlights']): string {
  if (!h || h.length === 0) return '';
  const tiles = h
    .map(
      (t) =>
        `<div class="tile"><div class="tile-label">${escapeHtml(t.label)}</div>` +
        `<div class="tile-value">${escapeHtml(t.value)}</div>` +
        (t.note ? `<div class="tile-note">${escapeHtml(t.note)}</div>` : '') +
        '</div>',
    )
    .join('');
  return `<section class="highlights" aria-label="At a glance">${tiles}</section>`;
}

function sectionBlock(s: PageSection): string {
  const figure = s.svg
    ? `<figure class="chart" role="img" aria-label="${escapeHtml(s.title)}">${s.svg}</figure>`
    : '';
  const tone = s.noteTone ?? 'info';
  const icon = tone === 'good' ? ICON.good : tone === 'warn' ? ICON.warn : '';
  const note = s.note
    ? `<p class="section-note ${tone}">${icon}<span>${escapeHtml(s.note).replaceAll('\n', '<br>')}</span></p>`
    : '';
  const details = (s.details ?? []).map(
    (d) =>
      `<article class="detail"><h3>${escapeHtml(d.heading)}</h3>` +
      (d.text ? `<p>${escapeHtml(d.text)}</p>` : '') +
      (d.code ? `<pre>${escapeHtml(d.code)}</pre>` : '') +
      '</article>',
  );
  return (
    `<section class="report-section" id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>` +
    (s.description ? `<p class="description">${escapeHtml(s.description)}</p>` : '') +
    `${figure}${note}${s.table ? tableBlock(s.table) : ''}${details.join('')}${pictures(s)}</section>`
  );
}

function tableBlock(t: SectionTable): string {
  const cls = (i: number) => (t.numeric?.includes(i) ? ' class="num"' : '');
  const head = t.head.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows
    .map(
      (r, j) =>
        `<tr${t.strong?.includes(j) ? ' class="em"' : ''}>` +
        r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('') +
        '</tr>',
    )
    .join('\n');
  return `<table class="section-table"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function pictures(s: PageSection): string {
  return (s.pictures ?? [])
    .map(
      (p) =>
        `<figure class="screenshot"><img src="${escapeHtml(p.src)}" alt="${escapeHtml(p.alt)}" style="max-width:100%;border:1px solid #ccc">` +
        `<figcaption>${escapeHtml(p.caption)}</figcaption></figure>`,
    )
    .join('');
}

function footerLine(line: string): string {
  const i = line.indexOf(': ');
  if (i <= 0 || i > 24) return `<li>${escapeHtml(line)}</li>`;
  return `<li><span class="k">${escapeHtml(line.slice(0, i))}</span> ${escapeHtml(line.slice(i + 2))}</li>`;
}

export function renderHtmlPage(page: PageInput): string {
  const partial = page.partial
    ? `<div class="partial" role="alert">${ICON.warn}<div><strong>PARTIAL RECORD</strong>` +
      `${page.partialNote ? ` — ${escapeHtml(page.partialNote)}` : ''}</div></div>`
    : '';
  const notices =
    page.notices && page.notices.length > 0
      ? `<section class="notices" aria-label="Notices"><ul>${page.notices.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul></section>`
      : '';
  const toc =
    page.sections.length > 1
      ? `<nav class="toc" aria-label="Charts">${page.sections
          .map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`)
          .join('')}</nav>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${escapeHtml(page.verdict.label)} · ${escapeHtml(page.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body${page.partial ? ' class="is-partial"' : ''}>
<div class="page">
<header class="top"><div class="eyebrow">rehearse report</div><h1>${escapeHtml(page.title)}</h1>${
    page.subtitle ? `<p class="subtitle">${escapeHtml(page.subtitle)}</p>` : ''
  }</header>
${partial}
${verdictBlock(page.verdict)}
${highlightsBlock(page.highlights)}
${notices}
${toc}
<main>
${page.sections.map(sectionBlock).join('\n')}
</main>
<footer class="identity"><h2>Run identity</h2><ul>${page.footer.map(footerLine).join('')}</ul></footer>
</div>
</body>
</html>
`;
}
