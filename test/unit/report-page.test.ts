import { describe, expect, it } from 'vitest';
import { formatMs, formatRate, formatThresholdValue } from '../../reports/format.js';
import { type PageInput, renderHtmlPage, renderJunit, renderMarkdown } from '../../reports/page.js';

const page: PageInput = {
  title: 'class <b>&</b> "demo"',
  subtitle: '8 attendees',
  partial: false,
  verdict: {
    label: 'FAIL',
    summary: '1 of 2 thresholds failed.',
    rows: [
      { name: 'launch.ready p(95) < 60s', pass: true, measured: '13.1 s', limit: '1 min' },
      { name: 'cell.exec p(95) < 1s | x', pass: false, measured: '2.34 s', limit: '1 s', note: '<script>' },
    ],
  },
  highlights: [{ label: 'Completed', value: '8 / 8', note: '0 failed' }],
  sections: [
    {
      id: 'ready',
      title: 'Time to ready',
      description: 'how long',
      svg: '<svg class="marks"><path d="M0,0"/></svg>',
    },
    { id: 'cluster', title: 'Cluster', note: 'No cluster observer data (run with --kubeconfig).' },
  ],
  footer: ['Scenario: quickstart', 'Seed: 42'],
};

describe('renderHtmlPage', () => {
  const html = renderHtmlPage(page);

  it('is one self-contained document: no script, no external URL, no web font', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|@import|@font-face|(src|href)="(https?:)?\/\//i);
    expect(html).not.toMatch(/url\((?!#)/);
  });

  it('puts the verdict first, with icon and word per row (never colour alone), text escaped', () => {
    const verdictAt = html.indexOf('class="verdict bad"');
    expect(verdictAt).toBeGreaterThan(0);
    expect(verdictAt).toBeLessThan(html.indexOf('id="ready"'));
    expect(html).toContain('<span>FAIL</span>');
    expect(html).toMatch(/class="status good"><svg[^>]*>.*?<\/svg><span>pass<\/span>/);
    expect(html).toMatch(/class="status bad"><svg[^>]*>.*?<\/svg><span>FAIL<\/span>/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('class &lt;b&gt;&amp;&lt;/b&gt; &quot;demo&quot;');
    expect(html).not.toContain('<b>&</b>');
  });

  it('renders sections in order with their SVG or note, and the identity footer', () => {
    expect(html.indexOf('id="ready"')).toBeLessThan(html.indexOf('id="cluster"'));
    expect(html).toContain('<figure class="chart" role="img" aria-label="Time to ready"><svg class="marks">');
    expect(html).toContain('No cluster observer data (run with --kubeconfig).');
    expect(html).toContain('<li><span class="k">Seed</span> 42</li>');
    expect(html).not.toContain('PARTIAL RECORD');
  });

  it('a warning note carries an icon and its tone, not colour alone', () => {
    const p = renderHtmlPage({
      ...page,
      sections: [{ id: 'g', title: 'G', note: 'SATURATED', noteTone: 'warn' }],
    });
    expect(p).toMatch(
      /<p class="section-note warn"><svg class="icon"[^>]*>.*?<\/svg><span>SATURATED<\/span><\/p>/,
    );
    expect(
      renderMarkdown({ ...page, sections: [{ id: 'g', title: 'G', note: 'SATURATED', noteTone: 'warn' }] }),
    ).toContain('> ⚠️ SATURATED');
  });

  it('shows a PARTIAL RECORD banner when partial', () => {
    const p = renderHtmlPage({ ...page, partial: true, partialNote: 'the run was killed' });
    expect(p).toContain('<strong>PARTIAL RECORD</strong> — the run was killed');
    expect(p).toContain('role="alert"');
  });
});

describe('renderMarkdown', () => {
  it('verdict table first, then charts as image links, escaped cells', () => {
    const md = renderMarkdown({
      ...page,
      images: { ready: 'report-ready.png' },
      imageBase: 'https://example.org/a b/',
    });
    const lines = md.split('\n');
    expect(lines).toContain('## ❌ FAIL');
    expect(lines).toContain(
      '| ✅ pass | launch.ready p(95) < 60s | 13.1 s | 1 min |  |'.replaceAll('<', '&lt;'),
    );
    expect(md).toContain('| ❌ **FAIL** | cell.exec p(95) &lt; 1s \\| x | 2.34 s | 1 s | &lt;script&gt; |');
    expect(md).toContain('![Time to ready](https://example.org/a%20b/report-ready.png)');
    expect(md.indexOf('## ❌ FAIL')).toBeLessThan(md.indexOf('### Time to ready'));
    expect(md).toContain('> No cluster observer data (run with --kubeconfig).');
    expect(md).not.toContain('PARTIAL');
    expect(renderMarkdown({ ...page, partial: true })).toContain('**⚠️ PARTIAL RECORD**');
  });
});

describe('renderJunit', () => {
  it('one testcase per check, failures counted, everything escaped for XML', () => {
    const xml = renderJunit({
      suiteName: 'rehearse <q>',
      cases: [
        { name: 'launch.ready p(95) < 60s', pass: true, message: 'measured 13.1 s' },
        { name: 'cell & "x"', pass: false, message: 'measured 2 s\u0007, limit < 1 s' },
      ],
    });
    expect(
      xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rehearse &lt;q&gt;" tests="2" failures="1" errors="0">',
      ),
    ).toBe(true);
    expect(xml).toContain('<testcase name="launch.ready p(95) &lt; 60s" classname="rehearse &lt;q&gt;">');
    expect(xml).toContain(
      '<failure message="measured 2 s\uFFFD, limit &lt; 1 s" type="failed">measured 2 s\uFFFD, limit &lt; 1 s</failure>',
    );
    expect(xml).toContain('name="cell &amp; &quot;x&quot;"');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml.trim().endsWith('</testsuites>')).toBe(true);
  });

  it('an empty suite is still a valid document', () => {
    expect(renderJunit({ suiteName: 's', cases: [] })).toContain('tests="0" failures="0"');
  });
});

describe('formats', () => {
  it('durations, rates and threshold values for people', () => {
    expect(
      [0.3, 4.56, 468.4, 2345, 13_100, 30_000, 59_960, 60_000, 123_000, 3_900_000].map(formatMs),
    ).toEqual([
      '0.30 ms',
      '4.6 ms',
      '468 ms',
      '2.35 s',
      '13.1 s',
      '30 s',
      '1 min',
      '1 min',
      '2 min 03 s',
      '1 h 05 min',
    ]);
    expect([0, 0.005, 0.125, 1].map(formatRate)).toEqual(['0%', '0.5%', '12.5%', '100%']);
    expect(formatThresholdValue('launch.failed rate < 1%', 0.01)).toBe('1%');
    expect(formatThresholdValue('session.failed count == 0', 3)).toBe('3');
    expect(formatThresholdValue('launch.ready p(95) < 60s', 60_000)).toBe('1 min');
    expect(formatThresholdValue('launch.ready p(95) < 60s', null)).toBe('no data');
  });
});
