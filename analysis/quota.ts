/**
 * The quota check (capacity.md §1.5, §8 formula 5): what the cluster can grow to, against an
 * allocation's default quotas, per resource class (CPU, GPU and large-memory quotas are separate).
 * Cores and RAM count every node group at its max_node_count (fixed at creation on Jetstream2, so
 * the quota must allow it from day one); floating IPs count the load balancers Magnum and the hub
 * create.
 */
import { DEFAULT_QUOTAS, type Flavor, type Quota, type ResourceClass } from './catalogue.js';

export type Allocation = keyof typeof DEFAULT_QUOTAS;

export interface QuotaGroup {
  name: string;
  flavor: Flavor;
  maxNodes: number;
}

export interface QuotaLine {
  resource: ResourceClass;
  what: keyof Quota;
  need: number;
  quota: number;
  ok: boolean;
}

export interface QuotaCheck {
  allocation: Allocation;
  lines: QuotaLine[];
  ok: boolean;
  /** What to ask Jetstream2 for, one line per quota that is too small. */
  requests: string[];
}

/**
 * Floating IPs: Magnum's Octavia API load balancer (always created by the CAPI driver) and the
 * hub's proxy-public LoadBalancer service.
 */
export const FLOATING_IPS_NEEDED = 2;

const LABEL: Record<keyof Quota, string> = { cores: 'cores', ramGB: 'GB RAM', floatingIps: 'floating IPs' };

/**
 * need.cores[class] = Σ_groups of that class maxNodes · vCPU;  need.ramGB[class] = Σ maxNodes · RAM;
 * need.floatingIps[cpu] = 2. A line is ok when need <= quota.
 */
export function quotaCheck(groups: readonly QuotaGroup[], allocation: Allocation = 'startup'): QuotaCheck {
  const need = new Map<ResourceClass, Quota>();
  for (const g of groups) {
    const q = need.get(g.flavor.resource) ?? { cores: 0, ramGB: 0, floatingIps: 0 };
    q.cores += g.maxNodes * g.flavor.vcpus;
    q.ramGB += g.maxNodes * g.flavor.ramGiB;
    need.set(g.flavor.resource, q);
  }
  const cpu = need.get('cpu') ?? { cores: 0, ramGB: 0, floatingIps: 0 };
  cpu.floatingIps = FLOATING_IPS_NEEDED;
  need.set('cpu', cpu);
  const lines: QuotaLine[] = [];
  const requests: string[] = [];
  for (const [resource, q] of need) {
    const quota = DEFAULT_QUOTAS[allocation][resource];
    for (const what of ['cores', 'ramGB', 'floatingIps'] as const) {
      if (what === 'floatingIps' && resource !== 'cpu') continue;
      const have = quota?.[what] ?? 0;
      const ok = q[what] <= have;
      lines.push({ resource, what, need: q[what], quota: have, ok });
      if (!ok) {
        requests.push(
          `${resource.toUpperCase()} ${LABEL[what]}: ${have} by default (${allocation}) → request ${q[what]}`,
        );
      }
    }
  }
  return { allocation, lines, ok: requests.length === 0, requests };
}
