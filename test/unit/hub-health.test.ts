import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeOutage, outagesFromEvents } from '../../loadgen/record/outages.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { type Check, HubHealthProbe, healthEndpoints } from '../../loadgen/runner/hub-health.js';

// The probe's schedule under fake timers; its checks are injected (no ports in unit tests).
describe('hub health probe', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('declares an outage after two failed checks, dated at the first, and its recovery', async () => {
    let down = false;
    const check: Check = async () => (down ? 'ECONNREFUSED' : null);
    const events: RunEvent[] = [];
    const probe = new HubHealthProbe({
      endpoints: healthEndpoints({ kind: 'jupyterhub', hubUrl: 'http://hub/' }),
      now: () => Date.now() - t0,
      event: (e) => events.push(e),
      everyMs: 1000,
      check,
    });
    const t0 = Date.now();
    probe.start();
    await vi.advanceTimersByTimeAsync(2500); // checks at 1 s, 2 s: fine
    down = true;
    await vi.advanceTimersByTimeAsync(1000); // 3 s: first failure, not yet an outage
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000); // 4 s: second failure
    expect(events).toEqual([
      {
        type: 'hub-outage',
        t: 3000,
        service: 'hub',
        detectedAt: 4000,
        detail: 'GET http://hub/hub/api/: ECONNREFUSED',
      },
    ]);
    down = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(events[1]).toEqual({ type: 'hub-recovery', t: 5000, service: 'hub', downMs: 2000 });
    await probe.stop();
    const outages = outagesFromEvents(events);
    expect(outages).toEqual([
      {
        service: 'hub',
        start: 3000,
        end: 5000,
        detectedAt: 4000,
        detail: 'GET http://hub/hub/api/: ECONNREFUSED',
      },
    ]);
    expect(describeOutage(outages[0] as (typeof outages)[number])).toBe(
      'hub API unreachable 3.0 s → 5.0 s (2.0 s); detected after 1.0 s: GET http://hub/hub/api/: ECONNREFUSED',
    );
  });

  it('one failed check is not an outage; a launch failing then is still attributed (check now)', async () => {
    let answers: (string | null)[] = ['timeout', null];
    let checks = 0;
    const check: Check = async () => {
      checks += 1;
      return answers.shift() ?? null;
    };
    const events: RunEvent[] = [];
    let clock = 0;
    const probe = new HubHealthProbe({
      endpoints: healthEndpoints({ kind: 'binderhub', binderUrl: 'http://b/' }),
      now: () => clock,
      event: (e) => events.push(e),
      everyMs: 1000,
      check,
    });
    probe.start();
    await vi.advanceTimersByTimeAsync(2500);
    await probe.stop();
    expect(events).toEqual([]);
    answers = ['HTTP 503'];
    checks = 0;
    expect(await probe.hitOutage(0)).toEqual({ service: 'binderhub', start: 0, end: null });
    // Launches failing within the same second share that one check.
    expect(await probe.hitOutage(0)).toEqual({ service: 'binderhub', start: 0, end: null });
    expect(checks).toBe(1);
    clock = 2000;
    answers = [];
    expect(await probe.hitOutage(0)).toBeUndefined();
    expect(checks).toBe(2);
  });

  it('a hub that dies in the last seconds (before the next tick) is still recorded by stop()', async () => {
    let down = false;
    const events: RunEvent[] = [];
    const probe = new HubHealthProbe({
      endpoints: healthEndpoints({ kind: 'jupyterhub', hubUrl: 'http://hub/' }),
      now: () => 0,
      event: (e) => events.push(e),
      everyMs: 3000,
      check: async () => (down ? 'ECONNREFUSED' : null),
    });
    probe.start();
    await vi.advanceTimersByTimeAsync(3500);
    down = true;
    const stopped = probe.stop();
    await vi.advanceTimersByTimeAsync(1000); // the confirming second check
    await stopped;
    expect(events.map((e) => e.type)).toEqual(['hub-outage']);
  });

  it('probes the hub API and BinderHub /health of a target', () => {
    expect(healthEndpoints({ kind: 'local', binderUrl: 'http://b:1', hubUrl: 'http://h:2/' })).toEqual([
      { service: 'hub', url: 'http://h:2/hub/api/' },
      { service: 'binderhub', url: 'http://b:1/health' },
    ]);
  });
});
