import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupRecords } from '../../loadgen/leftovers/cleanup.js';
import { findLeftovers } from '../../loadgen/leftovers/find.js';
import type { K8sDelete } from '../../loadgen/leftovers/k8s.js';
import { LedgerWriter } from '../../loadgen/record/ledger.js';

// Cleanup's bookkeeping without a hub: Kubernetes deletions are injected (the real client is
// exercised by the k8s launcher's component test), the local target is "already down".
const dead = () => false;

function deadRun(target: Record<string, unknown>, write: (w: LedgerWriter) => void): string {
  const runs = mkdtempSync(join(tmpdir(), 'cleanup-'));
  const dir = join(runs, 'r1');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'meta.json'),
    JSON.stringify({ id: 'r1', status: 'running', startedAt: 'x', target }),
  );
  const w = LedgerWriter.open(dir, { pid: 999_999 });
  write(w);
  w.close();
  return runs;
}

const JOB = { kind: 'k8s', object: 'Job', namespace: 'ns', name: 'rehearse-r1' } as const;
const SECRET = { kind: 'k8s', object: 'Secret', namespace: 'ns', name: 'rehearse-r1-token' } as const;

describe('rehearse cleanup (bookkeeping)', () => {
  it('deletes what the ledger lists, writes it gone, and a second cleanup has nothing to do', async () => {
    const runs = deadRun({ kind: 'binderhub', binderUrl: 'http://b/' }, (w) => {
      w.created(w.intent(JOB));
      w.intent(SECRET); // killed before the create returned: may or may not exist
    });
    const calls: string[] = [];
    const k8sDelete: K8sDelete = async (o) => {
      calls.push(`${o.object}/${o.name}`);
      return o.object === 'Secret' ? 'absent' : 'deleted';
    };
    const dry = await cleanupRecords(findLeftovers(runs, { isAlive: dead }), {
      env: {},
      k8sDelete,
      dryRun: true,
    });
    expect(dry.left).toBe(2);
    expect(calls).toEqual([]);
    expect(dry.lines.map((l) => l.command)).toEqual([
      'kubectl -n ns delete job rehearse-r1',
      'kubectl -n ns delete secret rehearse-r1-token',
    ]);
    const res = await cleanupRecords(findLeftovers(runs, { isAlive: dead }), { env: {}, k8sDelete });
    expect(res.left).toBe(0);
    expect(calls).toEqual(['Job/rehearse-r1', 'Secret/rehearse-r1-token']);
    expect(res.lines.map((l) => [l.ok, l.detail])).toEqual([
      [true, 'deleted'],
      [true, 'already gone'],
    ]);
    expect(findLeftovers(runs, { isAlive: dead })).toEqual([]);
  });

  it('what cannot be removed stays in the ledger, with the command to remove it', async () => {
    const runs = deadRun({ kind: 'binderhub', binderUrl: 'http://b/' }, (w) => {
      w.created(w.intent(JOB));
    });
    const k8sDelete: K8sDelete = async () => {
      throw new Error('forbidden: cannot delete jobs');
    };
    const res = await cleanupRecords(findLeftovers(runs, { isAlive: dead }), { env: {}, k8sDelete });
    expect(res.left).toBe(1);
    expect(res.lines[0]).toMatchObject({ ok: false, command: 'kubectl -n ns delete job rehearse-r1' });
    expect(findLeftovers(runs, { isAlive: dead })).toHaveLength(1);
  });

  it('a hub without a token: the user is listed with the curl command naming the variable', async () => {
    const hubUrl = 'http://hub.example/';
    const runs = deadRun({ kind: 'jupyterhub', hubUrl, tokenEnv: 'HUB_TOKEN' }, (w) => {
      w.created(w.intent({ kind: 'hub-user', hubUrl, name: 'rehearse-ab-u1' }));
    });
    const res = await cleanupRecords(findLeftovers(runs, { isAlive: dead }), { env: {} });
    expect(res.left).toBe(1);
    expect(res.lines[0]?.detail).toContain('HUB_TOKEN is empty');
    expect(res.lines[0]?.command).toBe(
      'curl -X DELETE -H "Authorization: token $HUB_TOKEN" http://hub.example/hub/api/users/rehearse-ab-u1',
    );
  });

  it('the local target the dead run started is down already: its entries went with it', async () => {
    const hubUrl = 'http://127.0.0.1:1/';
    const runs = deadRun({ kind: 'local', hubUrl, binderUrl: 'http://127.0.0.1:2/' }, (w) => {
      w.created(
        w.intent({
          kind: 'local-stack',
          stateDir: '/x',
          stackId: 's1',
          hubUrl,
          binderUrl: 'http://127.0.0.1:2/',
        }),
      );
      w.created(w.intent({ kind: 'hub-user', hubUrl, name: 'u' }));
    });
    const res = await cleanupRecords(findLeftovers(runs, { isAlive: dead }), {
      env: {},
      local: { find: () => null, down: async () => ({ leftovers: [] }) },
    });
    expect(res.left).toBe(0);
    expect(findLeftovers(runs, { isAlive: dead })).toEqual([]);
  });
});
