/**
 * The cluster autoscaler, one scan every `scanInterval` (capacity.md §4.3): scale a group up for its
 * unschedulable pods at or above the priority cutoff (-10: placeholders do trigger it), counting
 * nodes already on their way; scale it down when a node has held no user pod and stayed under the
 * utilisation threshold for `unneededTime`, never below `min`, never above `max`.
 */
import { utilisation } from './kubelet.js';
import { fits } from './resources.js';
import type { Node, Pod, World } from './world.js';

type Bin = { cpu: number; memory: number; pods: number };

/** One scan. Returns true when it changed or will change something (a scale-up, a node marked or removed). */
export function scan(w: World): boolean {
  // A quiet scan (nothing to add, mark or remove, no recent scale-up) repeats itself until a pod or
  // node changes: skip it.
  if (w.quietVersion === w.version) return false;
  let active = false;
  w.groups.forEach((_, g) => {
    const cutoff = w.m.autoscaler.priorityCutoff;
    const waiting = [...w.pending]
      .map((id) => w.pod(id))
      .filter((p) => p.group === g && p.phase === 'pending' && p.unschedulable && p.priority >= cutoff);
    if (waiting.length > 0) active = scaleUp(w, g, waiting) || active;
    else active = scaleDown(w, g) || active;
  });
  const settled = w.groups.every(
    (_, g) => w.now - (w.lastScaleUpAt[g] ?? Number.NEGATIVE_INFINITY) >= w.m.autoscaler.unneededTime,
  );
  const quiet = !active && settled && w.pending.size === 0 && w.provCount.every((n) => n === 0);
  w.quietVersion = quiet ? w.version : -1;
  return active;
}

/**
 * Nodes to add = bins opened by first-fit of the waiting pods, after first filling the free room
 * of nodes still provisioning; capped so that live nodes never exceed max:
 *   add = min(newBins, max − live)
 * Each new node is Ready after a node-ready draw; with a pre-puller it holds the image one pull
 * later.
 */
function scaleUp(w: World, g: number, waiting: Pod[]): boolean {
  const group = w.groups[g];
  if (!group) return false;
  const live = w.liveNodes(g);
  // Nothing changed since a check that added no node: it would add none again.
  if (w.idleScanVersion[g] === w.version) return w.provCount[g] !== 0;
  const room = group.room;
  const bins: Bin[] = live.filter((n) => !n.ready).map((n) => ({ ...w.free(n) }));
  const firstNew = bins.length;
  for (const pod of waiting) {
    let bin = bins.find((b) => fits(b, pod.request));
    if (!bin) {
      const empty = { ...room };
      if (!fits(empty, pod.request)) continue; // never fits: no node helps
      bin = empty;
      bins.push(bin);
    }
    bin.cpu -= pod.request.cpu;
    bin.memory -= pod.request.memory;
    bin.pods -= 1;
  }
  const add = Math.min(bins.length - firstNew, group.max - live.length);
  for (let i = 0; i < add; i++) {
    const readyAt = w.now + w.draw('node-ready', w.m.nodeReady);
    const imageAt = w.m.prePull ? readyAt + w.draw('pull', w.m.imagePull) : null;
    w.addNode(g, readyAt, imageAt);
  }
  if (add > 0) {
    w.scaleUps[g] = (w.scaleUps[g] ?? 0) + add;
    w.lastScaleUpAt[g] = w.now;
  } else w.idleScanVersion[g] = w.version;
  return add > 0 || live.some((n) => !n.ready);
}

/** Can every placeholder on `node` move to another Ready node of the group? (first-fit, tallied) */
function placeholdersCanMove(w: World, node: Node, others: Node[]): boolean {
  const free = others.map((n) => ({ ...w.free(n) }));
  for (const id of node.pods) {
    const pod = w.pod(id);
    const bin = free.find((b) => fits(b, pod.request));
    if (!bin) return false;
    bin.cpu -= pod.request.cpu;
    bin.memory -= pod.request.memory;
    bin.pods -= 1;
  }
  return true;
}

function scaleDown(w: World, g: number): boolean {
  const group = w.groups[g];
  if (!group) return false;
  const { unneededTime, utilizationThreshold } = w.m.autoscaler;
  const live = w.liveNodes(g);
  let count = live.length;
  const recentlyAdded = w.now - (w.lastScaleUpAt[g] ?? Number.NEGATIVE_INFINITY) < unneededTime;
  if (count <= group.min || recentlyAdded) {
    for (const node of live) node.unneededSince = null;
    return false;
  }
  let active = false;
  // Newest first: the nodes added last go first.
  for (let i = live.length - 1; i >= 0; i--) {
    const node = live[i];
    if (!node?.ready) continue;
    // Cheap tests first; the placeholder move is checked only for a node that passes them.
    const removable =
      count > group.min &&
      node.fixedPods === 0 &&
      utilisation(w, node) < utilizationThreshold &&
      (node.placeholders === 0 ||
        placeholdersCanMove(
          w,
          node,
          live.filter((n) => n !== node && n.ready),
        ));
    if (!removable) {
      node.unneededSince = null;
      continue;
    }
    active = true;
    node.unneededSince ??= w.now;
    if (w.now - node.unneededSince >= unneededTime) {
      removeNode(w, node);
      count -= 1;
    }
  }
  return active;
}

/** Drain and delete a node: its placeholders are recreated and scheduled elsewhere. */
function removeNode(w: World, node: Node): void {
  for (const id of [...node.pods]) {
    const pod = w.pod(id);
    w.unplace(pod);
    pod.phase = 'pending';
    pod.unschedulable = false;
    w.pending.add(pod.id);
  }
  w.removeNode(node);
}
