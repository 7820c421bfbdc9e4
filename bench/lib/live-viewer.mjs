#!/usr/bin/env node
// What watches a `--live` run in the generator bench, in its own process (so that its own work is
// not the generator's): one live page's event stream, read and discarded, and a Prometheus-like
// scrape of /metrics every second. `node bench/lib/live-viewer.mjs <origin> <token>`; runs until
// killed; prints its tallies as one JSON line on SIGTERM.
const [origin, token] = process.argv.slice(2);
const auth = { authorization: `Bearer ${token}` };
const tally = { sseBytes: 0, scrapes: 0, scrapeErrors: 0, metricsBytes: 0 };
const ctl = new AbortController();

async function stream() {
  const res = await fetch(`${origin}/events`, { headers: auth, signal: ctl.signal });
  for await (const chunk of res.body) tally.sseBytes += chunk.length;
}

async function scrape() {
  while (!ctl.signal.aborted) {
    try {
      const r = await fetch(`${origin}/metrics`, { headers: auth, signal: ctl.signal });
      tally.metricsBytes += (await r.text()).length;
      tally.scrapes += r.ok ? 1 : 0;
      tally.scrapeErrors += r.ok ? 0 : 1;
    } catch {
      if (!ctl.signal.aborted) tally.scrapeErrors += 1;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

process.on('SIGTERM', () => {
  ctl.abort();
  process.stdout.write(`${JSON.stringify(tally)}\n`);
  process.exit(0);
});
stream().catch(() => {
  tally.streamBroke = true;
});
void scrape();
