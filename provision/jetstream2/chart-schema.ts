/**
 * Validate our Helm values against the charts' own JSON schemas (draft-07, kept as YAML upstream):
 * BinderHub's values.schema.yaml for the whole object, and z2jh's for `values.jupyterhub`, which the
 * BinderHub schema leaves open (`additionalProperties: true`); for the binderhub-service shape, z2jh's
 * and binderhub-service's, one per release. Copies, with their licences and sources (SOURCES.md),
 * sit in chart-schemas/.
 *
 * Helm applies a chart's schema to the *merged* values (chart defaults + ours), and its `required` lists
 * name keys that only the defaults supply (`pdb`, `replicas`, `image`, …). We validate our overrides
 * alone, so every `required` is removed, recursively; `additionalProperties: false`, types and enums
 * still apply — a misspelt or misplaced key is still an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { InputError } from '../../core/errors.js';

export type ChartName = 'binderhub' | 'z2jh' | 'binderhub-service';

/** The chart-schemas/ folder, from source (provision/jetstream2/) or from dist/provision/jetstream2/. */
export function chartSchemaDir(): string {
  for (const rel of ['./chart-schemas/', '../../../provision/jetstream2/chart-schemas/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('cannot find provision/jetstream2/chart-schemas/');
}

/** A copy of `schema` with every `required` keyword removed, at any depth. Never mutates its input. */
export function withoutRequired(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    // `required` is a keyword only where it holds a list; a property *named* "required" is kept.
    if (key === 'required' && Array.isArray(value)) continue;
    out[key] = withoutRequired(value);
  }
  return out;
}

export interface SchemaIssue {
  chart: ChartName;
  /** JSON pointer into the values, e.g. /jupyterhub/singleuser/cpu. */
  path: string;
  message: string;
}

const compiled = new Map<string, ValidateFunction>();

/** The compiled validator of a chart schema file (cached per path). */
export function chartValidator(file: string): ValidateFunction {
  const hit = compiled.get(file);
  if (hit) return hit;
  // Anchors and aliases reuse sub-schemas; `maxAliasCount: -1` lifts yaml's billion-laughs guard,
  // safe for these trusted, vendored files.
  const schema = withoutRequired(parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 })) as object;
  // strict: false — the charts use keywords ajv does not know as annotations (none affect validation).
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  compiled.set(file, validate);
  return validate;
}

/** Every schema issue of BinderHub chart values (z2jh's schema for `jupyterhub`). */
export function chartSchemaIssues(values: unknown, dir: string = chartSchemaDir()): SchemaIssue[] {
  const issues = run('binderhub', `${dir}/binderhub-chart-values.schema.yaml`, values, '');
  const hub = (values as { jupyterhub?: unknown } | null)?.jupyterhub;
  if (hub !== undefined)
    issues.push(...run('z2jh', `${dir}/z2jh-chart-values.schema.yaml`, hub, '/jupyterhub'));
  return issues;
}

/** Every schema issue of the binderhub-service shape: each release against its own chart's schema. */
export function serviceSchemaIssues(
  values: { jupyterhub: unknown; binderhubService: unknown },
  dir: string = chartSchemaDir(),
): SchemaIssue[] {
  return [
    ...run('z2jh', `${dir}/z2jh-chart-values.schema.yaml`, values.jupyterhub, ''),
    ...run(
      'binderhub-service',
      `${dir}/binderhub-service-chart-values.schema.yaml`,
      values.binderhubService,
      '',
    ),
  ];
}

/** Throws InputError HELM_VALUES_INVALID listing every issue. */
export function assertChartValues(values: unknown, dir?: string): void {
  throwIssues(chartSchemaIssues(values, dir));
}

export function assertServiceValues(
  values: { jupyterhub: unknown; binderhubService: unknown },
  dir?: string,
): void {
  throwIssues(serviceSchemaIssues(values, dir));
}

function throwIssues(issues: SchemaIssue[]): void {
  if (issues.length === 0) return;
  throw new InputError(
    'HELM_VALUES_INVALID',
    issues.map((i) => `${i.chart} chart values ${i.path || '/'}: ${i.message}`).join('\n'),
    { hint: 'a key the chart does not know or a wrong type: check jetstream2.yaml and the plan' },
  );
}

function run(chart: ChartName, file: string, values: unknown, prefix: string): SchemaIssue[] {
  const validate = chartValidator(file);
  if (validate(values)) return [];
  return (validate.errors ?? []).map((e) => ({ chart, path: prefix + e.instancePath, message: describe(e) }));
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') {
    return `unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return e.message ?? e.keyword;
}
