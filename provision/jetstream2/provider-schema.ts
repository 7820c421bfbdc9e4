/**
 * Check synthesized Terraform JSON against terraform-provider-openstack's own resource schemas: the
 * facts in openstack-provider-schema.json (argument names, types, Required/Optional/Computed, ForceNew,
 * timeouts), extracted from the provider's Go source at the tag and commit recorded in that file by
 * scripts/extract-openstack-schema.mjs. Our constructs in openstack/ are written by hand (no generated
 * bindings exist), so this is what keeps a misspelt or computed-only argument out of a stack.
 *
 * A value may be a Terraform expression (`${…}`), which is accepted for any type.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../core/errors.js';

export type ArgType = 'string' | 'number' | 'bool' | 'map' | 'list' | 'set';

export interface ProviderArgument {
  type: ArgType;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  forceNew: boolean;
  sensitive?: boolean;
  default?: unknown;
  elem?: ArgType;
}

export interface ProviderSchema {
  source: { repository: string; ref: string; commit: string; files: string[] };
  resources: Record<
    string,
    { timeouts: Record<string, string>; arguments: Record<string, ProviderArgument> }
  >;
}

/** Terraform meta-arguments, valid on every resource (they are not the provider's); `//` is cdktf's metadata. */
const META = new Set([
  '//',
  'depends_on',
  'count',
  'for_each',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
]);

let cached: ProviderSchema | undefined;

export function providerSchema(): ProviderSchema {
  if (cached) return cached;
  // From source (provision/jetstream2/) or from dist/provision/jetstream2/.
  for (const rel of ['./', '../../../provision/jetstream2/']) {
    const file = fileURLToPath(new URL(`${rel}openstack-provider-schema.json`, import.meta.url));
    if (existsSync(file)) {
      cached = JSON.parse(readFileSync(file, 'utf8')) as ProviderSchema;
      return cached;
    }
  }
  throw new Error('cannot find provision/jetstream2/openstack-provider-schema.json');
}

/** Arguments of a resource type that force a new resource when they change. */
export function forceNewArguments(type: string, schema: ProviderSchema = providerSchema()): string[] {
  const r = schema.resources[type];
  if (!r) return [];
  return Object.entries(r.arguments)
    .filter(([, a]) => a.forceNew && (a.optional || a.required))
    .map(([k]) => k);
}

const isExpression = (v: unknown) => typeof v === 'string' && v.includes('${');

function typeOk(value: unknown, arg: ProviderArgument): boolean {
  if (isExpression(value)) return true;
  switch (arg.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'map':
      // The containerinfra maps (labels) are maps of strings: Magnum rejects other values.
      return (
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === 'string')
      );
    default:
      return Array.isArray(value);
  }
}

/** Every problem of the stack's `openstack_*` resources, as `<type>.<name>.<argument>: <what>`. */
export function providerSchemaIssues(
  stack: { resource?: Record<string, Record<string, Record<string, unknown>>> },
  schema: ProviderSchema = providerSchema(),
): string[] {
  const issues: string[] = [];
  for (const [type, resources] of Object.entries(stack.resource ?? {})) {
    if (!type.startsWith('openstack_')) continue;
    const known = schema.resources[type];
    if (!known) {
      issues.push(`${type}: not a resource we have the provider's schema for`);
      continue;
    }
    for (const [name, body] of Object.entries(resources)) {
      const at = `${type}.${name}`;
      for (const [key, value] of Object.entries(body)) {
        if (META.has(key)) continue;
        if (key === 'timeouts') {
          for (const t of Object.keys(value as object)) {
            if (!(t in known.timeouts)) issues.push(`${at}.timeouts.${t}: the resource has no ${t} timeout`);
          }
          continue;
        }
        const arg = known.arguments[key];
        if (!arg) issues.push(`${at}.${key}: no such argument`);
        else if (!arg.optional && !arg.required) issues.push(`${at}.${key}: computed only, cannot be set`);
        else if (!typeOk(value, arg))
          issues.push(`${at}.${key}: ${JSON.stringify(value)} is not a ${arg.type}`);
      }
      for (const [key, arg] of Object.entries(known.arguments)) {
        if (arg.required && !(key in body)) issues.push(`${at}.${key}: required`);
      }
      const ignored = (body.lifecycle as { ignore_changes?: unknown } | undefined)?.ignore_changes;
      for (const key of Array.isArray(ignored) ? ignored : []) {
        if (typeof key === 'string' && !(key in known.arguments)) {
          issues.push(`${at}.lifecycle.ignore_changes: ${key} is not an argument`);
        }
      }
    }
  }
  return issues;
}

/** Throws InputError PROVIDER_SCHEMA listing every issue. */
export function assertProviderSchema(stack: Parameters<typeof providerSchemaIssues>[0]): void {
  const issues = providerSchemaIssues(stack);
  if (issues.length === 0) return;
  const s = providerSchema().source;
  throw new InputError('PROVIDER_SCHEMA', issues.join('\n'), {
    hint: `the stack does not match terraform-provider-openstack ${s.ref} (${s.commit.slice(0, 12)}); this is a rehearse bug — report it`,
  });
}
