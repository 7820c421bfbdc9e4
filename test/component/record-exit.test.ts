import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

// A real child process (the built writer, dist/ from the global setup) that dies of an uncaught
// error right after writing events: the events of its last event-loop turn must be in the file.
const writerUrl = pathToFileURL(join(process.cwd(), 'dist/loadgen/record/writer.js')).href;
let runsDir = '';
afterEach(() => rmSync(runsDir, { recursive: true, force: true }));

describe('events.jsonl when the process dies', () => {
  it('writes the events of the last turn on an uncaught error', () => {
    runsDir = mkdtempSync(join(tmpdir(), 'rehearse-record-exit-'));
    const meta = {
      tool: { name: 'rehearse', version: '0.1.0' },
      scenario: { name: 'exit', hash: 'sha256:0', source: 'x.yaml', normalized: {} },
      seed: 1,
      target: { kind: 'local', binderUrl: 'http://127.0.0.1:8585/' },
      host: { hostname: 'h', platform: 'linux', arch: 'x64', node: process.version, cpus: 2, memoryGiB: 4 },
      startedAt: new Date().toISOString(),
      intervalMs: 10_000,
      plannedUsers: 3,
    };
    const script = `
      const { RecordWriter } = await import(${JSON.stringify(writerUrl)});
      const w = RecordWriter.create(${JSON.stringify(runsDir)}, ${JSON.stringify(meta)});
      process.stdout.write(w.dir);
      for (let i = 0; i < 3; i++) w.event({ type: 'arrival', t: i, user: 'u' + i, cohort: 'c', scheduled: i, lag: 0, late: false });
      throw new Error('boom');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('boom');
    const users = readFileSync(join(r.stdout, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).user);
    expect(users).toEqual(['u0', 'u1', 'u2']);
  });
});
