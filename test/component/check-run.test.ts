import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TargetError } from '../../core/errors.js';
import { type CheckEnvironment, runCheck } from '../../loadgen/check/check.js';
import { readRecord } from '../../loadgen/record/reader.js';
import { LaunchFailure, type TargetAdapter } from '../../loadgen/runner/targets.js';
import { fake } from '../helpers/fake-check-server.js';

/**
 * runCheck end to end in process: environments that open and close in turn, a target whose
 * launches succeed or are refused, a fake server; the record it writes, read back.
 */
function target(log: string[], refuse = false): TargetAdapter {
  return {
    describe: () => ({ kind: 'binderhub', binderUrl: 'http://hub.test/' }),
    launch: async (user) => {
      log.push(`launch ${user}`);
      if (refuse) throw new LaunchFailure(new Error('403 not allowed'), 'not-allowed', 'not-allowed');
      return {
        serverUrl: `http://hub.test/user/${user}/`,
        token: 't',
        hubUser: user,
        readyAt: 0,
        subPhases: {},
        firstAttempt: 'ok',
      };
    },
    stop: async (server) => {
      log.push(`stop ${server.hubUser}`);
      return [{ what: `server of ${server.hubUser}`, ok: true, detail: 'stopped' }];
    },
  };
}

function env(
  name: string,
  log: string[],
  o: { refuse?: boolean; unreachable?: boolean } = {},
): CheckEnvironment {
  return {
    name,
    kind: 'binderhub',
    open: async () => {
      log.push(`open ${name}`);
      if (o.unreachable) throw new TargetError('TARGET_UNREACHABLE', `cannot reach ${name}`);
      return { targetFor: () => target(log, o.refuse), close: async () => void log.push(`close ${name}`) };
    },
  };
}

const base = (environments: CheckEnvironment[]) => ({
  name: 'check-test',
  runsDir: mkdtempSync(join(tmpdir(), 'rehearse-check-run-')),
  environments,
  repos: [{ spec: 'gh/org/repo/HEAD' }],
  keepGoing: false,
  cellTimeoutMs: 10_000,
  notebookTimeoutMs: 60_000,
  protocol: 'v1' as const,
  toolVersion: '0.0.0-test',
  signal: new AbortController().signal,
});

describe('runCheck', () => {
  it('environments open one at a time; the record holds each column, the kernel environment, the events', async () => {
    const log: string[] = [];
    const server = fake({ 'print(1)': { ms: 5 }, 'boom()': { ms: 5, result: 'error' } }, []);
    const r = await runCheck({
      ...base([
        env('staging', log),
        env('prod', log, { refuse: true }),
        env('dev', log, { unreachable: true }),
      ]),
      openServer: () => server.api,
    });
    expect(log).toEqual([
      'open staging',
      'launch check-1',
      'stop check-1',
      'close staging',
      'open prod',
      'launch check-2',
      'close prod',
      'open dev',
    ]);
    const rec = readRecord(r.dir);
    expect(rec.health).toEqual(r.health);
    const [staging, prod, dev] = r.health.checks;
    expect(staging?.notebooks[0]?.cells.map((c) => c.outcome)).toEqual(['ok', 'error']);
    expect(staging?.info).toEqual({
      languageInfo: { name: 'python', version: '3.11.2' },
      versions: { python: '3.11.2', pandas: '1.5.3' },
    });
    expect(prod?.reason).toBe('the launch failed: not-allowed: 403 not allowed');
    expect(dev?.reason).toBe('the environment could not be opened: cannot reach dev');
    expect(rec.summary).toMatchObject({
      verdict: 'fail',
      status: 'completed',
      users: { arrived: 2, completed: 1, failed: 1 },
    });
    const cells = rec.events.filter((e) => e.type === 'step' && e.step === 'cell.exec');
    expect(cells.map((e) => (e.type === 'step' ? [e.cell, e.ok] : []))).toEqual([
      [0, true],
      [1, false],
    ]);
  });

  it('a lone environment that cannot be opened: its error (exit 3), and a record marked failed', async () => {
    const o = base([env('only', [], { unreachable: true })]);
    await expect(runCheck(o)).rejects.toMatchObject({ code: 'TARGET_UNREACHABLE', exitCode: 3 });
    const rec = readRecord(join(o.runsDir, readdirSync(o.runsDir)[0] as string));
    expect(rec.summary).toMatchObject({ status: 'failed', stopReason: 'cannot reach only' });
  });
});
