/**
 * What the three containerinfra resources share, as cdktf's generated provider bindings do it:
 * the resource type, the meta-arguments (depends_on, lifecycle, …) handed to TerraformResource,
 * the config kept for `synthesizeAttributes`, and the `id` attribute. Each subclass maps its
 * camelCase config to the provider's snake_case arguments.
 */
import { type TerraformMetaArguments, TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';

/** A resource's `timeouts` block: Terraform durations such as "240m". */
export interface ResourceTimeouts {
  readonly create?: string;
  readonly update?: string;
  readonly delete?: string;
}

export abstract class OpenstackResource<C extends TerraformMetaArguments> extends TerraformResource {
  protected readonly config: C;

  protected constructor(scope: Construct, id: string, resourceType: string, config: C) {
    const { dependsOn, count, provider, lifecycle, forEach, provisioners, connection } = config;
    super(scope, id, {
      terraformResourceType: resourceType,
      terraformGeneratorMetadata: { providerName: 'openstack' },
      ...{ dependsOn, count, provider, lifecycle, forEach, provisioners, connection },
    });
    this.config = config;
  }

  /**
   * The resource's ID: a template's UUID is what `cluster_template_id` takes, a cluster's what a
   * node group's `cluster_id` takes; a node group's is `<cluster_id>/<nodegroup_id>`.
   */
  get id(): string {
    return this.getStringAttribute('id');
  }
}
