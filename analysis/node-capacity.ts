/**
 * What a node offers to user pods: flavor capacity, less what the kubelet reserves, less what the
 * node's daemonsets request; and how many users fit (capacity.md §8 formula 2).
 */
import type { Flavor } from './catalogue.js';
import { MAGNUM_CAPI } from './catalogue.js';

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** Requests of one pod, or room on a node: cores and bytes (and pod slots). */
export interface Resources {
  cpu: number;
  memory: number;
}

/** Room on one node for pods we schedule, after the system's share. */
export interface NodeRoom extends Resources {
  pods: number;
}

/** Per-node requests of the system: daemonsets and other pods that land on every node. */
export interface NodeOverhead extends Resources {
  pods: number;
}

/**
 * Default daemonset overhead on a Jetstream2 CAPI worker: calico-node requests 250m; kube-proxy and
 * the Cinder CSI node plugin request little; 2i2c measured 0.195–0.47 CPU and 262–812 MB on other
 * clouds (capacity.md §3.3). 0.3 CPU, 512 MiB, 5 pods; calibrate with a cluster's own figures.
 */
export const DEFAULT_NODE_OVERHEAD: Readonly<NodeOverhead> = { cpu: 0.3, memory: 512 * MiB, pods: 5 };

/**
 * CPU the kubelet reserves (kube-reserved), in cores, by the tiered rule GKE documents and most
 * managed distributions copy: 6 % of the first core, 1 % of the second, 0.5 % of cores 3–4 and
 * 0.25 % of every core above 4:
 *   r(n) = 0.06·min(n,1) + 0.01·clamp(n−1, 0, 1) + 0.005·clamp(n−2, 0, 2) + 0.0025·max(n−4, 0)
 * (16 cores: 0.06 + 0.01 + 0.01 + 0.03 = 0.11).
 */
export function reservedCpu(vcpus: number): number {
  const clamp = (x: number, hi: number) => Math.min(Math.max(x, 0), hi);
  return (
    0.06 * clamp(vcpus, 1) +
    0.01 * clamp(vcpus - 1, 1) +
    0.005 * clamp(vcpus - 2, 2) +
    0.0025 * clamp(vcpus - 4, Infinity)
  );
}

/**
 * Memory the kubelet reserves, in bytes, by the same tiered rule: 25 % of the first 4 GiB, 20 % of
 * the next 4, 10 % of the next 8, 6 % of the next 112 and 2 % above 128 GiB, plus the 100 MiB hard
 * eviction threshold:
 *   r(m) = Σ_tiers rate_i · clamp(m − lo_i, 0, hi_i − lo_i) + 100 MiB
 * (60 GiB: 1 + 0.8 + 0.8 + 0.06·44 = 5.24 GiB, + 100 MiB).
 */
export function reservedMemory(bytes: number): number {
  const tiers: [number, number, number][] = [
    [0, 4, 0.25],
    [4, 8, 0.2],
    [8, 16, 0.1],
    [16, 128, 0.06],
    [128, Infinity, 0.02],
  ];
  let reserved = 0;
  for (const [lo, hi, rate] of tiers) {
    reserved += rate * Math.min(Math.max(bytes - lo * GiB, 0), (hi - lo) * GiB);
  }
  return reserved + 100 * MiB;
}

/**
 * Room for our pods on one node of `flavor`:
 *   cpu    = vCPU − reservedCpu(vCPU) − overhead.cpu
 *   memory = RAM − reservedMemory(RAM) − overhead.memory        (RAM = ramGiB · 2^30 bytes)
 *   pods   = 110 − overhead.pods
 * Negative results are clamped to 0.
 */
export function nodeRoom(flavor: Flavor, overhead: NodeOverhead = DEFAULT_NODE_OVERHEAD): NodeRoom {
  const ram = flavor.ramGiB * GiB;
  return {
    cpu: Math.max(0, flavor.vcpus - reservedCpu(flavor.vcpus) - overhead.cpu),
    memory: Math.max(0, ram - reservedMemory(ram) - overhead.memory),
    pods: Math.max(0, MAGNUM_CAPI.maxPodsPerNode - overhead.pods),
  };
}

export interface Fit {
  /** Pods of size `request` that fit on one node. */
  perNode: number;
  /** The resource that limits it. */
  boundBy: 'memory' | 'cpu' | 'pods';
}

/** A tolerance for floating-point sums of requests (1e-9 of a core or a byte is nothing). */
const EPS = 1e-9;

/**
 * Pods per node: min(⌊room.memory / request.memory⌋, ⌊room.cpu / request.cpu⌋, room.pods);
 * a zero request does not bind. Ties name memory first, then cpu.
 */
export function podsPerNode(room: NodeRoom, request: Resources): Fit {
  const by = (have: number, need: number) => (need > 0 ? Math.floor(have / need + EPS) : Infinity);
  const memory = by(room.memory, request.memory);
  const cpu = by(room.cpu, request.cpu);
  const perNode = Math.min(memory, cpu, room.pods);
  const boundBy = perNode === memory ? 'memory' : perNode === cpu ? 'cpu' : 'pods';
  return { perNode, boundBy };
}
