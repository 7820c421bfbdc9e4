/**
 * The `openstack` provider block (terraform-provider-openstack/openstack, `~> 3.0`; capacity.md §2),
 * written by hand over cdktf's TerraformProvider because no prebuilt `@cdktf/provider-openstack`
 * package exists (ARCHITECTURE.md). Only the non-secret arguments are offered on purpose: the
 * application credential (OS_APPLICATION_CREDENTIAL_ID / _SECRET, or a clouds.yaml entry named by
 * `cloud` / OS_CLOUD) is read by the provider itself from the environment at plan time, so it never
 * reaches cdk.tf.json.
 */
import { TerraformProvider } from 'cdktf';
import type { Construct } from 'constructs';

export const OPENSTACK_PROVIDER_SOURCE = 'terraform-provider-openstack/openstack';
/** 2i2c pins `~> 3.0`; nodegroups need Magnum microversion 1.9 (provider >= 3). */
export const OPENSTACK_PROVIDER_VERSION = '~> 3.0';

export interface OpenstackProviderConfig {
  /** `cloud`: an entry of clouds.yaml (env OS_CLOUD otherwise). A name, never a credential. */
  readonly cloud?: string;
  /** `region` (env OS_REGION_NAME otherwise; Jetstream2: IU). */
  readonly region?: string;
  /** `auth_url` (env OS_AUTH_URL otherwise). */
  readonly authUrl?: string;
  /** `endpoint_type`: public, internal or admin (env OS_INTERFACE / OS_ENDPOINT_TYPE otherwise). */
  readonly endpointType?: string;
  /** Provider alias, for a second OpenStack project in one stack. */
  readonly alias?: string;
}

export class OpenstackProvider extends TerraformProvider {
  private readonly config: OpenstackProviderConfig;
  private aliasName: string | undefined;

  constructor(scope: Construct, id: string, config: OpenstackProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: 'openstack',
      terraformGeneratorMetadata: {
        providerName: 'openstack',
        providerVersionConstraint: OPENSTACK_PROVIDER_VERSION,
      },
      terraformProviderSource: OPENSTACK_PROVIDER_SOURCE,
    });
    this.config = config;
    this.aliasName = config.alias;
  }

  // TerraformProvider's own alias accessors are placeholders that generated bindings override.
  override get alias(): string | undefined {
    return this.aliasName;
  }
  override set alias(value: string | undefined) {
    this.aliasName = value;
  }

  // cdktf drops keys whose value is undefined, so unset arguments do not appear in the JSON.
  protected override synthesizeAttributes(): Record<string, unknown> {
    return {
      cloud: this.config.cloud,
      region: this.config.region,
      auth_url: this.config.authUrl,
      endpoint_type: this.config.endpointType,
    };
  }
}
