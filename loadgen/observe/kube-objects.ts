/**
 * Pure readers of the Kubernetes objects the observer watches (nodes, pods, core/v1 events) and
 * of the units they carry (Go durations in kubelet messages, resource quantities in metrics).
 *
 * The objects come two ways: client-node's typed list calls deserialise timestamps into `Date`,
 * its Watch hands raw JSON with RFC 3339 strings. Every reader here takes either (`toMs`).
 */

export const NODE_GROUP_LABEL = 'capi.stackhpc.com/node-group';
export const USERNAME_KEY = 'hub.jupyter.org/username';
export const NO_GROUP = '(none)';

export type PodKind = 'user' | 'placeholder' | 'build' | 'other';

/** A loosely typed Kubernetes object: what both paths (typed list, raw watch) have in common. */
export interface KubeObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: Date | string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** Date, RFC 3339 string or epoch ms → epoch ms; undefined for anything else. */
export function toMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.getTime();
  if (typeof v === 'string' && v !== '') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export interface NodeFacts {
  name: string;
  uid: string;
  group: string;
  created?: number;
  ready: boolean;
  /** lastTransitionTime of the Ready condition (epoch ms), when it is True. */
  readySince?: number;
}

interface Condition {
  type?: string;
  status?: string;
  lastTransitionTime?: Date | string;
}

const condition = (conds: unknown, type: string): Condition | undefined =>
  Array.isArray(conds) ? (conds as Condition[]).find((c) => c?.type === type) : undefined;

export function nodeFacts(obj: KubeObject & { status?: { conditions?: unknown } }): NodeFacts {
  const md = obj.metadata ?? {};
  const ready = condition(obj.status?.conditions, 'Ready');
  const isReady = ready?.status === 'True';
  const since = isReady ? toMs(ready?.lastTransitionTime) : undefined;
  const created = toMs(md.creationTimestamp);
  return {
    name: md.name ?? '',
    uid: md.uid ?? md.name ?? '',
    group: md.labels?.[NODE_GROUP_LABEL] ?? NO_GROUP,
    ...(created === undefined ? {} : { created }),
    ready: isReady,
    ...(since === undefined ? {} : { readySince: since }),
  };
}

export interface PodFacts {
  name: string;
  uid: string;
  kind: PodKind;
  /** For user pods: the JupyterHub user name. */
  user?: string;
  nodeName?: string;
  phase: string;
  created?: number;
  scheduledAt?: number;
  readyAt?: number;
}

/**
 * z2jh labels: user servers `component: singleuser-server`, placeholders `component:
 * user-placeholder`; BinderHub build pods `component: binderhub-build` (name `build-…`). The user
 * name: KubeSpawner's annotation hub.jupyter.org/username holds it unescaped (the label of the
 * same name is escaped to fit label syntax), else the label, else the pod name after `jupyter-`.
 */
export function podFacts(
  obj: KubeObject & { spec?: { nodeName?: string }; status?: { phase?: string; conditions?: unknown } },
): PodFacts {
  const md = obj.metadata ?? {};
  const name = md.name ?? '';
  const component = md.labels?.component;
  const kind: PodKind =
    component === 'singleuser-server'
      ? 'user'
      : component === 'user-placeholder'
        ? 'placeholder'
        : component === 'binderhub-build' || name.startsWith('build-')
          ? 'build'
          : 'other';
  const user =
    kind === 'user'
      ? (md.annotations?.[USERNAME_KEY] ?? md.labels?.[USERNAME_KEY] ?? name.replace(/^jupyter-/, ''))
      : undefined;
  const conds = obj.status?.conditions;
  const scheduled = condition(conds, 'PodScheduled');
  const ready = condition(conds, 'Ready');
  const scheduledAt = scheduled?.status === 'True' ? toMs(scheduled.lastTransitionTime) : undefined;
  const readyAt = ready?.status === 'True' ? toMs(ready.lastTransitionTime) : undefined;
  const created = toMs(md.creationTimestamp);
  const nodeName = obj.spec?.nodeName;
  return {
    name,
    uid: md.uid ?? name,
    kind,
    ...(user === undefined ? {} : { user }),
    ...(nodeName ? { nodeName } : {}),
    phase: obj.status?.phase ?? 'Pending',
    ...(created === undefined ? {} : { created }),
    ...(scheduledAt === undefined ? {} : { scheduledAt }),
    ...(readyAt === undefined ? {} : { readyAt }),
  };
}

export interface EventFacts {
  uid: string;
  reason: string;
  message: string;
  kind: string;
  objectName: string;
  objectUid?: string;
  /** First and last occurrence (epoch ms); count of occurrences (events are deduplicated by count). */
  first?: number;
  last?: number;
  count: number;
}

export function eventFacts(obj: KubeObject & Record<string, unknown>): EventFacts {
  const md = obj.metadata ?? {};
  const involved = (obj.involvedObject ?? {}) as { kind?: string; name?: string; uid?: string };
  const series = obj.series as { count?: number; lastObservedTime?: unknown } | undefined;
  // core/v1 events from old components fill first/lastTimestamp; new ones (events.k8s.io writers)
  // leave them null and set eventTime (+ series for repeats).
  const first = toMs(obj.firstTimestamp) ?? toMs(obj.eventTime) ?? toMs(md.creationTimestamp);
  const last = toMs(series?.lastObservedTime) ?? toMs(obj.lastTimestamp) ?? first;
  const count = typeof obj.count === 'number' ? obj.count : (series?.count ?? 1);
  return {
    uid: md.uid ?? `${md.name ?? ''}`,
    reason: typeof obj.reason === 'string' ? obj.reason : '',
    message: typeof obj.message === 'string' ? obj.message : '',
    kind: involved.kind ?? '',
    objectName: involved.name ?? '',
    ...(involved.uid ? { objectUid: involved.uid } : {}),
    ...(first === undefined ? {} : { first }),
    ...(last === undefined ? {} : { last }),
    count,
  };
}

const GO_UNITS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  ns: 1e-6,
};

/**
 * A Go time.Duration string (`41.2s`, `1m2.5s`, `812ms`, `1h0m3s`) → ms; undefined if it is not one.
 * Sum of number×unit terms; `m` must not swallow the `m` of `ms` (longest unit first in the regex).
 */
export function parseGoDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(h|ms|us|µs|ns|m|s))+$/.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g)) {
    ms += Number(m[1]) * (GO_UNITS[m[2] as string] as number);
  }
  return Math.round(ms * 1000) / 1000;
}

export interface PulledMessage {
  image: string;
  ms: number;
  withWaitMs?: number;
  cached: boolean;
}

/**
 * kubelet's `Pulled` event messages (pkg/kubelet/images/image_manager.go):
 *   Successfully pulled image "img" in 41.2s (41.2s including waiting)      (1.28+; 1.30+ adds ". Image size: N bytes.")
 *   Successfully pulled image "img" in 41.2s                                (older)
 *   Container image "img" already present on machine                       (cached: 0 ms)
 */
export function parsePulledMessage(message: string): PulledMessage | undefined {
  const present = /^Container image "([^"]+)" already present on machine/.exec(message);
  if (present) return { image: present[1] as string, ms: 0, cached: true };
  const d = '(?:\\d+(?:\\.\\d+)?(?:h|ms|us|µs|ns|m|s))+';
  const pulled = new RegExp(
    `^Successfully pulled image "([^"]+)" in (${d})(?: \\((${d}) including waiting\\))?`,
  ).exec(message);
  if (!pulled) return undefined;
  const ms = parseGoDuration(pulled[2] as string);
  if (ms === undefined) return undefined;
  const withWait = pulled[3] === undefined ? undefined : parseGoDuration(pulled[3]);
  return {
    image: pulled[1] as string,
    ms,
    ...(withWait === undefined ? {} : { withWaitMs: withWait }),
    cached: false,
  };
}

const BYTE_SUFFIX: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
};

/**
 * A Kubernetes resource quantity (`123456Ki`, `1.5Gi`, `500M`, `250m`, `12345678n`, `1e3`) → a
 * plain number (bytes for memory, cores for CPU); undefined if it is not one.
 */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return undefined;
  const m = /^([+-]?\d+(?:\.\d+)?)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|k|M|G|T|m|u|n)?)$/.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * (BYTE_SUFFIX[m[3] ?? ''] as number);
}
