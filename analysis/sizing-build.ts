/**
 * The chosen candidate as a NodeGroupPlan: Magnum node groups (default-worker and core fixed at one
 * node, user [and dask] autoscaled from 1 to the chosen max), the user pod's resources and
 * placeholders, and the pre-scale schedule around the event.
 */

import { RNG_ALGORITHM } from '../core/random.js';
import type { Scenario } from '../scenarios/schema.js';
import type { Catalogue } from './catalogue.js';
import type { FloorItem } from './cost.js';
import type { ModelValues } from './model.js';
import type { Recommendation } from './recommend.js';
import { type NodeGroup, type NodeGroupPlan, nodeGroupPlanSchema, type PreScaleStep } from './sizing-plan.js';

export interface BuildPlanInput {
  scenario: Pick<Scenario, 'name' | 'seed'>;
  scenarioHash?: string;
  toolVersion: string;
  catalogue: Catalogue;
  model: ModelValues;
  rec: Recommendation;
  leadMs: number;
  eventMs: number;
  /** control-plane, default-worker, core, user [, dask] in that order. */
  floorItems: readonly FloorItem[];
  eventSu: number;
  yearSu: number;
}

/** The label every CAPI worker carries (dots in the group name become dashes): pods select on it. */
export const NODE_GROUP_LABEL = 'capi.stackhpc.com/node-group';

/** A node group at rest: 1 node (the CAPI minimum) at creation and as min; autoscaled when max > 1. */
function group(item: FloorItem, role: NodeGroup['role'], max: number): NodeGroup {
  return {
    name: item.group,
    role,
    flavor: item.flavor,
    minNodeCount: 1,
    maxNodeCount: max,
    nodeCount: 1,
    autoscale: max !== 1,
    labels: { [NODE_GROUP_LABEL]: item.group },
    suPerHour: item.suPerHour,
  };
}

const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;

/**
 * The schedule: at T − lead raise min to the chosen pre-scale and resize to the nodes the
 * placeholders need, max(prescale, initial); at T + event length lower min back to 1.
 */
function steps(i: BuildPlanInput, userGroup: string, daskGroup: string | null): PreScaleStep[] {
  const c = i.rec.chosen;
  const pull = i.model.prePull ? '; pre-pull the pinned image on the new nodes (prePuller.extraImages)' : '';
  const out: PreScaleStep[] = [
    {
      at: -i.leadMs,
      group: userGroup,
      minNodeCount: c.prescale,
      nodeCount: Math.max(c.prescale, c.initialNodes),
      placeholders: c.placeholders,
      note:
        `raise min_node_count to ${c.prescale} and resize to ${Math.max(c.prescale, c.initialNodes)} ` +
        `${minutes(i.leadMs)} before the start; set userPlaceholder.replicas to ${c.placeholders}${pull}. ` +
        'If the Jetstream-managed autoscaler ignores the new minimum, hold the nodes with placeholders until the start.',
    },
  ];
  if (daskGroup) {
    out.push({
      at: -i.leadMs,
      group: daskGroup,
      minNodeCount: c.daskPrescale,
      nodeCount: c.daskPrescale,
      note: `raise the dask group to ${c.daskPrescale} nodes with the user group`,
    });
  }
  out.push({
    at: Math.round(i.eventMs),
    group: userGroup,
    minNodeCount: 1,
    placeholders: 0,
    note: 'after the event: min_node_count back to 1 and no placeholders; the autoscaler removes idle nodes after 10 min',
  });
  if (daskGroup)
    out.push({ at: Math.round(i.eventMs), group: daskGroup, minNodeCount: 1, note: 'after the event' });
  return out;
}

/** The NodeGroupPlan, validated by its own schema before it leaves. */
export function buildPlan(i: BuildPlanInput): NodeGroupPlan {
  const c = i.rec.chosen;
  const [cp, dw, core, user, dask] = i.floorItems;
  if (!cp || !dw || !core || !user) throw new RangeError('buildPlan: floor items missing');
  const gateway = i.model.dask.mode === 'gateway' ? i.model.dask : null;
  const groups = [group(dw, 'default-worker', 1), group(core, 'core', 1), group(user, 'user', c.max)];
  if (gateway && dask) groups.push(group(dask, 'dask', c.daskMax));
  const resources = (r: { memory: number; cpu: number }) => ({ memory: Math.round(r.memory), cpu: r.cpu });
  const plan: NodeGroupPlan = {
    version: 1,
    generatedBy: `rehearse ${i.toolVersion} plan`,
    scenario: {
      name: i.scenario.name,
      ...(i.scenarioHash ? { hash: i.scenarioHash } : {}),
      seed: i.scenario.seed,
      rng: RNG_ALGORITHM,
    },
    catalogue: { version: i.catalogue.version, rates: { ...i.catalogue.rates } },
    controlPlane: { flavor: cp.flavor, count: cp.nodes },
    groups,
    user: {
      group: user.group,
      perNode: c.perNode,
      boundBy: i.rec.option.fit.boundBy,
      guarantee: resources(i.model.user.request),
      limit: resources(i.model.user.limit),
      nodeSelector: { [NODE_GROUP_LABEL]: user.group },
      placeholders: { replicas: c.placeholders, priority: -10, requests: resources(i.model.user.request) },
    },
    dask:
      gateway && dask
        ? {
            mode: 'gateway',
            group: dask.group,
            workersPerUser: gateway.workersPerUser,
            worker: resources(gateway.worker),
            scheduler: resources(gateway.scheduler),
          }
        : { mode: 'in-pod' },
    preScale: {
      leadMs: i.leadMs,
      prePull: i.model.prePull,
      steps: steps(i, user.group, gateway && dask ? dask.group : null),
    },
    hub: {
      concurrentSpawnLimit: i.model.concurrentSpawnLimit,
      startTimeoutSec: Math.round(i.model.startTimeout / 1000),
    },
    expected: {
      p50Ms: Math.round(c.p50),
      p95Ms: Math.round(c.p95),
      maxMs: Math.round(c.maxReady),
      failed: c.failed,
      peakNodes: c.peakNodes,
      eventSu: Math.round(i.eventSu * 10) / 10,
      yearSu: Math.round(i.yearSu),
    },
  };
  return nodeGroupPlanSchema.parse(plan);
}
