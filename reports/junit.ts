/**
 * JUnit XML (page.ts documents the API): one testcase per threshold or compared metric, so CI
 * systems list each check by name. A failing case carries a <failure> with the message; text is
 * escaped for XML 1.0 (characters it cannot carry become U+FFFD).
 */
import { escapeXml } from './format.js';

export interface JunitInput {
  suiteName: string;
  cases: { name: string; pass: boolean; message?: string }[];
}

export function renderJunit(input: JunitInput): string {
  const name = escapeXml(input.suiteName);
  const failures = input.cases.filter((c) => !c.pass).length;
  const counts = `tests="${input.cases.length}" failures="${failures}" errors="0"`;
  const cases = input.cases.map((c) => {
    const open = `    <testcase name="${escapeXml(c.name)}" classname="${name}"`;
    if (c.pass)
      return c.message ? `${open}><system-out>${escapeXml(c.message)}</system-out></testcase>` : `${open}/>`;
    const msg = escapeXml(c.message ?? 'failed');
    return `${open}>\n      <failure message="${msg}" type="failed">${msg}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${name}" ${counts}>`,
    `  <testsuite name="${name}" ${counts} skipped="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
