import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { killGroup } from '../../provision/local/processes.js';
import { status, up } from '../../provision/local/stack.js';
import { describeEachStack, startTestStack } from '../helpers/local-stack.js';

describeEachStack('local-lifecycle', (stack) => {
  // The local target after a crash: a hub that died leaves stale state, which `status` reports and
  // `up` cleans (every recorded process and anything carrying the old stack's marker) before
  // starting afresh; `down` then leaves nothing.
  describe('local target lifecycle', () => {
    it('detects a crashed hub, recovers the stale state on up, and leaves nothing after down', async () => {
      const t = await startTestStack({ stack });
      const old = t.stack.state;
      const hub = old.processes.find((p) => p.name === 'hub');
      expect(hub).toBeDefined();
      await killGroup(hub?.pid as number, 0); // SIGKILL at once: a crash, no cleanup by the hub

      const st = await status({ stateDir: t.stack.stateDir });
      expect(st.running).toBe(false);
      expect(st.hubOk).toBe(false);

      const again = await up({ stateDir: t.stack.stateDir, buildSeconds: 2 });
      expect(again.recoveredStale).toBe(true);
      expect(again.alreadyRunning).toBe(false);
      expect(again.state.stackId).not.toBe(old.stackId);
      for (const p of old.processes) expect(() => process.kill(p.pid, 0)).toThrow();
      expect((await status({ stateDir: t.stack.stateDir })).running).toBe(true);

      const { down } = await import('../../provision/local/stack.js');
      const res = await down({ stateDir: t.stack.stateDir });
      expect(res.leftovers).toEqual([]);
      for (const p of again.state.processes) expect(() => process.kill(p.pid, 0)).toThrow();
      expect(existsSync(t.stack.stateDir)).toBe(false);
    });
  });
});
