import { describe, expect, it } from 'vitest';
import {
  capiRejects,
  findFlavor,
  jetstream2Catalogue,
  LEGACY_GPU_RATE,
  suPerHour,
} from '../../analysis/catalogue.js';
import { alwaysOnFloor, eventCost, yearBudget } from '../../analysis/cost.js';
import {
  GiB,
  MiB,
  nodeRoom,
  podsPerNode,
  reservedCpu,
  reservedMemory,
} from '../../analysis/node-capacity.js';
import { quotaCheck } from '../../analysis/quota.js';
import { InputError } from '../../core/errors.js';

const cat = jetstream2Catalogue();
const flavor = (name: string) => findFlavor(cat, name);

describe('catalogue and SU arithmetic', () => {
  it('charges vCPU × rate × state factor', () => {
    expect(suPerHour(flavor('m3.large'), cat.rates)).toBe(16);
    expect(suPerHour(flavor('m3.small'), cat.rates)).toBe(2);
    expect(suPerHour(flavor('r3.large'), cat.rates)).toBe(128);
    expect(suPerHour(flavor('g3.large'), cat.rates)).toBe(32);
    expect(suPerHour(flavor('g3.large'), jetstream2Catalogue({ gpu: LEGACY_GPU_RATE }).rates)).toBe(64);
    expect(suPerHour(flavor('m3.large'), cat.rates, 'suspended')).toBe(12);
    expect(suPerHour(flavor('m3.large'), cat.rates, 'shelved')).toBe(0);
  });

  it('names the closest flavors for an unknown one (exit 2)', () => {
    const err = (() => {
      try {
        flavor('m3.larg');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).exitCode).toBe(2);
    expect((err as InputError).hint).toContain('m3.large');
  });

  it("knows Magnum's CAPI minimum flavor", () => {
    expect(capiRejects(flavor('m3.tiny'))).toMatch(/needs >= 2/);
    expect(capiRejects(flavor('m3.small'))).toBeNull();
  });

  it("prices Pythia's always-on floor at 24 SU/h, 210,240 SU a year", () => {
    const floor = alwaysOnFloor([
      { group: 'control-plane', flavor: 'm3.small', nodes: 1, suPerHour: 2 },
      { group: 'default-worker', flavor: 'm3.small', nodes: 1, suPerHour: 2 },
      { group: 'core', flavor: 'm3.quad', nodes: 1, suPerHour: 4 },
      { group: 'user-m3-large', flavor: 'm3.large', nodes: 1, suPerHour: 16 },
    ]);
    expect(floor.suPerHour).toBe(24);
    expect(floor.suPerYear).toBe(210_240);
    const year = yearBudget(floor, 500, 4);
    expect(year.perYear).toBe(212_240);
    expect(year.padded).toBeCloseTo(233_464, 6);
    expect(year.tier).toBe('Explore');
  });

  it('adds up an event: lead, simulated node-hours, the held minimum and the scale-down tail', () => {
    // 30 min lead with 10 nodes, 50 node-hours simulated over 3 h, event 4 h: 1 more hour at 10
    // nodes, then 10 min at 10 nodes. Window 0.5 + 4 + 1/6 h; floor 1 node.
    const usage = [
      { name: 'u', nodeHours: 50, su: 800, peakNodes: 20, initialNodes: 10, endNodes: 10, scaleUps: 10 },
    ];
    const c = eventCost(usage, [{ suPerHour: 16, floorNodes: 1 }], {
      leadMs: 1_800_000,
      eventMs: 4 * 3_600_000,
      simEndMs: 3 * 3_600_000,
      unneededMs: 600_000,
    });
    const nodeHours = 0.5 * 10 + 50 + 1 * 10 + (1 / 6) * 10;
    expect(c.windowHours).toBeCloseTo(0.5 + 4 + 1 / 6, 12);
    expect(c.groups[0]?.su).toBeCloseTo(nodeHours * 16, 9);
    expect(c.su).toBeCloseTo((nodeHours - c.windowHours) * 16, 9);
  });
});

describe('node capacity', () => {
  it("reserves the kubelet's tiers exactly", () => {
    expect(reservedCpu(16)).toBeCloseTo(0.11, 12);
    expect(reservedCpu(4)).toBeCloseTo(0.08, 12);
    expect(reservedCpu(2)).toBeCloseTo(0.07, 12);
    expect(reservedMemory(60 * GiB)).toBeCloseTo(5.24 * GiB + 100 * MiB, 0);
    expect(reservedMemory(4 * GiB)).toBeCloseTo(GiB + 100 * MiB, 0);
  });

  it('counts users per node from allocatable memory/CPU minus the system overhead', () => {
    const room = nodeRoom(flavor('m3.large'), { cpu: 0.3, memory: 512 * MiB, pods: 5 });
    expect(room.cpu).toBeCloseTo(16 - 0.11 - 0.3, 12);
    expect(room.memory).toBeCloseTo(60 * GiB - 5.24 * GiB - 100 * MiB - 512 * MiB, 0);
    expect(room.pods).toBe(105);
    // pythia-workshop.yaml: 8 GiB and 4 cores guaranteed → ⌊15.59 / 4⌋ = 3, CPU-bound.
    expect(podsPerNode(room, { memory: 8 * GiB, cpu: 4 })).toEqual({ perNode: 3, boundBy: 'cpu' });
    // Pythia's live config (2i2c): 8G memory guarantee, 0.05 CPU → ⌊54.15 GiB / 8 GiB⌋ = 6, memory-bound.
    expect(podsPerNode(room, { memory: 8 * GiB, cpu: 0.05 })).toEqual({ perNode: 6, boundBy: 'memory' });
    expect(podsPerNode(room, { memory: 64 * MiB, cpu: 0.01 })).toEqual({ perNode: 105, boundBy: 'pods' });
  });

  it("agrees with 2i2c's ~7 users per m3.large for Pythia's 8G users, within the reservation's margin", () => {
    // capacity.md §3.1: "8G = 7.45 GiB; with ~56–58 GiB allocatable → ~7 users/node ⇒ 2.3 SU per user-hour".
    const room = nodeRoom(flavor('m3.large'));
    const fit = podsPerNode(room, { memory: 8e9, cpu: 0.05 });
    expect(fit.perNode).toBe(7);
    expect(16 / fit.perNode).toBeCloseTo(2.3, 1);
  });
});

describe('quota check', () => {
  const small = flavor('m3.small');
  const groups = (max: number) => [
    { name: 'control-plane', flavor: small, maxNodes: 1 },
    { name: 'default-worker', flavor: small, maxNodes: 1 },
    { name: 'core', flavor: flavor('m3.quad'), maxNodes: 1 },
    { name: 'user', flavor: flavor('m3.large'), maxNodes: max },
  ];

  it('fits 8 m3.large user nodes in the default 150 cores, not 9', () => {
    const eight = quotaCheck(groups(8));
    expect(eight.lines.find((l) => l.what === 'cores')).toMatchObject({ need: 136, quota: 150, ok: true });
    const nine = quotaCheck(groups(9));
    expect(nine.lines.find((l) => l.what === 'cores')).toMatchObject({ need: 152, ok: false });
    expect(nine.requests[0]).toMatch(/cores: 150 by default \(startup\) → request 152/);
    expect(quotaCheck(groups(9), 'education').lines.find((l) => l.what === 'cores')?.ok).toBe(true);
  });
});
