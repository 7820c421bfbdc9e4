/**
 * The local target's own profile list, in KubeSpawner's `profile_list` shape (slug, display_name,
 * default, kubespawner_override, profile_options with choices and unlisted_choice), honoured by
 * the local spawner (hub-config.ts) so that server options travel the whole real path here.
 *
 * What the local spawner does with a profile: `mem_limit` / `cpu_limit` become the spawner's
 * limits, which JupyterHub passes to the server as MEM_LIMIT / CPU_LIMIT (a local process is not
 * confined by them: jupyter-resource-usage shows them, nothing enforces them); `environment` is
 * merged into the server's environment; REHEARSE_PROFILE names the profile applied. A KubeSpawner
 * hub instead turns the same overrides into the pod's resources (a memory limit the kernel really
 * dies at, a CPU guarantee the scheduler packs nodes by), node selectors and image, and an
 * unknown slug fails the spawn with the same "No such profile: …" message as here.
 */

export interface LocalProfileOption {
  display_name: string;
  choices: Record<string, { display_name: string; default?: boolean; kubespawner_override: object }>;
  unlisted_choice?: {
    enabled: boolean;
    display_name?: string;
    validation_regex?: string;
    kubespawner_override: object;
  };
}

export interface LocalProfile {
  slug: string;
  display_name: string;
  default?: boolean;
  kubespawner_override: { mem_limit?: string; cpu_limit?: number; environment?: Record<string, string> };
  profile_options?: Record<string, LocalProfileOption>;
}

const imageOption = (): LocalProfileOption => ({
  display_name: 'Image',
  choices: {
    pangeo: {
      display_name: 'Pangeo notebook',
      default: true,
      kubespawner_override: { environment: { WORKSHOP_IMAGE: 'pangeo/pangeo-notebook:latest' } },
    },
    scipy: {
      display_name: 'Jupyter SciPy',
      kubespawner_override: { environment: { WORKSHOP_IMAGE: 'quay.io/jupyter/scipy-notebook:latest' } },
    },
  },
  unlisted_choice: {
    enabled: true,
    display_name: 'Other image',
    validation_regex: '^[A-Za-z0-9._/:-]+$',
    kubespawner_override: { environment: { WORKSHOP_IMAGE: '{value}' } },
  },
});

/** Two sizes, as on a 2i2c hub ("Small" / "Large"), each with an image option. */
export const LOCAL_PROFILE_LIST: LocalProfile[] = [
  {
    slug: 'small',
    display_name: 'Small: 1 GB RAM',
    default: true,
    kubespawner_override: { mem_limit: '1G', cpu_limit: 1, environment: { WORKSHOP_SIZE: 'small' } },
    profile_options: { image: imageOption() },
  },
  {
    slug: 'large',
    display_name: 'Large: 4 GB RAM',
    kubespawner_override: { mem_limit: '4G', cpu_limit: 2, environment: { WORKSHOP_SIZE: 'large' } },
    profile_options: { image: imageOption() },
  },
];
