#!/usr/bin/env node
// CPU profile of bench:generator's sessions part between two moments of the run only (the steady
// window, without the launches and the end), against the stub target in its own process.
//   npm run build && node bench/profile-steady.mjs '<sessions options>' <fromMs> <toMs> <out.cpuprofile>
// e.g. '{"users":2000,"rampMs":2000,"durationMs":25000,"thinkMs":1,"cells":20000}' 9000 22000 max.cpuprofile
// Then: node bench/profile-top.mjs max.cpuprofile. Talks only to 127.0.0.1; bounded by the options.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { newToken, startStub } from './lib/stub.mjs';

const [json, from, to, out] = process.argv.slice(2);
if (!json || !out) {
  process.stderr.write('usage: node bench/profile-steady.mjs <json> <fromMs> <toMs> <out.cpuprofile>\n');
  process.exit(2);
}
const token = newToken();
process.env.STUB_TOKEN = token;
const stub = await startStub({ token, maxSeconds: 600 });
try {
  const { sessions } = await import('./lib/parts.mjs');
  const inspector = new Session();
  inspector.connect();
  await inspector.post('Profiler.enable');
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 });
  setTimeout(() => inspector.post('Profiler.start'), Number(from));
  setTimeout(async () => {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(out, JSON.stringify(profile));
  }, Number(to));
  const r = await sessions({ url: stub.url, token, ...JSON.parse(json) });
  console.log(JSON.stringify({ steady: r.steady, failures: r.failures, generatorLagMs: r.generatorLagMs }));
} finally {
  await stub.stop();
}
