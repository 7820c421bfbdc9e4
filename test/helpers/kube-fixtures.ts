/**
 * Realistic Kubernetes objects for observer tests, shaped like what a Jetstream2 Magnum (CAPI)
 * cluster running z2jh/BinderHub serves: nodes labelled capi.stackhpc.com/node-group (capacity.md
 * §1.6), user servers `jupyter-<user>` (component singleuser-server, hub.jupyter.org/username),
 * placeholders `user-placeholder-N`, and the events the scheduler, cluster-autoscaler and kubelet
 * write. Times are ms after T0 (a fixed wall-clock instant), so tests can state exact figures.
 */
import type { KubeObj } from './fake-kube-api.js';

export const T0 = Date.parse('2026-03-05T14:00:00Z');
export const NS = 'binder';
export const iso = (ms: number) => new Date(T0 + ms).toISOString();
export const IMAGE = 'quay.io/projectpythia/binder-image:2026.03.01';

export function node(name: string, o: { group: string; created: number; readyAt?: number }): KubeObj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: iso(o.created),
      labels: {
        'capi.stackhpc.com/node-group': o.group,
        'capi.stackhpc.com/cluster': 'pythia-binder',
        'capi.stackhpc.com/component': 'worker',
        'kubernetes.io/hostname': name,
      },
    },
    spec: { providerID: `openstack:///${name}` },
    status: {
      allocatable: { cpu: '15800m', memory: '61Gi', pods: '110' },
      conditions: [
        o.readyAt === undefined
          ? { type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastTransitionTime: iso(o.created) }
          : { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: iso(o.readyAt) },
      ],
    },
  };
}

interface PodTimes {
  created: number;
  node?: string;
  scheduledAt?: number;
  readyAt?: number;
  phase?: string;
}

function podStatus(o: PodTimes) {
  const conditions: Record<string, string>[] = [];
  if (o.node && o.scheduledAt !== undefined) {
    conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: iso(o.scheduledAt) });
  } else {
    conditions.push({
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      lastTransitionTime: iso(o.created),
    });
  }
  if (o.readyAt !== undefined)
    conditions.push({ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readyAt) });
  return { phase: o.phase ?? (o.readyAt !== undefined ? 'Running' : 'Pending'), conditions };
}

export function userPod(user: string, o: PodTimes): KubeObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `jupyter-${user}`,
      namespace: NS,
      uid: `uid-jupyter-${user}`,
      creationTimestamp: iso(o.created),
      labels: {
        app: 'jupyterhub',
        component: 'singleuser-server',
        release: 'binderhub',
        'hub.jupyter.org/network-access-hub': 'true',
        'hub.jupyter.org/username': user,
      },
      annotations: { 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '' },
    },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      nodeSelector: { 'capi.stackhpc.com/node-group': 'user-m3-large' },
      containers: [{ name: 'notebook', image: IMAGE }],
    },
    status: podStatus(o),
  };
}

export function placeholderPod(i: number, o: PodTimes): KubeObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `user-placeholder-${i}`,
      namespace: NS,
      uid: `uid-user-placeholder-${i}-${o.created}`,
      creationTimestamp: iso(o.created),
      labels: { app: 'jupyterhub', component: 'user-placeholder', release: 'binderhub' },
    },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      priorityClassName: 'binderhub-user-placeholder-priority',
    },
    status: podStatus(o),
  };
}

let eventSeq = 0;
/** A core/v1 Event about a pod, as scheduler / cluster-autoscaler / kubelet write them. */
export function podEvent(
  reason: string,
  pod: KubeObj,
  at: number,
  message: string,
  o: { count?: number; last?: number; type?: 'Normal' | 'Warning' } = {},
): KubeObj {
  eventSeq += 1;
  const source: Record<string, string> = {
    Scheduled: 'default-scheduler',
    FailedScheduling: 'default-scheduler',
    Preempted: 'default-scheduler',
    TriggeredScaleUp: 'cluster-autoscaler',
  };
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${pod.metadata.name}.${(0x17a0b2c3d4 + eventSeq).toString(16)}`,
      namespace: NS,
      uid: `uid-event-${eventSeq}`,
      creationTimestamp: iso(at),
    },
    involvedObject: { kind: 'Pod', namespace: NS, name: pod.metadata.name, uid: pod.metadata.uid },
    reason,
    message,
    source: { component: source[reason] ?? 'kubelet' },
    firstTimestamp: iso(at),
    lastTimestamp: iso(o.last ?? at),
    count: o.count ?? 1,
    type: o.type ?? (reason === 'FailedScheduling' ? 'Warning' : 'Normal'),
  };
}

export const MSG = {
  failedScheduling:
    "0/3 nodes are available: 1 Insufficient memory, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
  scaleUp:
    'pod triggered scale-up: [{MachineDeployment/pythia-binder/pythia-binder-user-m3-large 1->2 (max: 100)}]',
  scheduled: (pod: string, node: string) => `Successfully assigned ${NS}/${pod} to ${node}`,
  pulling: `Pulling image "${IMAGE}"`,
  pulled: (s: string) =>
    `Successfully pulled image "${IMAGE}" in ${s} (${s} including waiting). Image size: 3512345678 bytes.`,
  present: `Container image "${IMAGE}" already present on machine`,
  preempted:
    'Preempted by pod 7d1c2b90-5f3e-4b8a-9c1d-2e3f4a5b6c7d on node pythia-binder-user-m3-large-x7k2p-0',
};
