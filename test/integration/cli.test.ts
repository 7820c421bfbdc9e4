import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, processesWithMarker } from '../../provision/local/processes.js';

// The CLI as a user runs it (node bin/rehearse.js, a child process), against the real local stack.
const BIN = fileURLToPath(new URL('../../bin/rehearse.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function rehearse(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('rehearse CLI', () => {
  it('up local --json, launch --target local, status, down local: works and leaves nothing running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rehearse-cli-'));
    const env = { REHEARSE_HOME: home, NO_COLOR: '1' };
    const upRun = await rehearse(['up', 'local', '--json', '--build-time', '1s'], env);
    expect(upRun.code, upRun.stderr).toBe(0);
    const info = JSON.parse(upRun.stdout) as {
      binderUrl: string;
      hubUrl: string;
      tokenFile: string;
      stateDir: string;
    };
    expect(info.binderUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(info.hubUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // The token is in a file, never in the output.
    const token = readFileSync(info.tokenFile, 'utf8').trim();
    expect(upRun.stdout).not.toContain(token);
    const stackId = (
      JSON.parse(readFileSync(join(info.stateDir, 'state.json'), 'utf8')) as { stackId: string }
    ).stackId;
    try {
      const launchRun = await rehearse(
        ['launch', 'gh/rehearse-examples/dask-intro/HEAD', '--target', 'local', '--cell', '2', '--all-cells'],
        env,
      );
      expect(launchRun.code, launchRun.stderr).toBe(0);
      expect(launchRun.stdout).toContain(': completed');
      expect(launchRun.stdout).toContain('sum of 0..999999 = 499999500000');
      expect(launchRun.stdout).toMatch(/launch\s+0\.0s\s+\d+\.\d+s/);
      expect(launchRun.stdout).not.toContain(token);
      expect(launchRun.stderr).not.toContain(token);

      const statusRun = await rehearse(['status', 'local', '--json'], env);
      expect(statusRun.code).toBe(0);
      expect(JSON.parse(statusRun.stdout)).toMatchObject({ running: true, hubOk: true, binderOk: true });
    } finally {
      const downRun = await rehearse(['down', 'local'], env);
      expect(downRun.code, downRun.stderr).toBe(0);
    }
    expect(processesWithMarker(stackId)).toEqual([]);
    const after = await rehearse(['status', 'local'], env);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('not running');
  });

  it('exits 3 naming the URL when the BinderHub cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`; // released at once: a closed port
    const r = await rehearse(['launch', 'gh/rehearse-examples/dask-intro/HEAD', '--target', url], {}, 60_000);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(url.slice(0, -1));
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  it('exits 3 with what to do when the local target is not running', async () => {
    const home = mkdtempSync(join(tmpdir(), 'rehearse-cli-'));
    const r = await rehearse(['launch', 'gh/rehearse-examples/dask-intro/HEAD', '--target', 'local'], {
      REHEARSE_HOME: home,
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('rehearse up local');
  });

  it('exits 2 listing every error of an invalid scenario with its line, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rehearse-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'name: bad',
        'target: { kind: local }',
        'repo: gh/rehearse-examples/dask-intro/HEAD',
        'cohorts:',
        '  - { name: class, users: 0, arrival: { kind: burst, over: soon } }',
        'session:',
        '  notebook: nowhere.ipynb',
        '  thinkTime: { median: 5s, p95: 20s }',
        '  duration: 2m',
        'colour: blue',
        '',
      ].join('\n'),
    );
    const r = await rehearse(['validate', file], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:5:`);
    expect(r.stderr).toContain('cohorts[0].users');
    expect(r.stderr).toContain('cohorts[0].arrival.over');
    expect(r.stderr).toContain('colour');
    expect(r.stderr).toContain('session.notebook');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 on an unknown flag or target', async () => {
    expect((await rehearse(['up', 'somewhere'], {})).code).toBe(2);
    expect((await rehearse(['launch', 'x', '--target', 'local', '--protocol', 'v9'], {})).code).toBe(2);
    expect((await rehearse(['nonsense'], {})).code).toBe(2);
  });
});
