/**
 * The observer's pure half: kubelet/Go units, the timeline sampler and the summary (node-ready,
 * image pull, users per node, peak memory, per-user wait split), from a fixed, hand-computed
 * event sequence built of realistic objects (test/helpers/kube-fixtures.ts).
 */
import { describe, expect, it } from 'vitest';
import { derive, type ReplayStep, replayTimeline } from '../../loadgen/observe/derive.js';
import { parseGoDuration, parsePulledMessage, parseQuantity } from '../../loadgen/observe/kube-objects.js';
import { type ClusterRecord, linkLaunches, stat } from '../../loadgen/record/cluster.js';
import type { RunEvent } from '../../loadgen/record/types.js';
import { MSG, node, placeholderPod, podEvent, T0, userPod } from '../helpers/kube-fixtures.js';

describe('units', () => {
  it('parses Go durations as kubelet prints them', () => {
    expect(parseGoDuration('41.2s')).toBe(41200);
    expect(parseGoDuration('1m2.5s')).toBe(62500);
    expect(parseGoDuration('812ms')).toBe(812);
    expect(parseGoDuration('1h0m3s')).toBe(3_603_000);
    expect(parseGoDuration('1.5µs')).toBe(0.002);
    expect(parseGoDuration('5')).toBeUndefined();
    expect(parseGoDuration('fast')).toBeUndefined();
  });

  it('reads the pull time out of Pulled messages (new, old, cached)', () => {
    expect(parsePulledMessage(MSG.pulled('41.2s'))).toEqual({
      image: 'quay.io/projectpythia/binder-image:2026.03.01',
      ms: 41200,
      withWaitMs: 41200,
      cached: false,
    });
    expect(
      parsePulledMessage('Successfully pulled image "a/b:1" in 3.2s (1m10.5s including waiting)'),
    ).toEqual({
      image: 'a/b:1',
      ms: 3200,
      withWaitMs: 70500,
      cached: false,
    });
    expect(parsePulledMessage('Successfully pulled image "a/b:1" in 2m3s')).toEqual({
      image: 'a/b:1',
      ms: 123000,
      cached: false,
    });
    expect(parsePulledMessage(MSG.present)).toMatchObject({ ms: 0, cached: true });
    expect(parsePulledMessage(MSG.pulling)).toBeUndefined();
  });

  it('parses resource quantities', () => {
    expect(parseQuantity('123456Ki')).toBe(126_418_944);
    expect(parseQuantity('1.5Gi')).toBe(1_610_612_736);
    expect(parseQuantity('500M')).toBe(500_000_000);
    expect(parseQuantity('250m')).toBe(0.25);
    expect(parseQuantity('12345678n')).toBeCloseTo(0.012345678, 12);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('lots')).toBeUndefined();
  });

  it('takes nearest-rank percentiles', () => {
    expect(stat([5, 1, 4, 2, 3])).toEqual({ n: 5, median: 3, p95: 5, max: 5 });
    expect(stat(Array.from({ length: 20 }, (_, i) => i + 1))).toEqual({
      n: 20,
      median: 10,
      p95: 19,
      max: 20,
    });
    expect(stat([])).toBeNull();
  });
});

/*
 * The story (ms after T0; the cluster's clock equals ours): core-0 and user-0 are up, a placeholder
 * holds room on user-0. carol (2000) fits on user-0 at once; alice (1000) fails to schedule once,
 * preempts the placeholder and lands on user-0 at 3000 with the image cached; bob (4000) fails
 * three times, triggers a scale-up at 4500; user-1 is created at 58000 (seen at 60000), Ready at
 * 88000 (seen at 90000); bob is scheduled there at 91000, pulls for 41.2 s, is ready at 135000;
 * alice leaves at 100000.
 */
function story(): ReplayStep[] {
  const add = (
    t: number,
    kind: ReplayStep['kind'],
    object: ReplayStep['object'],
    type: ReplayStep['type'] = 'ADDED',
  ) => ({ t, kind, type, object });
  const alice = userPod('alice', { created: 1000 });
  const bob = userPod('bob', { created: 4000 });
  const carol = userPod('carol', { created: 2000 });
  const ph = placeholderPod(0, {
    created: -600_000,
    node: 'user-0',
    scheduledAt: -599_000,
    readyAt: -598_000,
  });
  return [
    add(0, 'node', node('core-0', { group: 'core', created: -86_400_000, readyAt: -86_300_000 })),
    add(0, 'node', node('user-0', { group: 'user-m3-large', created: -86_400_000, readyAt: -86_300_000 })),
    add(0, 'pod', ph),
    add(1000, 'pod', alice),
    add(1200, 'event', podEvent('FailedScheduling', alice, 1200, MSG.failedScheduling)),
    add(2000, 'pod', carol),
    add(2500, 'pod', userPod('carol', { created: 2000, node: 'user-0', scheduledAt: 2500 }), 'MODIFIED'),
    add(
      2600,
      'pod',
      userPod('carol', { created: 2000, node: 'user-0', scheduledAt: 2500, readyAt: 2600 }),
      'MODIFIED',
    ),
    add(2900, 'event', podEvent('Preempted', ph, 2900, MSG.preempted)),
    add(2900, 'pod', ph, 'DELETED'),
    add(3000, 'event', podEvent('Scheduled', alice, 3000, MSG.scheduled('jupyter-alice', 'user-0'))),
    add(3000, 'pod', userPod('alice', { created: 1000, node: 'user-0', scheduledAt: 3000 }), 'MODIFIED'),
    add(3100, 'event', podEvent('Pulled', alice, 3100, MSG.present)),
    add(4000, 'pod', bob),
    add(
      4200,
      'event',
      podEvent('FailedScheduling', bob, 4200, MSG.failedScheduling, { count: 3, last: 30_000 }),
    ),
    add(4500, 'event', podEvent('TriggeredScaleUp', bob, 4500, MSG.scaleUp)),
    add(
      5000,
      'pod',
      userPod('alice', { created: 1000, node: 'user-0', scheduledAt: 3000, readyAt: 5000 }),
      'MODIFIED',
    ),
    add(60_000, 'node', node('user-1', { group: 'user-m3-large', created: 58_000 })),
    add(
      90_000,
      'node',
      node('user-1', { group: 'user-m3-large', created: 58_000, readyAt: 88_000 }),
      'MODIFIED',
    ),
    add(91_000, 'event', podEvent('Scheduled', bob, 91_000, MSG.scheduled('jupyter-bob', 'user-1'))),
    add(91_000, 'pod', userPod('bob', { created: 4000, node: 'user-1', scheduledAt: 91_000 }), 'MODIFIED'),
    add(91_500, 'event', podEvent('Pulling', bob, 91_500, MSG.pulling)),
    add(132_700, 'event', podEvent('Pulled', bob, 132_700, MSG.pulled('41.2s'))),
    add(
      135_000,
      'pod',
      userPod('bob', { created: 4000, node: 'user-1', scheduledAt: 91_000, readyAt: 135_000 }),
      'MODIFIED',
    ),
    add(
      100_000,
      'pod',
      userPod('alice', { created: 1000, node: 'user-0', scheduledAt: 3000, readyAt: 5000 }),
      'DELETED',
    ),
  ];
}

describe('timeline and summary from a fixed event sequence', () => {
  it('samples only changes, on 5 s ticks', () => {
    const { samples } = replayTimeline(story(), 5000, 140_000);
    expect(samples).toEqual([
      { t: 0, nodes: { core: 1, 'user-m3-large': 1 }, pendingPods: 0 },
      { t: 5000, nodes: { core: 1, 'user-m3-large': 1 }, pendingPods: 1 },
      { t: 90_000, nodes: { core: 1, 'user-m3-large': 2 }, pendingPods: 1 },
      { t: 95_000, nodes: { core: 1, 'user-m3-large': 2 }, pendingPods: 0 },
    ]);
  });

  it('leaves out what happened before the run: old user pods, old scale-ups and pulls', () => {
    const dave = userPod('dave', { created: -3_600_000, node: 'user-0', scheduledAt: -3_590_000 });
    const before: ReplayStep[] = [
      { t: 0, kind: 'pod', type: 'ADDED', object: dave },
      {
        t: 0,
        kind: 'event',
        type: 'ADDED',
        object: podEvent('TriggeredScaleUp', dave, -3_595_000, MSG.scaleUp),
      },
      { t: 0, kind: 'event', type: 'ADDED', object: podEvent('Pulled', dave, -3_589_000, MSG.pulled('9s')) },
    ];
    const base = derive(replayTimeline(story(), 5000, 140_000).state, T0, T0, 'absent');
    const withOld = derive(replayTimeline([...before, ...story()], 5000, 140_000).state, T0, T0, 'absent');
    expect(withOld.summary.scaleUps).toBe(base.summary.scaleUps);
    expect(withOld.summary.imagePull).toEqual(base.summary.imagePull);
    expect(withOld.launches.map((l) => l.hubUser)).toEqual(base.launches.map((l) => l.hubUser));
    expect(withOld.launches.map((l) => l.hubUser)).not.toContain('dave');
  });

  it('derives node-ready, pulls, users per node and each launch', () => {
    const { state } = replayTimeline(story(), 5000, 140_000);
    const d = derive(state, T0, T0, 'absent');
    // Only user-1 came up while observed: Ready 88000 − created 58000.
    expect(d.nodes).toEqual([
      { node: 'user-1', group: 'user-m3-large', createdAt: 58_000, readyAt: 88_000, ms: 30_000 },
    ]);
    expect(d.summary).toEqual({
      nodeReady: { n: 1, median: 30_000, p95: 30_000, max: 30_000 },
      imagePull: { n: 1, median: 41_200, p95: 41_200, max: 41_200 },
      cachedPulls: 1,
      usersPerNode: { max: 2, byGroup: { 'user-m3-large': 2 } },
      peakMemoryPerUser: null,
      metrics: 'absent',
      scaleUps: 1,
      failedScheduling: 4,
      preemptions: 1,
    });
    const byUser = Object.fromEntries(d.launches.map((l) => [l.hubUser, l]));
    expect(byUser.alice).toMatchObject({
      pod: 'jupyter-alice',
      node: 'user-0',
      group: 'user-m3-large',
      failedScheduling: 1,
      preempted: false,
      phases: { schedule: 2000, pull: 0, start: 1900, total: 4000 },
    });
    expect(byUser.bob).toMatchObject({
      node: 'user-1',
      scaleUpAt: 4500,
      scheduledAt: 91_000,
      readyAt: 135_000,
      failedScheduling: 3,
      phases: { schedule: 500, scaleup: 86_500, pull: 41_200, start: 2300, total: 131_000 },
    });
    // carol: no Scheduled event seen, the PodScheduled condition stands in.
    expect(byUser.carol?.phases).toEqual({ schedule: 500, start: 100, total: 600 });
  });

  it('keeps the peak memory per user across metrics readings', () => {
    const { state } = replayTimeline(story(), 5000, 140_000);
    state.applyUsage('jupyter-bob', parseQuantity('500Mi') as number, 0.2);
    state.applyUsage('jupyter-bob', parseQuantity('812Mi') as number, 1.5);
    state.applyUsage('jupyter-bob', parseQuantity('600Mi') as number, 0.1);
    state.applyUsage('jupyter-carol', parseQuantity('300Mi') as number, 0.1);
    const d = derive(state, T0, T0, 'available');
    expect(d.summary.peakMemoryPerUser).toEqual({
      n: 2,
      median: 314_572_800,
      p95: 851_443_712,
      max: 851_443_712,
    });
    expect(d.launches.find((l) => l.hubUser === 'bob')?.peakCpuCores).toBe(1.5);
  });

  it('links pods to simulated users through user-end hubUser', () => {
    const { state } = replayTimeline(story(), 5000, 140_000);
    const d = derive(state, T0, T0, 'absent');
    const record = { launches: d.launches } as ClusterRecord;
    const events: RunEvent[] = [
      {
        type: 'user-end',
        t: 140_000,
        user: 'u002',
        outcome: 'completed',
        firstAttempt: 'ok',
        hubUser: 'bob',
        cellsRun: 3,
      },
      { type: 'user-end', t: 140_000, user: 'u009', outcome: 'failed', firstAttempt: 'timeout', cellsRun: 0 },
    ];
    const linked = linkLaunches(record, events);
    expect([...linked.keys()]).toEqual(['u002']);
    expect(linked.get('u002')?.phases.scaleup).toBe(86_500);
  });
});
