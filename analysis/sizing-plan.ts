/**
 * NodeGroupPlan: the recommender's output and the Jetstream2 cluster stack's input
 * (provision/jetstream2 reads it). One zod schema is the type and the validator, applied when a
 * plan is read back from plan.yaml. Memory is in bytes, CPU in cores, times in ms.
 */

import { stringify } from 'yaml';
import { z } from 'zod';
import { parseInput } from '../core/input-issues.js';

const resources = z
  .object({
    memory: z.int().positive().describe('bytes'),
    cpu: z.number().positive().describe('cores'),
  })
  .strict();

export const GROUP_ROLES = ['default-worker', 'core', 'user', 'dask'] as const;

export const nodeGroupSchema = z
  .object({
    /** Magnum node-group name; the driver labels nodes capi.stackhpc.com/node-group=<name>. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
    role: z.enum(GROUP_ROLES),
    flavor: z.string().min(1),
    /** Magnum CAPI: never 0 (CAPO cannot scale to zero). */
    minNodeCount: z.int().min(1),
    /** Fixed at cluster creation on Jetstream2: size it for the largest event. */
    maxNodeCount: z.int().min(1),
    /** Nodes at creation (and at rest between events). */
    nodeCount: z.int().min(1),
    /** min != max: the autoscaler manages the group. */
    autoscale: z.boolean(),
    /** What pods select the group by (role/labels of a node group do not reach the nodes). */
    labels: z.record(z.string(), z.string()),
    suPerHour: z.number().min(0),
  })
  .strict()
  .superRefine((g, ctx) => {
    if (g.minNodeCount > g.nodeCount || g.nodeCount > g.maxNodeCount) {
      ctx.addIssue({
        code: 'custom',
        path: ['nodeCount'],
        message: 'need minNodeCount <= nodeCount <= maxNodeCount',
      });
    }
    if (g.autoscale !== (g.minNodeCount !== g.maxNodeCount)) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoscale'],
        message: 'autoscale is true exactly when min != max',
      });
    }
  });

const preScaleStep = z
  .object({
    /** ms from the event start; negative: before it. */
    at: z.int(),
    group: z.string(),
    minNodeCount: z.int().min(1),
    /** Resize to this many nodes now; absent: leave it to the autoscaler. */
    nodeCount: z.int().min(1).optional(),
    /** scheduling.userPlaceholder.replicas from now on (user group only). */
    placeholders: z.int().min(0).optional(),
    note: z.string(),
  })
  .strict();

const dask = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('in-pod') }).strict(),
  z
    .object({
      mode: z.literal('gateway'),
      group: z.string(),
      workersPerUser: z.int().min(1),
      worker: resources,
      scheduler: resources,
    })
    .strict(),
]);

export const nodeGroupPlanSchema = z
  .object({
    version: z.literal(1),
    generatedBy: z.string(),
    scenario: z
      .object({
        name: z.string(),
        hash: z.string().optional(),
        seed: z.int().min(0),
        rng: z.string().optional(),
      })
      .strict(),
    catalogue: z
      .object({
        version: z.string(),
        rates: z
          .object({ cpu: z.number().min(0), largeMemory: z.number().min(0), gpu: z.number().min(0) })
          .strict(),
      })
      .strict(),
    controlPlane: z.object({ flavor: z.string(), count: z.int().min(1) }).strict(),
    groups: z.array(nodeGroupSchema).min(3),
    user: z
      .object({
        group: z.string(),
        perNode: z.int().min(1),
        boundBy: z.enum(['memory', 'cpu', 'pods']),
        guarantee: resources,
        limit: resources,
        nodeSelector: z.record(z.string(), z.string()),
        placeholders: z
          .object({ replicas: z.int().min(0), priority: z.literal(-10), requests: resources })
          .strict(),
      })
      .strict(),
    dask,
    preScale: z
      .object({ leadMs: z.int().min(0), prePull: z.boolean(), steps: z.array(preScaleStep) })
      .strict(),
    hub: z.object({ concurrentSpawnLimit: z.int().min(1), startTimeoutSec: z.int().min(1) }).strict(),
    expected: z
      .object({
        p50Ms: z.number().min(0),
        p95Ms: z.number().min(0),
        maxMs: z.number().min(0),
        failed: z.int().min(0),
        peakNodes: z.int().min(0),
        eventSu: z.number().min(0),
        yearSu: z.number().min(0),
      })
      .strict(),
  })
  .strict()
  .superRefine((plan, ctx) => {
    const names = new Set(plan.groups.map((g) => g.name));
    for (const role of ['default-worker', 'core', 'user'] as const) {
      if (plan.groups.filter((g) => g.role === role).length !== 1) {
        ctx.addIssue({ code: 'custom', path: ['groups'], message: `needs exactly one ${role} group` });
      }
    }
    if (!plan.groups.some((g) => g.name === plan.user.group && g.role === 'user')) {
      ctx.addIssue({ code: 'custom', path: ['user', 'group'], message: 'must name the user group' });
    }
    const dask = plan.dask;
    if (dask.mode === 'gateway' && !plan.groups.some((g) => g.name === dask.group && g.role === 'dask')) {
      ctx.addIssue({ code: 'custom', path: ['dask', 'group'], message: 'must name a dask group' });
    }
    plan.preScale.steps.forEach((s, i) => {
      const g = plan.groups.find((x) => x.name === s.group);
      if (!names.has(s.group) || !g) {
        ctx.addIssue({ code: 'custom', path: ['preScale', 'steps', i, 'group'], message: 'unknown group' });
      } else if (s.minNodeCount > (s.nodeCount ?? g.maxNodeCount) || (s.nodeCount ?? 0) > g.maxNodeCount) {
        const message = `need minNodeCount <= nodeCount <= the group's maxNodeCount (${g.maxNodeCount})`;
        ctx.addIssue({ code: 'custom', path: ['preScale', 'steps', i, 'nodeCount'], message });
      }
    });
  });

export type NodeGroup = z.infer<typeof nodeGroupSchema>;
export type PreScaleStep = z.infer<typeof preScaleStep>;
export type NodeGroupPlan = z.infer<typeof nodeGroupPlanSchema>;

const HEADER =
  '# NodeGroupPlan written by `rehearse plan` (analysis/sizing-plan.ts). Memory in bytes, CPU in cores,\n' +
  '# times in ms; preScale.steps[].at is relative to the event start (negative: before it).\n';

/** plan.yaml text: a header comment, then the plan. */
export function planToYaml(plan: NodeGroupPlan): string {
  return HEADER + stringify(nodeGroupPlanSchema.parse(plan), { lineWidth: 0 });
}

/** Parse and validate plan.yaml text; InputError PLAN_INVALID listing every issue with its path. */
export function parsePlan(text: string, sourceName: string): NodeGroupPlan {
  return parseInput(nodeGroupPlanSchema, text, sourceName, {
    code: 'PLAN_INVALID',
    whole: '(plan)',
    hint: 'write it again with `rehearse plan <scenario> --out plan.yaml` rather than editing it by hand',
  });
}
