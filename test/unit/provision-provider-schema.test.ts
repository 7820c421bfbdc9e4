/**
 * The synthesized cluster stack against terraform-provider-openstack's resource schemas, as extracted
 * from its Go source (provision/jetstream2/openstack-provider-schema.json, v3.4.0).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  forceNewArguments,
  providerSchema,
  providerSchemaIssues,
} from '../../provision/jetstream2/provider-schema.js';
import { synthesize } from '../../provision/jetstream2/synth.js';
import { fixturePlan, readStack, tmp } from '../fixtures/provision/helpers.js';

const IMAGE = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

describe('provider schema facts', () => {
  it('records the source it was extracted from', () => {
    expect(providerSchema().source).toMatchObject({ ref: 'v3.4.0' });
    expect(providerSchema().source.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('has the ForceNew facts the guardrails rely on', () => {
    // Node groups: only the three counts change in place.
    expect(forceNewArguments('openstack_containerinfra_nodegroup_v1').sort()).toEqual(
      [
        'cluster_id',
        'docker_volume_size',
        'flavor_id',
        'image_id',
        'labels',
        'merge_labels',
        'name',
        'region',
        'role',
      ].sort(),
    );
    const cluster = providerSchema().resources.openstack_containerinfra_cluster_v1?.arguments;
    // cluster_template_id in place (an upgrade), labels ForceNew.
    expect(cluster?.cluster_template_id?.forceNew).toBe(false);
    expect(cluster?.labels?.forceNew).toBe(true);
    // A template's name is not ForceNew: a new name renames the live template.
    expect(forceNewArguments('openstack_containerinfra_clustertemplate_v1')).toEqual(['region']);
  });
});

describe('the synthesized cluster stack', () => {
  for (const [what, config] of [
    ['with a template by UUID', { cluster: { templateId: '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' } }],
    [
      'with a template defined here',
      {
        cluster: {
          template: { image: IMAGE, imageName: 'ubuntu-jammy-kube-v1.33.2', capiHelmChartVersion: '0.16.0' },
        },
      },
    ],
  ] as const) {
    it(`uses only arguments the provider has, with their types (${what})`, () => {
      const r = synthesize({ plan: fixturePlan(), config, outdir: join(tmp('schema'), 'cdktf.out') });
      const stack = readStack(r.outdir, 'cluster');
      expect(providerSchemaIssues(stack)).toEqual([]);
      expect(
        Object.keys(stack.resource ?? {}).filter((t) => t.startsWith('openstack_')).length,
      ).toBeGreaterThan(1);
    });
  }

  it('names every kind of problem', () => {
    const stack = {
      resource: {
        openstack_containerinfra_nodegroup_v1: {
          g: {
            name: 'g',
            node_count: '3',
            min_nodes: 1,
            project_id: 'p',
            labels: { a: true },
            timeouts: { read: '1m' },
            lifecycle: { ignore_changes: ['nodecount'] },
          },
        },
        openstack_containerinfra_cluster_v2: { c: {} },
      },
    };
    expect(providerSchemaIssues(stack)).toEqual([
      'openstack_containerinfra_nodegroup_v1.g.node_count: "3" is not a number',
      'openstack_containerinfra_nodegroup_v1.g.min_nodes: no such argument',
      'openstack_containerinfra_nodegroup_v1.g.project_id: computed only, cannot be set',
      'openstack_containerinfra_nodegroup_v1.g.labels: {"a":true} is not a map',
      'openstack_containerinfra_nodegroup_v1.g.timeouts.read: the resource has no read timeout',
      'openstack_containerinfra_nodegroup_v1.g.cluster_id: required',
      'openstack_containerinfra_nodegroup_v1.g.lifecycle.ignore_changes: nodecount is not an argument',
      "openstack_containerinfra_cluster_v2: not a resource we have the provider's schema for",
    ]);
  });
});
