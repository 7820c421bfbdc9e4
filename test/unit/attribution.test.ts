import { describe, expect, it } from 'vitest';
import type { TimedSpawnerMark } from '../../loadgen/clients/binder.js';
import { BinderLaunchError } from '../../loadgen/clients/binder.js';
import { HubRateLimitError } from '../../loadgen/clients/hub.js';
import { KernelError } from '../../loadgen/clients/kernel-rest.js';
import { failureReason, launchSubPhases } from '../../loadgen/runner/attribution.js';

const mark = (kind: string, t: number, extra: object = {}) => ({ kind, t, ...extra }) as TimedSpawnerMark;

describe('launch sub-phases from stream marks', () => {
  it('splits a cold launch on a cluster that scaled up and pulled the image', () => {
    const phases = [
      { phase: 'waiting' as const, t: 100 },
      { phase: 'built' as const, t: 30_000 },
      { phase: 'launching' as const, t: 30_100 },
      { phase: 'ready' as const, t: 400_000 },
    ];
    const marks = [
      mark('server-requested', 31_000),
      mark('failed-scheduling', 32_000),
      mark('scale-up', 33_000),
      mark('assigned', 250_000),
      mark('pulling', 251_000),
      mark('pulled', 350_000, { durationMs: 98_500 }),
      mark('started', 352_000),
      mark('server-ready', 399_000),
    ];
    expect(launchSubPhases(0, phases, marks, 400_000)).toEqual({
      'launch.build': 30_000,
      'launch.queue': 900,
      'launch.schedule': 2000,
      'launch.scaleup': 217_000,
      'launch.pull': 98_500,
      'launch.start': 48_000,
    });
  });

  it('has only build, queue and start for the local target (no node or pull marks)', () => {
    const phases = [
      { phase: 'built' as const, t: 5 },
      { phase: 'launching' as const, t: 6 },
      { phase: 'ready' as const, t: 1500 },
    ];
    const marks = [mark('server-requested', 300), mark('spawning', 300), mark('server-ready', 1500)];
    expect(launchSubPhases(0, phases, marks, 1500)).toEqual({
      'launch.build': 5,
      'launch.queue': 294,
      'launch.start': 1200,
    });
  });
});

describe('failure reasons', () => {
  const binder = (reason: ConstructorParameters<typeof BinderLaunchError>[0], serverMessage?: string) =>
    new BinderLaunchError(reason, 'x', {
      serverMessage,
      progress: { phases: [], marks: [], events: 0, retries: 0 },
    });

  it('maps client errors onto the taxonomy', () => {
    expect(failureReason(binder('rate-limit'))).toBe('rate-limit');
    expect(failureReason(binder('quota'))).toBe('quota');
    expect(failureReason(binder('launch-timeout'))).toBe('timeout');
    expect(failureReason(binder('stall'))).toBe('timeout');
    expect(failureReason(binder('stream-cut'))).toBe('stream-cut');
    expect(failureReason(binder('launch-failed', 'Spawn failed: boom'))).toBe('spawn-failed');
    expect(failureReason(new HubRateLimitError('x', { status: 429, retryAfterSec: 40 }))).toBe(
      'spawn-limit-429',
    );
    expect(failureReason(new KernelError('kernel-died', 'x'))).toBe('kernel-died');
    expect(failureReason(new KernelError('ws-failed', 'x'))).toBe('ws-failed');
    expect(failureReason(Object.assign(new Error('cell 3: NameError'), { code: 'CELL_ERROR' }))).toBe(
      'cell-error',
    );
    expect(failureReason(new Error('?'))).toBe('other');
  });
});
