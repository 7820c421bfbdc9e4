#!/usr/bin/env node
// One bench part in a fresh process: `node --expose-gc bench/lib/worker.mjs <part> '<json opts>'`.
// The stub token comes from STUB_TOKEN. Prints the part's result as one JSON line on stdout.
const [part, json] = process.argv.slice(2);
const opts = { ...JSON.parse(json ?? '{}'), token: process.env.STUB_TOKEN };
const parts = {
  launches: async () => (await import('./parts.mjs')).launches(opts),
  sessions: async () => (await import('./parts.mjs')).sessions(opts),
  'runner-only': async () => (await import('./parts.mjs')).runnerOnly(opts),
  'raw-ws': async () => (await import('./ws-parts.mjs')).rawWs(opts),
  'client-max': async () => (await import('./ws-parts.mjs')).clientMax(opts),
};
if (!parts[part]) {
  process.stderr.write(`unknown part ${part}; one of ${Object.keys(parts).join(', ')}\n`);
  process.exitCode = 2;
} else {
  const result = await parts[part]();
  const cpu = process.cpuUsage();
  // The whole process (imports, set-up, the part): what the host saw it use.
  result.process = {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Undici keep-alive sockets and the like would hold the loop a few seconds more: the part is done.
  setTimeout(() => process.exit(0), 100).unref();
}
