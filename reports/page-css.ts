/**
 * The report page's stylesheet, inlined into every page. System fonts only. Verdict colours are a
 * dark bluish green and a dark vermillion (Okabe–Ito hues, darkened for 4.5:1 contrast with white
 * text), and every state also carries an icon and a word.
 */
export const PAGE_CSS = `
:root {
  --ink: #1b1b1b; --muted: #555; --line: #e3e3e3; --bg: #f6f7f9; --card: #fff;
  --good: #00704f; --good-bg: #e6f4ef; --bad: #b03a00; --bad-bg: #fbeee6;
  --neutral: #4d4d4d; --neutral-bg: #efefef; --warn: #8a5a00; --warn-bg: #fff4d6; --link: #005a8c;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans",
    "DejaVu Sans", Arial, sans-serif;
}
.page { max-width: 980px; margin: 0 auto; padding: 24px 20px 48px; }
a { color: var(--link); }
.top { margin-bottom: 16px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--muted); }
h1 { font-size: 28px; line-height: 1.2; margin: 4px 0 4px; font-weight: 650; }
.subtitle { margin: 0; color: var(--muted); }
h2 { font-size: 19px; margin: 0 0 4px; font-weight: 650; }
.icon { width: 1.15em; height: 1.15em; flex: none; vertical-align: -0.2em; }
.partial {
  display: flex; gap: 12px; align-items: flex-start; margin: 0 0 16px; padding: 14px 16px;
  background: repeating-linear-gradient(135deg, var(--warn-bg) 0 14px, #fdecb8 14px 28px);
  border: 2px solid var(--warn); border-radius: 8px; color: var(--ink);
}
.partial .icon { color: var(--warn); width: 1.6em; height: 1.6em; }
.partial strong { letter-spacing: .04em; }
.verdict { background: var(--card); border-radius: 10px; padding: 18px 20px; margin-bottom: 16px;
  border: 1px solid var(--line); border-left: 8px solid var(--neutral); }
.verdict.good { border-left-color: var(--good); }
.verdict.bad { border-left-color: var(--bad); }
.badge { display: inline-flex; align-items: center; gap: 10px; font-size: 26px; font-weight: 750;
  letter-spacing: .03em; padding: 6px 16px 6px 12px; border-radius: 8px; color: #fff; }
.badge .icon { width: 1.1em; height: 1.1em; color: rgba(255,255,255,.25); }
.badge.good { background: var(--good); }
.badge.bad { background: var(--bad); }
.badge.neutral { background: var(--neutral); }
.verdict-summary { margin: 10px 0 0; font-size: 16px; }
table.verdict-rows { width: 100%; border-collapse: collapse; margin-top: 14px; font-size: 14px; }
.verdict-rows th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line);
  padding: 6px 8px; font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.verdict-rows td { padding: 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.verdict-rows .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.verdict-rows .name { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace;
  font-size: 13px; }
.verdict-rows .note { color: var(--muted); }
.status { white-space: nowrap; font-weight: 700; }
.status span { margin-left: 6px; }
.status.good { color: var(--good); }
.status.bad { color: var(--bad); }
tr.row-bad td { background: var(--bad-bg); }
.highlights { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 16px; }
@media (max-width: 640px) { .highlights { grid-template-columns: repeat(2, 1fr); } }
.tile { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.tile-label { font-size: 12px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.tile-value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.3; }
.tile-note { font-size: 13px; color: var(--muted); }
.notices { background: var(--warn-bg); border: 1px solid #e8cf8a; border-radius: 8px; padding: 8px 16px; margin-bottom: 16px; }
.notices ul { margin: 0; padding-left: 18px; }
.toc { display: flex; flex-wrap: wrap; gap: 6px 8px; margin: 0 0 16px; }
.toc a { font-size: 13px; text-decoration: none; background: var(--card); border: 1px solid var(--line);
  border-radius: 999px; padding: 3px 12px; }
.toc a:hover { border-color: var(--link); }
.report-section { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 20px; margin-bottom: 16px; }
.description { margin: 0 0 10px; color: var(--muted); max-width: 75ch; }
figure.chart { margin: 0; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
.section-note { margin: 10px 0 0; padding: 10px 14px; background: #eef4f8; border-left: 4px solid #0072B2;
  border-radius: 4px; display: flex; gap: 10px; align-items: flex-start; }
.section-note .icon { margin-top: .15em; }
.section-note.good { background: var(--good-bg); border-left-color: var(--good); }
.section-note.good .icon { color: var(--good); }
.section-note.warn { background: var(--warn-bg); border-left-color: var(--warn); font-weight: 600; }
.section-note.warn .icon { color: var(--warn); }
table.section-table { width: 100%; border-collapse: collapse; margin-top: 14px; font-size: 14px; }
.section-table th { text-align: left; font-weight: 600; color: var(--muted); border-bottom: 2px solid var(--line); padding: 6px 8px; }
.section-table td { padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.section-table .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.section-table tr.em td { font-weight: 600; }
article.detail { margin: 14px 0 0; padding: 8px 14px; border-left: 4px solid #D55E00; background: #fbf3ee; }
article.detail h3 { margin: 0 0 4px; font-size: 1rem; }
article.detail p { margin: 0 0 6px; }
article.detail pre { margin: 0; padding: 8px; background: #fff; overflow-x: auto; font-size: .8rem; line-height: 1.35; }
footer.identity { margin-top: 24px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 13px; }
footer.identity h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
footer.identity ul { list-style: none; margin: 0; padding: 0; columns: 2 320px; column-gap: 32px; }
footer.identity li { break-inside: avoid; padding: 2px 0; overflow-wrap: anywhere; }
footer.identity .k { color: var(--ink); font-weight: 600; }
@media print {
  body { background: #fff; }
  .toc { display: none; }
  .report-section, .verdict, .tile { break-inside: avoid; border-color: #bbb; }
}
`;
