/**
 * The live page: one HTML document (the report's stylesheet, inlined) and one script, both served
 * by the rehearse process itself with vega.min.js; nothing comes from the network (the page's
 * Content-Security-Policy says so to the browser: 'self' only).
 *
 * The script opens `/events` (server-sent events) and draws what arrives: `snapshot` (every section
 * with its chart as a compiled Vega spec, when a metrics interval closes), `progress` (the runner's
 * counts, once a second), `failure` and `outage` (as they happen), `end` (the verdict and the link
 * to the final report). Charts are drawn with vega's View into SVG, replacing the previous view.
 */
import { escapeHtml } from '../reports/format.js';
import { PAGE_CSS } from '../reports/page-css.js';

export const LIVE_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const LIVE_CSS = `
.live-status { display: inline-block; font-size: 13px; font-weight: 700; padding: 2px 10px; border-radius: 999px;
  background: var(--neutral-bg); color: var(--neutral); }
.live-status.on { background: var(--good-bg); color: var(--good); }
.live-status.off { background: var(--bad-bg); color: var(--bad); }
.live-grid { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; margin-bottom: 16px; }
@media (max-width: 640px) { .live-grid { grid-template-columns: repeat(2, 1fr); } }
.end { background: var(--card); border: 1px solid var(--line); border-left: 8px solid var(--neutral);
  border-radius: 10px; padding: 14px 18px; margin-bottom: 16px; }
.end.good { border-left-color: var(--good); } .end.bad { border-left-color: var(--bad); }
.feed { list-style: none; margin: 0; padding: 0; max-height: 16em; overflow-y: auto; font-size: 14px; }
.feed li { padding: 4px 0; border-bottom: 1px solid var(--line); }
.feed .when { font-variant-numeric: tabular-nums; color: var(--muted); margin-right: 8px; }
.feed .why { font-weight: 650; margin-right: 8px; }
.feed code { font-size: 13px; white-space: pre-wrap; }
.chart-box { min-height: 40px; }
[hidden] { display: none !important; }
`;

/** The page; `token` goes into the asset URLs (the page itself was only served to a holder of it). */
export function livePageHtml(token: string): string {
  const q = `?token=${encodeURIComponent(token)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>rehearse live</title>
<style>${PAGE_CSS}${LIVE_CSS}</style>
<script src="/assets/vega.min.js${q}" defer></script>
<script src="/assets/live.js${q}" defer></script>
</head>
<body>
<main class="page">
<header class="top">
<div class="eyebrow">rehearse · live <span id="status" class="live-status">connecting</span></div>
<h1 id="title">Waiting for the run to start</h1>
<p class="subtitle" id="subtitle"></p>
</header>
<section id="end" class="end" hidden></section>
<section class="live-grid" id="tiles" aria-label="Now"></section>
<section class="report-section" id="outages" hidden><h2>Hub outages</h2>
<p class="description">When the hub or BinderHub stopped answering during the run, and when it came back.</p>
<ul class="feed" id="outage-list"></ul></section>
<section class="report-section" id="failure-feed"><h2>Failures as they happen</h2>
<p class="description">Attendees whose session failed, newest first, with the reason and, for a notebook error, the cell, line and exception.</p>
<ul class="feed" id="failure-list"></ul><p class="description" id="no-failures">None so far.</p></section>
<div id="sections"></div>
<footer class="identity"><p id="footer">${escapeHtml('Charts update when a metrics interval closes (every 10 s of run time).')}</p></footer>
</main>
</body>
</html>
`;
}

/** The page's script (served as /assets/live.js). Plain browser JavaScript. */
export const LIVE_JS = `'use strict';
(function () {
  const token = new URLSearchParams(location.search).get('token') || '';
  const q = '?token=' + encodeURIComponent(token);
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const fmtMs = (ms) => {
    if (ms === null || ms === undefined) return '–';
    if (ms < 1000) return Math.round(ms) + ' ms';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    const m = Math.floor(s / 60);
    return m + 'm' + String(Math.round(s % 60)).padStart(2, '0') + 's';
  };
  const views = new Map();
  const status = (text, cls) => { const s = $('status'); s.textContent = text; s.className = 'live-status ' + cls; };

  function tiles(p, planned) {
    const box = $('tiles');
    box.textContent = '';
    const rows = p
      ? [['arrived', p.arrived + ' / ' + p.planned], ['launching', p.launching], ['ready', p.ready],
         ['in a cell', p.inCells], ['completed', p.completed], ['failed', p.failed], ['late arrivals', p.late],
         ['time to ready p95', fmtMs(p.launchReadyP95)]]
      : [['planned', planned]];
    for (const [label, value] of rows) {
      const t = el('div', 'tile');
      t.append(el('div', 'tile-label', label), el('div', 'tile-value', String(value)));
      t.dataset.tile = label;
      box.append(t);
    }
  }

  function section(def) {
    let s = document.querySelector('section[data-live="' + def.id + '"]');
    if (!s) {
      s = el('section', 'report-section');
      s.id = def.id;
      s.dataset.live = def.id;
      s.append(el('h2', null, def.title), el('p', 'description', def.description || ''),
        el('figure', 'chart chart-box'), el('div', 'notes'));
      $('sections').append(s);
    }
    const notes = s.querySelector('.notes');
    notes.textContent = '';
    if (def.note) notes.append(el('p', 'section-note ' + (def.noteTone || 'info'), def.note));
    for (const d of def.details || []) {
      const a = el('article', 'detail');
      a.append(el('h3', null, d.heading));
      if (d.text) a.append(el('p', null, d.text));
      if (d.code) a.append(el('pre', null, d.code));
      notes.append(a);
    }
    const fig = s.querySelector('figure');
    const old = views.get(def.id);
    if (old) { old.finalize(); views.delete(def.id); }
    fig.textContent = '';
    if (!def.vega) return;
    const view = new vega.View(vega.parse(def.vega), { renderer: 'svg', container: fig, hover: true });
    views.set(def.id, view);
    view.runAsync().catch((e) => console.error('chart ' + def.id + ': ' + e.message));
  }

  function failure(f) {
    $('no-failures').hidden = true;
    const li = el('li');
    li.append(el('span', 'when', fmtMs(f.t)), el('span', 'why', f.reason), el('span', null, f.user));
    if (f.firstAttempt && f.firstAttempt !== 'ok' && f.firstAttempt !== f.reason) li.append(el('span', 'when', ' (first attempt: ' + f.firstAttempt + ')'));
    if (f.message) { li.append(el('br')); li.append(el('code', null, f.message)); }
    $('failure-list').prepend(li);
  }

  function outage(o) {
    $('outages').hidden = false;
    const li = el('li');
    li.append(el('span', 'when', fmtMs(o.t)), el('span', 'why', o.type), el('code', null, o.fields));
    $('outage-list').append(li);
  }

  function end(e) {
    const box = $('end');
    box.hidden = false;
    box.className = 'end ' + (e.verdict === 'fail' || e.status === 'failed' ? 'bad' : e.verdict === 'pass' ? 'good' : '');
    box.textContent = '';
    box.append(el('h2', null, 'The run ended: ' + e.status + (e.verdict !== 'none' ? ', thresholds ' + e.verdict : '')));
    if (e.stopReason) box.append(el('p', 'description', e.stopReason));
    const p = el('p');
    if (e.report) {
      const a = el('a', null, 'Open the final report');
      a.href = '/report' + q;
      a.id = 'report-link';
      p.append(a, document.createTextNode(' (also in ' + e.report + ')'));
    } else {
      p.textContent = 'The final report is being written into ' + e.dir + ' …';
    }
    box.append(p);
    status('ended', '');
  }

  function snapshot(s) {
    if (s.run) {
      $('title').textContent = s.run.scenario + ': live rehearsal';
      $('subtitle').textContent = 'run ' + s.run.id + ' · ' + s.run.plannedUsers + ' attendees planned · started ' + s.run.startedAt + ' · charts cover ' + fmtMs(s.t) + ' (' + s.intervals + ' intervals)';
      document.title = 'rehearse live: ' + s.run.scenario;
    }
    tiles(s.progress, s.run ? s.run.plannedUsers : 0);
    for (const def of s.sections) section(def);
    $('failure-list').textContent = '';
    for (const f of s.failures) failure(f);
    $('outage-list').textContent = '';
    for (const o of s.outages) outage(o);
    document.body.dataset.intervals = String(s.intervals);
    // How many data rows the charts hold (what grows as the run goes on; read by the tests).
    document.body.dataset.points = String(s.sections.reduce((n, d) => n + ((d.vega && d.vega.data) || [])
      .reduce((m, x) => m + (Array.isArray(x.values) ? x.values.length : 0), 0), 0));
    if (s.end) end(s.end);
  }

  const source = new EventSource('/events' + q);
  source.onopen = () => status('live', 'on');
  source.onerror = () => status(document.getElementById('end').hidden ? 'disconnected' : 'ended', 'off');
  const on = (name, fn) => source.addEventListener(name, (m) => fn(JSON.parse(m.data)));
  on('snapshot', snapshot);
  on('progress', (p) => tiles(p, p.planned));
  on('failure', failure);
  on('outage', outage);
  on('end', (e) => { end(e); if (e.report) source.close(); });
})();
`;
