import { describe, expect, it } from 'vitest';
import { defaultParams } from '../../analysis/model.js';
import { profileWeightedRequest } from '../../analysis/profile-sizing.js';
import { encode, newHistogram, recordMs } from '../../core/hdr.js';
import {
  type WorkshopRecord,
  workshopCohortRows,
  workshopSections,
} from '../../reports/workshop-sections.js';
import { scenarioSchema } from '../../scenarios/schema.js';

const GiB = 2 ** 30;
const scenario = scenarioSchema.parse({
  name: 'w',
  target: { kind: 'jupyterhub', url: 'http://h/', tokenEnv: 'HUB_TOKEN' },
  repo: 'gh/o/r/HEAD',
  cohorts: [
    { name: 'small', users: 30, arrival: { kind: 'burst', over: '0s' }, profile: 'small' },
    { name: 'large', users: 10, arrival: { kind: 'burst', over: '0s' }, profile: 'large' },
  ],
  session: { notebook: 'n.ipynb', thinkTime: { median: '1s', p95: '2s' }, duration: '10s' },
  capacity: {
    user: { memory: '2Gi', cpu: 0.5 },
    flavors: ['m3.large'],
    nodeReady: '5m',
    profiles: { small: { memory: '4Gi' }, large: { memory: '16Gi', cpu: 2 } },
  },
});

describe('plan: per-profile memory', () => {
  it('sizes a server as the users-weighted mean of the cohorts’ profiles', () => {
    const r = profileWeightedRequest(scenario);
    expect(r?.request.memory).toBe((30 * 4 * GiB + 10 * 16 * GiB) / 40);
    expect(r?.request.cpu).toBeCloseTo((30 * 0.5 + 10 * 2) / 40);
    expect(r?.source).toContain('large ×10 at profile large (16.00 GiB)');
    const p = defaultParams(scenario);
    expect(p.user.value.request.memory).toBe(7 * GiB);
    expect(p.user.source).toContain('capacity.profiles');
  });

  it('without capacity.profiles, capacity.user as before', () => {
    const plain = {
      ...scenario,
      capacity: scenario.capacity && { ...scenario.capacity, profiles: undefined },
    };
    expect(profileWeightedRequest(plain)).toBeUndefined();
    expect(defaultParams(plain).user.value.request.memory).toBe(2 * GiB);
  });
});

function hist(...ms: number[]): string {
  const h = newHistogram();
  for (const v of ms) recordMs(h, v);
  return encode(h);
}

describe('report: per-cohort figures and canary screenshots', () => {
  const record: WorkshopRecord = {
    meta: { scenario: { normalized: scenario } },
    events: [
      {
        type: 'canary',
        t: 1,
        user: 'u0001',
        cohort: 'small',
        ok: true,
        stage: 'done',
        readyMs: 24_000,
        cellMs: 500,
        screenshot: 'canaries/u0001.png',
      },
      {
        type: 'canary',
        t: 2,
        user: 'u0002',
        cohort: 'large',
        ok: false,
        stage: 'cell',
        reason: 'browser-timeout',
        message: 'stuck',
        screenshot: 'canaries/u0002.png',
      },
    ],
    intervals: [
      {
        start: 0,
        end: 10_000,
        trends: {
          'launch.ready': hist(10_000, 20_000),
          'launch.ready{cohort=small}': hist(10_000),
          'launch.ready{cohort=large}': hist(20_000),
          'launch.gitpull{cohort=large}': hist(900),
          'browser.ready{cohort=small}': hist(24_000),
        },
        rates: {},
        failures: {},
      },
    ],
  };

  it('one row per cohort with its options and each metric it has', () => {
    const rows = workshopCohortRows(record);
    expect(rows.map((r) => [r.cohort, r.options])).toEqual([
      ['large', 'profile large'],
      ['small', 'profile small'],
    ]);
    expect(rows[0]?.figures['launch.gitpull']?.count).toBe(1);
    expect(rows[0]?.figures['browser.ready']).toBeUndefined();
    expect(Math.round((rows[1]?.figures['browser.ready']?.p50 ?? 0) / 100)).toBe(240);
  });

  it('a canaries section with every screenshot, a failed canary named with its stage', () => {
    const sections = workshopSections(record);
    expect(sections.map((s) => s.id)).toEqual(['workshop', 'canaries']);
    const canaries = sections[1];
    expect(canaries?.noteTone).toBe('warn');
    expect(canaries?.pictures?.map((p) => p.file)).toEqual(['canaries/u0001.png', 'canaries/u0002.png']);
    expect(canaries?.pictures?.[1]?.caption).toBe('u0002 (large): browser-timeout at cell: stuck');
  });
});
