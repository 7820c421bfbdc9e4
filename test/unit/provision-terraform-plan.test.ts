import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RehearseError } from '../../core/errors.js';
import { describeDestructive, summarizePlan } from '../../provision/jetstream2/terraform-plan.js';
import { SHOW_NOOP, SHOW_REPLACE } from '../fixtures/provision/helpers.js';

describe('summarizePlan (terraform show -json of a saved plan)', () => {
  it('lists every Magnum resource the plan deletes or replaces, with the fields that force it', () => {
    const s = summarizePlan(readFileSync(SHOW_REPLACE, 'utf8'));
    expect(s.changes).toBe(true);
    // The core group's in-place update and the helm release's deletion are not listed.
    expect(s.destructive.map(describeDestructive)).toEqual([
      'openstack_containerinfra_cluster_v1.cluster: replace (name "binder-pythia-workshop" -> "binder-pythia-2027", master_flavor "m3.small" -> "m3.quad")',
      'openstack_containerinfra_nodegroup_v1.nodegroup-user-m3-large: replace (flavor_id "m3.large" -> "m3.xl", labels.a "1" -> "2")',
      'openstack_containerinfra_nodegroup_v1.nodegroup-dask-m3-large: delete (no longer in the stack)',
    ]);
    expect(s.destructive[0]).toMatchObject({
      type: 'openstack_containerinfra_cluster_v1',
      action: 'replace',
    });
  });

  it('does not print a sensitive value, and names a field whose value is not a scalar', () => {
    const show = {
      resource_changes: [
        {
          address: 'openstack_containerinfra_cluster_v1.cluster',
          type: 'openstack_containerinfra_cluster_v1',
          change: {
            actions: ['delete', 'create'],
            before: { keypair: 'a', labels: { x: '1' } },
            after: { keypair: 'b', labels: { x: '2' } },
            before_sensitive: { keypair: true },
            after_sensitive: {},
            replace_paths: [['keypair'], ['labels']],
          },
        },
      ],
    };
    expect(summarizePlan(JSON.stringify(show)).destructive[0]?.fields).toEqual(['keypair', 'labels']);
  });

  it('a plan of no-ops has no changes and nothing destructive', () => {
    expect(summarizePlan(readFileSync(SHOW_NOOP, 'utf8'))).toEqual({
      changes: false,
      destructive: [],
      refused: [],
    });
    // An output change alone is a change (apply records it).
    const outputOnly = { output_changes: { kubeconfig: { actions: ['update'] } } };
    expect(summarizePlan(JSON.stringify(outputOnly)).changes).toBe(true);
  });

  it('refuses text that is not show -json output', () => {
    for (const text of ['Error: no plan', JSON.stringify({ resource_changes: [{ address: 1 }] })]) {
      const e = (() => {
        try {
          summarizePlan(text);
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(RehearseError);
      expect((e as RehearseError).code).toBe('TERRAFORM_PLAN_UNREADABLE');
      expect((e as RehearseError).exitCode).toBe(1);
    }
  });
});
