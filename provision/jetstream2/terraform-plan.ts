/**
 * What a saved Terraform plan would do, read from `terraform show -json <planfile>` (pure). The one
 * question that matters before `apply`: would it delete or replace a Magnum resource? Replacing the
 * cluster deletes it with every user server and the hub on it; replacing a node group deletes its
 * nodes. Most of their arguments force replacement (doc comments in openstack/*.ts), so a plan
 * regenerated with another flavor or name silently turns an update into a rebuild.
 *
 * Format: https://developer.hashicorp.com/terraform/internals/json-format — `resource_changes[]`
 * with `change.actions` (["no-op"], ["create"], ["read"], ["update"], ["delete","create"],
 * ["create","delete"], ["delete"]) and `change.replace_paths` (the arguments that force it).
 */

import { z } from 'zod';
import { RehearseError } from '../../core/errors.js';
import { describeIssues } from '../../core/input-issues.js';
import { magnumRefusals, type Refusal } from './magnum-plan-checks.js';

/** Resource types whose deletion takes user servers with it. */
export const GUARDED_PREFIX = 'openstack_containerinfra_';
const TEMPLATE = 'openstack_containerinfra_clustertemplate_v1';

const path = z.array(z.union([z.string(), z.number()]));
const showJson = z
  .object({
    resource_changes: z
      .array(
        z
          .object({
            address: z.string(),
            type: z.string(),
            change: z
              .object({
                actions: z.array(z.string()),
                before: z.unknown().optional(),
                after: z.unknown().optional(),
                before_sensitive: z.unknown().optional(),
                after_sensitive: z.unknown().optional(),
                replace_paths: z.array(path).optional(),
              })
              .passthrough(),
            action_reason: z.string().optional(),
          })
          .passthrough(),
      )
      .optional(),
    output_changes: z.record(z.string(), z.object({ actions: z.array(z.string()) }).passthrough()).optional(),
  })
  .passthrough();

export interface Destructive {
  address: string;
  type: string;
  /** 'replace' (delete and create, either order) or 'delete'. */
  action: 'replace' | 'delete';
  /** The arguments that force the replacement, e.g. `flavor_id "m3.large" -> "m3.xl"`. */
  fields: string[];
  /** Terraform's action_reason, e.g. replace_because_cannot_update, delete_because_no_resource_config. */
  reason?: string;
}

export interface PlanSummary {
  /** Any resource or output would change. */
  changes: boolean;
  /** Guarded resources that would be deleted or replaced. */
  destructive: Destructive[];
  /** Updates Magnum would refuse mid-apply (magnum-plan-checks.ts), with what to run first. */
  refused: Refusal[];
}

/** Throws RehearseError TERRAFORM_PLAN_UNREADABLE (exit 1) when the text is not show-json output. */
export function summarizePlan(text: string, guardedPrefix: string = GUARDED_PREFIX): PlanSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw unreadable((err as Error).message);
  }
  const parsed = showJson.safeParse(data);
  if (!parsed.success) {
    throw unreadable(describeIssues(text, parsed.error.issues, 'show-json', '(plan)').join('; '));
  }
  const resources = parsed.data.resource_changes ?? [];
  const idle = (actions: string[]) => actions.every((a) => a === 'no-op' || a === 'read');
  const changes =
    resources.some((r) => !idle(r.change.actions)) ||
    Object.values(parsed.data.output_changes ?? {}).some((o) => !idle(o.actions));
  const destructive: Destructive[] = [];
  // A template superseded by a new one (a new image or CAPI chart version: a new address) is deleted
  // once the cluster has moved to the new one; that costs no user anything. Still in use, Magnum
  // refuses the delete, which magnumRefusals reports.
  const newTemplate = resources.some((r) => r.type === TEMPLATE && r.change.actions.includes('create'));
  for (const r of resources) {
    if (!r.type.startsWith(guardedPrefix) || !r.change.actions.includes('delete')) continue;
    const replace = r.change.actions.includes('create');
    if (r.type === TEMPLATE && !replace && newTemplate) continue;
    const fields = (r.change.replace_paths ?? []).map((p) =>
      describeField(p, r.change.before, r.change.after, r.change.before_sensitive, r.change.after_sensitive),
    );
    destructive.push({
      address: r.address,
      type: r.type,
      action: replace ? 'replace' : 'delete',
      fields,
      ...(r.action_reason ? { reason: r.action_reason } : {}),
    });
  }
  return { changes, destructive, refused: magnumRefusals(resources) };
}

/** One line per resource: `<address>: replace (flavor_id "m3.large" -> "m3.xl")`. */
export function describeDestructive(d: Destructive): string {
  const why =
    d.fields.length > 0
      ? d.fields.join(', ')
      : d.reason === 'delete_because_no_resource_config'
        ? 'no longer in the stack'
        : (d.reason ?? 'no reason given');
  return `${d.address}: ${d.action} (${why})`;
}

/** `name`, `labels.x` or `name "a" -> "b"` when both sides are known, non-sensitive scalars. */
function describeField(
  p: (string | number)[],
  before: unknown,
  after: unknown,
  beforeSensitive: unknown,
  afterSensitive: unknown,
): string {
  const name = p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
  const [b, a] = [at(before, p), at(after, p)];
  const hidden = at(beforeSensitive, p) === true || at(afterSensitive, p) === true;
  const scalar = (v: unknown) => ['string', 'number', 'boolean'].includes(typeof v);
  if (hidden || !scalar(b) || !scalar(a)) return name;
  return `${name} ${JSON.stringify(b)} -> ${JSON.stringify(a)}`;
}

function at(value: unknown, p: (string | number)[]): unknown {
  let v = value;
  for (const k of p) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

function unreadable(detail: string): RehearseError {
  return new RehearseError('TERRAFORM_PLAN_UNREADABLE', `cannot read the saved plan as JSON: ${detail}`, {
    hint: 'is the binary Terraform or OpenTofu >= 1.8? Run `show -json` on the plan file yourself to see',
  });
}
