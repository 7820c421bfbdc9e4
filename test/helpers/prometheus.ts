import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real Prometheus (Debian's `prometheus` package, installed by scripts/bootstrap.mjs) on
 * 127.0.0.1, scraping one target every second with a bearer token. Under CI=true a missing binary
 * fails the test that needs it; elsewhere `prometheusMissing()` lets it skip with the reason.
 */
export const PROMETHEUS = '/usr/bin/prometheus';
export const PROMTOOL = '/usr/bin/promtool';

export function prometheusMissing(env: NodeJS.ProcessEnv = process.env): string | null {
  if (existsSync(PROMETHEUS) && existsSync(PROMTOOL)) return null;
  const why = `${PROMETHEUS} or ${PROMTOOL} is missing (npm run bootstrap -- --with-prometheus, as root: apt-get install prometheus)`;
  if (env.CI === 'true') throw new Error(why);
  return why;
}

/** A port free right now on 127.0.0.1 (bind 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TestPrometheus {
  url: string;
  /** The value of an instant query's single series, or null when there is none. */
  value(query: string): Promise<number | null>;
  /** Every series of an instant query: labels and value. */
  series(query: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(o: { target: string; token: string }): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'rehearse-prometheus-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, o.token, { mode: 0o600 });
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: rehearse',
      `    static_configs: [{ targets: ['${o.target}'] }]`,
      `    authorization: { type: Bearer, credentials_file: ${tokenFile} }`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const ready = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > ready || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const series = async (query: string) => {
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await r.json()) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`prometheus query ${query}: ${JSON.stringify(body)}`);
    return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  };
  return {
    url,
    series,
    async value(query) {
      const s = await series(query);
      if (s.length > 1) throw new Error(`${query}: ${s.length} series, expected one`);
      return s[0]?.value ?? null;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
