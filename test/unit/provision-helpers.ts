import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type NodeGroupPlan, parsePlan } from '../../analysis/plan-types.js';

export const FIXTURE_PLAN = fileURLToPath(new URL('../fixtures/provision/pythia.plan.yaml', import.meta.url));
/** The upstream chart schemas as the team keeps them (shared/reference/schemas). */
export const SHARED_SCHEMAS = fileURLToPath(new URL('../../../shared/reference/schemas/', import.meta.url));

/** A fresh copy of the Pythia plan fixture (rehearse plan scenarios/pythia-workshop.yaml). */
export function fixturePlan(): NodeGroupPlan {
  return parsePlan(readFileSync(FIXTURE_PLAN, 'utf8'), FIXTURE_PLAN);
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `rehearse-${prefix}-`));
}

export interface TfJson {
  provider?: Record<string, Record<string, unknown>[]>;
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: unknown; sensitive?: boolean }>;
  variable?: Record<string, { default?: unknown; sensitive?: boolean; type?: string }>;
  terraform?: { backend?: { local?: { path: string } }; required_providers?: Record<string, unknown> };
}

export function readStack(outdir: string, stack: 'cluster' | 'binderhub'): TfJson {
  return JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as TfJson;
}
