import { describe, expect, it } from 'vitest';
import { abortable, LocalAbort } from '../../loadgen/abortable.js';
import { RealClock } from '../../loadgen/clock.js';

describe('LocalAbort', () => {
  it('mirrors its signal, runs the listeners present when it aborts, never the removed ones', () => {
    const ctl = new AbortController();
    const local = new LocalAbort(ctl.signal);
    const ran: string[] = [];
    const a = () => ran.push('a');
    const b = () => ran.push('b');
    local.addEventListener('abort', a);
    local.addEventListener('abort', b);
    local.removeEventListener('abort', a);
    local.removeEventListener('abort', () => undefined); // not registered: no effect
    expect(local.aborted).toBe(false);
    ctl.abort(new Error('stop'));
    expect(ran).toEqual(['b']);
    expect(local.aborted).toBe(true);
    expect((local.reason as Error).message).toBe('stop');
  });

  it('cancels a real sleep and an abortable wait with the reason, and clears their listeners', async () => {
    const ctl = new AbortController();
    const local = new LocalAbort(ctl.signal);
    const clock = new RealClock();
    // Settled waits leave no listener behind: 1,000 of them, then one that is cut.
    for (let i = 0; i < 1000; i++) await abortable(Promise.resolve(i), local);
    await clock.sleepUntil(clock.now() + 1, local);
    const sleeping = clock.sleepUntil(clock.now() + 60_000, local);
    const waiting = abortable(new Promise(() => undefined), local);
    expect(local.waiting).toBe(2);
    ctl.abort(new Error('leave'));
    await expect(sleeping).rejects.toThrow('leave');
    await expect(waiting).rejects.toThrow('leave');
    await expect(clock.sleepUntil(clock.now() + 10, local)).rejects.toThrow('leave');
  });
});
