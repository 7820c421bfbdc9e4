/**
 * The allocation budget in Jetstream2 SUs (1 SU = 1 vCPU-hour at rate 1): the always-on floor, what
 * one event adds on top of it, and a year of both (capacity.md §1.4, §8 formula 1).
 */
import { ACCESS_TIERS, HOURS_PER_YEAR } from './catalogue.js';
import type { GroupUsage } from './sim/types.js';

const HOUR = 3_600_000;

export interface FloorItem {
  /** Node group (or `control-plane`). */
  group: string;
  flavor: string;
  nodes: number;
  /** SU/h of one node. */
  suPerHour: number;
}

export interface Floor {
  items: FloorItem[];
  suPerHour: number;
  suPerYear: number;
}

/**
 * What the cluster costs with nobody on it: every node group at its minimum (Magnum CAPI keeps
 * >= 1 node per group), plus the control plane:
 *   floor SU/h = Σ_items nodes · SU/h;   per year = floor SU/h · 24 · 365
 * (Pythia's layout: m3.small CP 2 + m3.small default-worker 2 + m3.quad core 4 + m3.large user 16
 * = 24 SU/h = 210 240 SU/yr).
 */
export function alwaysOnFloor(items: readonly FloorItem[]): Floor {
  const suPerHour = items.reduce((a, i) => a + i.nodes * i.suPerHour, 0);
  return { items: [...items], suPerHour, suPerYear: suPerHour * HOURS_PER_YEAR };
}

export interface EventWindow {
  /** Pre-scale lead: nodes are requested this long before the event starts (ms). */
  leadMs: number;
  /** The event's length, from its start (ms). */
  eventMs: number;
  /** When the simulation settled (ms from the start). */
  simEndMs: number;
  /** After the event the minimum is lowered; nodes go after the autoscaler's unneeded time (ms). */
  unneededMs: number;
}

export interface GroupEventCost {
  name: string;
  nodeHours: number;
  su: number;
  /** SU above the group's floor nodes over the same window. */
  incrementalSu: number;
}

export interface EventCost {
  /** lead + max(event, simulated) + unneeded time, hours. */
  windowHours: number;
  groups: GroupEventCost[];
  /** Σ incremental SU: what one event adds to the always-on floor. */
  su: number;
}

/**
 * One event's SUs per autoscaled group g (rate r_g SU/h per node, floor f_g nodes), over the window
 * W = lead + max(H, T) + U, with n0 nodes pre-scaled, the simulation's node-hours N_sim up to T, and
 * n_end nodes held by the raised minimum until the event ends at H and for U after it:
 *   NH_g  = lead·n0 + N_sim + max(0, H − T)·n_end + U·n_end
 *   SU_g  = NH_g · r_g;   incremental_g = (NH_g − f_g·W) · r_g
 */
export function eventCost(
  usage: readonly GroupUsage[],
  groups: readonly { suPerHour: number; floorNodes: number }[],
  w: EventWindow,
): EventCost {
  const lead = w.leadMs / HOUR;
  const extra = Math.max(0, w.eventMs - w.simEndMs) / HOUR;
  const tail = w.unneededMs / HOUR;
  const windowHours = lead + Math.max(w.eventMs, w.simEndMs) / HOUR + tail;
  const out = usage.map((u, i) => {
    const g = groups[i] ?? { suPerHour: 0, floorNodes: 0 };
    const nodeHours = lead * u.initialNodes + u.nodeHours + (extra + tail) * u.endNodes;
    return {
      name: u.name,
      nodeHours,
      su: nodeHours * g.suPerHour,
      incrementalSu: Math.max(0, nodeHours - g.floorNodes * windowHours) * g.suPerHour,
    };
  });
  return { windowHours, groups: out, su: out.reduce((a, g) => a + g.incrementalSu, 0) };
}

export interface YearBudget {
  eventsPerYear: number;
  /** floor per year + events · SU per event. */
  perYear: number;
  /** perYear · 1.1: Jetstream2 budgeting guidance pads >= 10 %. */
  padded: number;
  /** The smallest ACCESS tier whose credits cover `padded`, or null above Accelerate. */
  tier: string | null;
}

/** perYear = floor SU/yr + N · event SU; padded = 1.1 · perYear. */
export function yearBudget(floor: Floor, eventSu: number, eventsPerYear: number): YearBudget {
  const perYear = floor.suPerYear + eventsPerYear * eventSu;
  const padded = perYear * 1.1;
  const tier = ACCESS_TIERS.find((t) => t.credits >= padded)?.name ?? null;
  return { eventsPerYear, perYear, padded, tier };
}
