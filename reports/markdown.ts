/**
 * The Markdown version of a report page (page.ts documents the API): for a GitHub step summary or
 * a pull-request comment. Charts are PNG image links; the caller writes the PNGs beside the .md.
 */
import { escapeMarkdown, escapeMarkdownCell } from './format.js';
import type { PageInput, VerdictLabel } from './page.js';

export interface MarkdownInput extends PageInput {
  /** Section id → PNG path relative to the .md (sections without one get no image). */
  images?: Record<string, string>;
  /** Prefixed to every image path, e.g. an artifact or Pages URL ending in "/". */
  imageBase?: string;
}

const BADGE: Record<VerdictLabel, string> = {
  PASS: '✅ PASS',
  FAIL: '❌ FAIL',
  'NO THRESHOLDS': '➖ NO THRESHOLDS',
  REGRESSION: '❌ REGRESSION',
  'NO REGRESSION': '✅ NO REGRESSION',
};

export function renderMarkdown(page: MarkdownInput): string {
  const out: string[] = [`# ${escapeMarkdown(page.title)}`, ''];
  if (page.subtitle) out.push(escapeMarkdown(page.subtitle), '');
  if (page.partial) {
    out.push(
      '> [!WARNING]',
      `> **⚠️ PARTIAL RECORD**${page.partialNote ? ` — ${escapeMarkdown(page.partialNote)}` : ''}`,
      '',
    );
  }
  out.push(`## ${BADGE[page.verdict.label]}`, '');
  if (page.verdict.summary) out.push(escapeMarkdown(page.verdict.summary), '');
  if (page.verdict.rows.length > 0) {
    out.push('| Result | Check | Measured | Limit | Note |', '|---|---|--:|--:|---|');
    for (const r of page.verdict.rows) {
      const cells = [r.pass ? '✅ pass' : '❌ **FAIL**', r.name, r.measured, r.limit, r.note ?? ''];
      out.push(`| ${cells.map((c, i) => (i === 0 ? c : escapeMarkdownCell(c))).join(' | ')} |`);
    }
    out.push('');
  }
  if (page.highlights && page.highlights.length > 0) {
    out.push(
      page.highlights
        .map(
          (h) =>
            `**${escapeMarkdown(h.label)}** ${escapeMarkdown(h.value)}${h.note ? ` (${escapeMarkdown(h.note)})` : ''}`,
        )
        .join(' · '),
      '',
    );
  }
  for (const n of page.notices ?? []) out.push(`- ⚠️ ${escapeMarkdown(n)}`);
  if ((page.notices ?? []).length > 0) out.push('');
  for (const s of page.sections) {
    out.push(`### ${escapeMarkdown(s.title)}`, '');
    if (s.description) out.push(escapeMarkdown(s.description), '');
    const img = page.images?.[s.id];
    if (img !== undefined)
      out.push(`![${escapeMarkdown(s.title)}](${encodeURI(`${page.imageBase ?? ''}${img}`)})`, '');
    if (s.note) {
      const mark = s.noteTone === 'good' ? '✅ ' : s.noteTone === 'warn' ? '⚠️ ' : '';
      out.push(...s.note.split('\n').map((l, i) => `> ${i === 0 ? mark : ''}${escapeMarkdown(l)}`), '');
    }
    for (const p of s.pictures ?? [])
      out.push(`![${escapeMarkdown(p.alt)}](${encodeURI(p.file)})`, '', `*${escapeMarkdown(p.caption)}*`, '');
    if (s.table) {
      const t = s.table;
      const align = t.head.map((_, i) => (t.numeric?.includes(i) ? '---:' : '---'));
      const line = (cells: string[], strong = false) =>
        `| ${cells.map((c) => (strong && c !== '' ? `**${escapeMarkdownCell(c)}**` : escapeMarkdownCell(c))).join(' | ')} |`;
      out.push(
        line(t.head),
        `| ${align.join(' | ')} |`,
        ...t.rows.map((r, j) => line(r, t.strong?.includes(j) ?? false)),
        '',
      );
    }
    for (const d of s.details ?? []) {
      out.push(`#### ${escapeMarkdown(d.heading)}`, '');
      if (d.text) out.push(escapeMarkdown(d.text), '');
      if (d.code) out.push('~~~text', d.code.replaceAll('~~~', '~ ~ ~'), '~~~', '');
    }
  }
  out.push('---', '', `<sub>${page.footer.map(escapeMarkdown).join(' · ')}</sub>`, '');
  return out.join('\n');
}
