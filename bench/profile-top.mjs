#!/usr/bin/env node
// Fold a V8 .cpuprofile (node --cpu-prof, or bench/profile-steady.mjs) into the functions that took
// the most time: self time, then inclusive time (each function counted once per stack).
//   node bench/profile-top.mjs <file.cpuprofile> [N=30]
import { readFileSync } from 'node:fs';

const [file, n = '30'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/profile-top.mjs <file.cpuprofile> [N]\n');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of p.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const spent = new Map();
for (let i = 0; i < p.samples.length; i++) {
  const id = p.samples[i];
  spent.set(id, (spent.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
}
const total = [...spent.values()].reduce((a, b) => a + b, 0);
const name = (x) => {
  const f = x.callFrame;
  return `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
};
const self = new Map();
const inclusive = new Map();
for (const x of p.nodes) {
  const t = spent.get(x.id) ?? 0;
  if (t === 0) continue;
  self.set(name(x), (self.get(name(x)) ?? 0) + t);
  const seen = new Set();
  for (let id = x.id; id !== undefined; id = parent.get(id)) {
    const k = name(byId.get(id));
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + t);
  }
}
const show = (m, title) => {
  console.log(`== ${title} (of ${(total / 1e6).toFixed(2)} s sampled)`);
  for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
    console.log(`${((100 * t) / total).toFixed(1).padStart(5)} %  ${k}`);
  }
};
show(self, 'self');
show(inclusive, 'inclusive');
