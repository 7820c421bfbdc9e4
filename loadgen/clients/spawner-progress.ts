/**
 * Turning JupyterHub / KubeSpawner progress messages into typed sub-phase marks.
 *
 * Where the texts come from (read from source, not guessed):
 * - JupyterHub `Spawner._generate_progress` yields "Server requested"; the base `Spawner.progress`
 *   yields "Spawning server..." (local spawners); `/progress` ends with "Server ready at <url>" or
 *   "Spawn failed: <msg>" / "Spawn cancelled" (jupyterhub/apihandlers/users.py).
 * - KubeSpawner `progress()` forwards each Kubernetes event of the pod as
 *   `"%s [%s] %s" % (lastTimestamp or eventTime, type, message)`, e.g.
 *   `2023-10-09T06:46:53Z [Normal] Started container notebook`. Before kubespawner 0.14 (2020) the
 *   timestamp was a Python datetime, printed as `2019-02-01 10:00:00+00:00`; when both fields are
 *   null it prints `None`.
 * - kube-scheduler: `Successfully assigned <ns>/<pod> to <node>`; FailedScheduling
 *   `0/3 nodes are available: 3 Insufficient cpu. preemption: ...`.
 * - cluster-autoscaler (processors/status/eventing_scale_up_processor.go):
 *   `pod triggered scale-up: [{<group> 1->2 (max: 10)}]` (ScaleUpInfo.String) and
 *   `pod didn't trigger scale-up: <reasons>`; older releases wrote
 *   `pod triggered scale-up, group: <group>, sizes (current/new): 3/4`.
 * - kubelet (pkg/kubelet/images/image_manager.go, kuberuntime_container.go), three generations:
 *   `Successfully pulled image "x" in 3.2s` (≤1.27), `... in 1m2.5s (1m2.5s including waiting)`,
 *   `... (1m2.5s including waiting). Image size: 123 bytes.`; `Container image "x" already present
 *   on machine[ and can be accessed by the pod]`; `Created container[:] <name>` /
 *   `Started container <name>`, and since 1.35 `Container created` / `Container started` (the
 *   container name moved to the event's fieldPath, which BinderHub does not forward).
 */

export interface ScaleUpGroup {
  group: string;
  from: number;
  to: number;
  max?: number;
}

export type SpawnerMarkBody =
  | { kind: 'server-requested' }
  | { kind: 'spawning' }
  | { kind: 'failed-scheduling'; detail: string; nodesAvailable?: number; nodesTotal?: number }
  | { kind: 'scale-up'; groups: ScaleUpGroup[] }
  | { kind: 'no-scale-up'; detail: string }
  | { kind: 'assigned'; node: string; pod: string; namespace?: string }
  | { kind: 'pulling'; image: string }
  | { kind: 'pulled'; image: string; durationMs: number; includingWaitingMs?: number; sizeBytes?: number }
  | { kind: 'image-present'; image: string }
  | { kind: 'pull-failed'; image: string; detail: string }
  | { kind: 'created'; container?: string }
  | { kind: 'started'; container?: string }
  | { kind: 'server-ready'; path: string }
  | { kind: 'spawn-failed'; detail: string };

export type SpawnerMarkKind = SpawnerMarkBody['kind'];

/** A parsed progress message; `eventTime` (ISO) and `eventType` come from KubeSpawner's prefix. */
export type SpawnerMark = SpawnerMarkBody & { eventTime?: string; eventType?: string };

// `<timestamp> ` or `None ` then `[Type] `, each optional.
const PREFIX =
  /^(?:(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?|None)\s+)?(?:\[([A-Za-z]+)\]\s+)?/;

/** Parses one progress message; null when it is none of the known kinds. */
export function parseSpawnerMessage(message: string): SpawnerMark | null {
  const m = PREFIX.exec(message.trim());
  const stamp = m?.[1];
  const eventType = m?.[2];
  const text = message.trim().slice(m?.[0].length ?? 0);
  const body = parseText(text);
  if (body === null) return null;
  const mark: SpawnerMark = { ...body };
  const eventTime = stamp === undefined ? undefined : toIso(stamp);
  if (eventTime !== undefined) mark.eventTime = eventTime;
  if (eventType !== undefined) mark.eventType = eventType;
  return mark;
}

const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const SCALE_UP_INFO = /\{(\S+) (\d+)->(\d+) \(max: (\d+)\)\}/g;
const PULLED = new RegExp(
  `^Successfully pulled image ${QUOTED} in (\\S+)(?: \\((\\S+) including waiting\\))?(?:\\. Image size: (\\d+) bytes\\.)?`,
);

type Rule = [RegExp, (m: RegExpExecArray, text: string) => SpawnerMarkBody | null];

/** First matching rule wins; `m[i]` are the rule's capture groups. */
const RULES: Rule[] = [
  [/^Server requested$/, () => ({ kind: 'server-requested' })],
  [/^Spawning server\.\.\.$/, () => ({ kind: 'spawning' })],
  [/^Successfully assigned (?:([^/\s]+)\/)?(\S+) to (\S+)$/, assigned],
  [
    /^(\d+)\/(\d+) nodes are available/,
    (m, text) => ({ ...scheduling(text), nodesAvailable: num(m[1]), nodesTotal: num(m[2]) }),
  ],
  [/^no nodes available to schedule pods/, (_, text) => scheduling(text)],
  [/^pod triggered scale-up: \[(.*)\]$/, (m) => ({ kind: 'scale-up', groups: scaleUpGroups(m[1] ?? '') })],
  [
    /^pod triggered scale-up, group: (\S+), sizes \(current\/new\): (\d+)\/(\d+)/,
    (m) => ({ kind: 'scale-up', groups: [{ group: str(m[1]), from: num(m[2]), to: num(m[3]) }] }),
  ],
  [/^pod didn't trigger scale-up:?\s*(.*)$/s, (m) => ({ kind: 'no-scale-up', detail: str(m[1]).trim() })],
  [new RegExp(`^Pulling image ${QUOTED}$`), (m) => ({ kind: 'pulling', image: unquote(m[1]) })],
  [PULLED, pulled],
  [
    new RegExp(`^Container image ${QUOTED} already present on machine`),
    (m) => ({ kind: 'image-present', image: unquote(m[1]) }),
  ],
  [
    new RegExp(`^Failed to pull image ${QUOTED}: (.*)$`, 's'),
    (m) => ({ kind: 'pull-failed', image: unquote(m[1]), detail: str(m[2]) }),
  ],
  [/^(?:Created container:? (\S+)|Container created)$/, (m) => withContainer('created', m[1])],
  [/^(?:Started container:? (\S+)|Container started)$/, (m) => withContainer('started', m[1])],
  [/^Server ready at (\S+)$/, (m) => ({ kind: 'server-ready', path: str(m[1]) })],
  [/^Spawn failed(?:: (.*))?$/s, (m) => ({ kind: 'spawn-failed', detail: str(m[1]) })],
  [/^Spawn cancelled$/, () => ({ kind: 'spawn-failed', detail: 'cancelled' })],
];

function parseText(text: string): SpawnerMarkBody | null {
  for (const [re, build] of RULES) {
    const m = re.exec(text);
    if (m) return build(m, text);
  }
  return null;
}

function assigned(m: RegExpExecArray): SpawnerMarkBody {
  const mark: SpawnerMarkBody = { kind: 'assigned', node: str(m[3]), pod: str(m[2]) };
  if (m[1] !== undefined) mark.namespace = m[1];
  return mark;
}

function scheduling(detail: string): SpawnerMarkBody & { kind: 'failed-scheduling' } {
  return { kind: 'failed-scheduling', detail };
}

function withContainer(kind: 'created' | 'started', container: string | undefined): SpawnerMarkBody {
  return container === undefined ? { kind } : { kind, container };
}

function scaleUpGroups(list: string): ScaleUpGroup[] {
  return [...list.matchAll(SCALE_UP_INFO)].map((g) => ({
    group: str(g[1]),
    from: num(g[2]),
    to: num(g[3]),
    max: num(g[4]),
  }));
}

function pulled(m: RegExpExecArray): SpawnerMarkBody | null {
  const durationMs = parseGoDuration(str(m[2]));
  if (durationMs === null) return null;
  const mark: SpawnerMarkBody = { kind: 'pulled', image: unquote(m[1]), durationMs };
  if (m[3] !== undefined) {
    const waiting = parseGoDuration(m[3]);
    if (waiting !== null) mark.includingWaitingMs = waiting;
  }
  if (m[4] !== undefined) mark.sizeBytes = Number(m[4]);
  return mark;
}

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5, what Go prints
  μs: 1e-3, // U+03BC, which Go also accepts
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go's time.Duration.String() → milliseconds: a sequence of <decimal><unit> terms, summed
 * (`1h2m3.5s` = 3_600_000 + 120_000 + 3_500 = 3_723_500 ms), optional leading `-`, `0s` = 0.
 * Null when the text is not a Go duration.
 */
export function parseGoDuration(text: string): number | null {
  const s = text.startsWith('-') ? text.slice(1) : text;
  if (s === '0') return 0;
  const term = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < s.length) {
    term.lastIndex = at;
    const m = term.exec(s);
    if (!m) return null;
    total += Number(m[1]) * (GO_UNIT_MS[m[2] as string] as number);
    at = term.lastIndex;
  }
  if (at === 0) return null;
  return text.startsWith('-') ? -total : total;
}

function unquote(quoted: string | undefined): string {
  return (quoted ?? '').replace(/\\(.)/g, '$1');
}

/** Both KubeSpawner timestamp styles → ISO 8601 (UTC, millisecond precision). */
function toIso(stamp: string): string | undefined {
  if (stamp === 'None') return undefined;
  let s = stamp.replace(' ', 'T');
  if (!/(?:Z|[+-]\d{2}:?\d{2})$/.test(s)) s += 'Z';
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function str(s: string | undefined): string {
  return s ?? '';
}

function num(s: string | undefined): number {
  return Number(s);
}
