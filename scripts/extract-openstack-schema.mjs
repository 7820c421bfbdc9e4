#!/usr/bin/env node
/**
 * Extract the argument facts (name, type, required/optional/computed, ForceNew, sensitive, default,
 * timeouts) of the three containerinfra resources from terraform-provider-openstack's Go source, into
 * provision/jetstream2/openstack-provider-schema.json. It reads the source from a git directory (a
 * clone or mirror), at a tag or commit, and records which:
 *
 *   node scripts/extract-openstack-schema.mjs <git-dir> [ref=v3.4.0] > provision/jetstream2/openstack-provider-schema.json
 *
 * The parser knows only the shape these files use: `"<name>": {` entries of `Schema: map[string]*schema.Schema{`
 * with `Key: value,` lines, and a `Timeouts: &schema.ResourceTimeout{` block of DefaultTimeout(N * time.Minute).
 */
import { execFileSync } from 'node:child_process';

const [gitDir, ref = 'v3.4.0'] = process.argv.slice(2);
if (!gitDir) {
  process.stderr.write('usage: extract-openstack-schema.mjs <git-dir> [ref]\n');
  process.exit(2);
}
const git = (...args) => execFileSync('git', [`--git-dir=${gitDir}`, ...args], { encoding: 'utf8' });
const commit = git('rev-list', '-n1', ref).trim();

const RESOURCES = {
  openstack_containerinfra_clustertemplate_v1:
    'openstack/resource_openstack_containerinfra_clustertemplate_v1.go',
  openstack_containerinfra_cluster_v1: 'openstack/resource_openstack_containerinfra_cluster_v1.go',
  openstack_containerinfra_nodegroup_v1: 'openstack/resource_openstack_containerinfra_nodegroup_v1.go',
};
const TYPES = {
  'schema.TypeString': 'string',
  'schema.TypeInt': 'number',
  'schema.TypeBool': 'bool',
  'schema.TypeMap': 'map',
  'schema.TypeList': 'list',
  'schema.TypeSet': 'set',
};

function parseResource(text) {
  const timeouts = {};
  const t = text.match(/Timeouts: &schema\.ResourceTimeout\{([\s\S]*?)\n\t\t\}/);
  for (const m of (t?.[1] ?? '').matchAll(
    /(Create|Update|Delete): schema\.DefaultTimeout\((\d+) \* time\.Minute\)/g,
  )) {
    timeouts[m[1].toLowerCase()] = `${m[2]}m`;
  }
  const body = text.slice(text.indexOf('Schema: map[string]*schema.Schema{'));
  const args = {};
  // Each entry starts at three tabs: `"name": {` and ends at the matching three-tab `},`.
  for (const m of body.matchAll(/\n\t\t\t"([a-z_]+)": \{\n([\s\S]*?)\n\t\t\t\},/g)) {
    const [, name, block] = m;
    const field = (key) => block.match(new RegExp(`\\n?\\t+${key}:\\s+([^,\\n]+),`))?.[1]?.trim();
    const type = TYPES[field('Type')];
    if (!type) throw new Error(`${name}: unknown type ${field('Type')}`);
    const arg = { type };
    if (field('Required') === 'true') arg.required = true;
    if (field('Optional') === 'true') arg.optional = true;
    if (field('Computed') === 'true') arg.computed = true;
    arg.forceNew = field('ForceNew') === 'true';
    if (field('Sensitive') === 'true') arg.sensitive = true;
    const dflt = field('Default');
    if (dflt !== undefined) arg.default = /^\d+$/.test(dflt) ? Number(dflt) : dflt;
    const env = block.match(/EnvDefaultFunc\("([A-Z_]+)"/)?.[1];
    if (env) arg.envDefault = env;
    const validate = field('ValidateFunc');
    if (validate) arg.validate = validate;
    const elem = block.match(/Elem:\s+&schema\.Schema\{Type: (schema\.Type\w+)\}/)?.[1];
    if (elem) arg.elem = TYPES[elem];
    args[name] = arg;
  }
  return { timeouts, arguments: args };
}

const out = {
  $comment:
    'Extracted by scripts/extract-openstack-schema.mjs from terraform-provider-openstack Go source (MPL-2.0); ' +
    'facts only: argument names, types, Required/Optional/Computed, ForceNew, Sensitive, defaults, timeouts.',
  source: {
    repository: 'https://github.com/terraform-provider-openstack/terraform-provider-openstack',
    ref,
    commit,
    files: Object.values(RESOURCES),
  },
  resources: Object.fromEntries(
    Object.entries(RESOURCES).map(([type, file]) => [type, parseResource(git('show', `${commit}:${file}`))]),
  ),
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
