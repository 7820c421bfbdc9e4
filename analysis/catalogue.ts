/**
 * The Jetstream2 catalogue as data: flavors, SU rates, Magnum/Cluster API constraints and default
 * allocation quotas. Sources and dates: shared/reference/capacity.md §1 (docs.jetstream-cloud.org,
 * js2docs, openstack/magnum-capi-helm). Rates are configurable because the GPU multiplier changed
 * between doc revisions (4 → 2 SU per vCPU-hour); a plan records the catalogue version and the
 * rates it used.
 */
import { InputError } from '../core/errors.js';

/** Which ACCESS resource a flavor draws from; each has its own SU rate and quota. */
export type ResourceClass = 'cpu' | 'large-memory' | 'gpu';

export interface Flavor {
  name: string;
  vcpus: number;
  /** RAM as published ("GB"); Nova flavors are sized in MiB (60 GB = 61 440 MiB), so read as GiB. */
  ramGiB: number;
  /** Local root disk, GB. */
  diskGB: number;
  resource: ResourceClass;
  /** Share of one A100 (g3 flavors only). */
  gpuFraction?: number;
  /** Not available by default ("by request and with proper justification"). */
  byRequest?: boolean;
}

/** SU per vCPU-hour for each resource class. */
export interface SuRates {
  cpu: number;
  largeMemory: number;
  gpu: number;
}

/** Current docs: CPU 1, large memory 2, GPU 2 (older revisions: GPU 4, see LEGACY_GPU_RATE). */
export const DEFAULT_RATES: Readonly<SuRates> = { cpu: 1, largeMemory: 2, gpu: 2 };
export const LEGACY_GPU_RATE = 4;

/** Instance state multipliers: ACTIVE 100 %, SUSPENDED 75 %, STOPPED 50 %, SHELVED 0 %. */
export const STATE_FACTOR = { active: 1, suspended: 0.75, stopped: 0.5, shelved: 0 } as const;
export type InstanceState = keyof typeof STATE_FACTOR;

export interface Catalogue {
  version: string;
  source: string;
  flavors: readonly Flavor[];
  rates: SuRates;
}

const cpu = (name: string, vcpus: number, ramGiB: number, diskGB: number, byRequest = false): Flavor => ({
  name,
  vcpus,
  ramGiB,
  diskGB,
  resource: 'cpu',
  ...(byRequest ? { byRequest } : {}),
});

const FLAVORS: readonly Flavor[] = [
  cpu('m3.tiny', 1, 3, 20),
  cpu('m3.small', 2, 6, 20),
  cpu('m3.quad', 4, 15, 20),
  cpu('m3.medium', 8, 30, 60),
  cpu('m3.large', 16, 60, 60),
  cpu('m3.xl', 32, 125, 60),
  cpu('m3.2xl', 64, 250, 60),
  cpu('m3.3xl', 128, 500, 60, true),
  { name: 'r3.large', vcpus: 64, ramGiB: 500, diskGB: 60, resource: 'large-memory' },
  { name: 'r3.xl', vcpus: 128, ramGiB: 1000, diskGB: 60, resource: 'large-memory' },
  { name: 'g3.small', vcpus: 4, ramGiB: 15, diskGB: 60, resource: 'gpu', gpuFraction: 0.2 },
  { name: 'g3.medium', vcpus: 8, ramGiB: 30, diskGB: 60, resource: 'gpu', gpuFraction: 0.25 },
  { name: 'g3.large', vcpus: 16, ramGiB: 60, diskGB: 60, resource: 'gpu', gpuFraction: 0.5 },
  // 125 → 120 GB in a later revision (jetstream2 docs issue 97); the newer figure.
  { name: 'g3.xl', vcpus: 32, ramGiB: 120, diskGB: 60, resource: 'gpu', gpuFraction: 1 },
];

export const CATALOGUE_VERSION = 'jetstream2-2026-11';

/** The catalogue with the given rates (defaults: DEFAULT_RATES). Never mutates the shared data. */
export function jetstream2Catalogue(rates: Partial<SuRates> = {}): Catalogue {
  const merged = { ...DEFAULT_RATES, ...rates };
  for (const [k, v] of Object.entries(merged)) {
    if (!(Number.isFinite(v) && v >= 0)) {
      throw new InputError('RATE_INVALID', `SU rate ${k} must be a number >= 0, got ${v}`);
    }
  }
  return {
    version: CATALOGUE_VERSION,
    source: 'docs.jetstream-cloud.org/general/instance-flavors, /general/access (capacity.md §1)',
    flavors: FLAVORS,
    rates: merged,
  };
}

/** SU per vCPU-hour of a resource class. */
export function ratePerVcpu(resource: ResourceClass, rates: SuRates): number {
  return resource === 'cpu' ? rates.cpu : resource === 'gpu' ? rates.gpu : rates.largeMemory;
}

/**
 * SU per hour of one instance: vCPU × rate(class) × state factor
 * (m3.large active: 16 × 1 × 1 = 16; r3.large: 64 × 2 = 128; g3.large at 4: 16 × 4 = 64).
 */
export function suPerHour(flavor: Flavor, rates: SuRates, state: InstanceState = 'active'): number {
  return flavor.vcpus * ratePerVcpu(flavor.resource, rates) * STATE_FACTOR[state];
}

/** Levenshtein distance, for "did you mean" (dynamic programming over one row). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

/** The flavor called `name`; InputError UNKNOWN_FLAVOR naming the closest ones otherwise. */
export function findFlavor(catalogue: Catalogue, name: string): Flavor {
  const flavor = catalogue.flavors.find((f) => f.name === name);
  if (flavor) return flavor;
  const near = [...catalogue.flavors]
    .map((f) => ({ f, d: distance(name.toLowerCase(), f.name) }))
    .sort((x, y) => x.d - y.d)
    .slice(0, 3)
    .map((x) => x.f.name);
  throw new InputError('UNKNOWN_FLAVOR', `unknown Jetstream2 flavor "${name}" in capacity.flavors`, {
    hint:
      `did you mean ${near.join(', ')}? Known flavors (${catalogue.version}): ` +
      catalogue.flavors.map((f) => f.name).join(', '),
  });
}

/** Magnum with the Cluster API driver on Jetstream2 (capacity.md §1.6). */
export const MAGNUM_CAPI = {
  /** "CAPO doesn't support scale to zero yet": every node group keeps >= 1 node (bug 2098002). */
  minNodeCount: 1,
  /** conf.py minimum_flavor_vcpus / minimum_flavor_ram: m3.tiny is rejected. */
  minFlavorVcpus: 2,
  minFlavorRamMiB: 2048,
  /** A `default-worker` node group always exists and cannot be deleted. */
  defaultWorkerAlwaysExists: true,
  /** The Jetstream-managed autoscaler reads max_node_count at creation; later changes are ignored. */
  maxNodeCountFixedAtCreation: true,
  /** Kubernetes' default pods per node. */
  maxPodsPerNode: 110,
  /** Control plane and default-worker flavor in 2i2c's template. */
  controlPlaneFlavor: 'm3.small',
  defaultWorkerFlavor: 'm3.small',
} as const;

/** Why Magnum would reject `flavor` for a node group, or null. */
export function capiRejects(flavor: Flavor): string | null {
  if (flavor.vcpus < MAGNUM_CAPI.minFlavorVcpus) {
    return `${flavor.name} has ${flavor.vcpus} vCPU; Magnum's CAPI driver needs >= ${MAGNUM_CAPI.minFlavorVcpus}`;
  }
  if (flavor.ramGiB * 1024 < MAGNUM_CAPI.minFlavorRamMiB) {
    return `${flavor.name} has ${flavor.ramGiB} GB RAM; Magnum's CAPI driver needs >= 2 GB`;
  }
  return null;
}

/** One resource's default quota. */
export interface Quota {
  cores: number;
  ramGB: number;
  floatingIps: number;
}

/** Default quotas per allocation type and resource (docs /general/quotas). */
export const DEFAULT_QUOTAS: Readonly<
  Record<'startup' | 'education' | 'trial', Partial<Record<ResourceClass, Quota>>>
> = {
  startup: {
    cpu: { cores: 150, ramGB: 585, floatingIps: 10 },
    gpu: { cores: 64, ramGB: 250, floatingIps: 4 },
    'large-memory': { cores: 128, ramGB: 1000, floatingIps: 2 },
  },
  education: {
    cpu: { cores: 200, ramGB: 780, floatingIps: 25 },
    gpu: { cores: 320, ramGB: 1250, floatingIps: 25 },
    'large-memory': { cores: 128, ramGB: 1000, floatingIps: 2 },
  },
  trial: { cpu: { cores: 2, ramGB: 6, floatingIps: 2 } },
};

/** ACCESS credit tiers (1 credit = 1 SU). Maximize is not awarded in credits. */
export const ACCESS_TIERS = [
  { name: 'Explore', credits: 400_000 },
  { name: 'Discover', credits: 1_500_000 },
  { name: 'Accelerate', credits: 3_000_000 },
] as const;

export const HOURS_PER_YEAR = 24 * 365;
