/**
 * The cluster autoscaler's own account of itself: ConfigMap `kube-system/cluster-autoscaler-status`,
 * key `status`, which cluster-autoscaler writes every loop into the cluster it scales. On Magnum's
 * CAPI driver the autoscaler runs in Jetstream2's management cluster (capi-helm-charts
 * templates/autoscaler/deployment.yaml: `--cloud-provider=clusterapi`, `--kubeconfig` = this cluster),
 * so this ConfigMap is the only view of it a project has — the first thing that broke for 2i2c on
 * Jetstream2 (2i2c-org/infrastructure#5601: a capi_helm_chart_version mismatch stopped autoscaling).
 *
 * Two formats: YAML (cluster-autoscaler >= 1.30; the ClusterAutoscalerStatus type of
 * kubernetes/autoscaler cluster-autoscaler/clusterstate/api/types.go) and the older text
 * ("NodeGroups:\n  Name: … Health: Healthy (ready=… cloudProviderTarget=N (minSize=a, maxSize=b))").
 * Node groups of the clusterapi provider are named `MachineDeployment/<namespace>/<name>`, the name
 * ending in `-<Magnum node group>` (capi-helm-charts machine-deployment.yaml componentName). Pure.
 */
import { parse } from 'yaml';

export interface GroupStatus {
  name: string;
  health: string;
  ready: number;
  target: number;
  minSize: number;
  maxSize: number;
  scaleUp: string;
  backoff?: { errorCode?: string; errorMessage?: string };
}

export interface AutoscalerStatus {
  /** Running or Initializing (absent in the text format). */
  autoscalerStatus?: string;
  /** When the autoscaler wrote it (ms), if it says. */
  time?: number;
  clusterHealth: string;
  groups: GroupStatus[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const int = (v: unknown): number => (typeof v === 'number' ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Go's default time format (`2026-10-02 14:29:22.999645779 +0000 UTC`) or RFC 3339, to ms. */
export function parseGoTime(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?: ?([+-]\d{2}):?(\d{2}))?/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const zone = m[3] ? `${m[3]}:${m[4]}` : 'Z';
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseAutoscalerStatus(text: string): AutoscalerStatus {
  if (/^\s*autoscalerStatus:/m.test(text) || /^\s*nodeGroups:/m.test(text)) return parseYaml(text);
  return parseLegacy(text);
}

function parseYaml(text: string): AutoscalerStatus {
  const doc = obj(parse(text));
  const groups = (Array.isArray(doc.nodeGroups) ? doc.nodeGroups : []).map((g): GroupStatus => {
    const health = obj(obj(g).health);
    const scaleUp = obj(obj(g).scaleUp);
    const backoff = obj(scaleUp.backoffInfo);
    return {
      name: str(obj(g).name),
      health: str(health.status),
      ready: int(obj(obj(health.nodeCounts).registered).ready),
      target: int(health.cloudProviderTarget),
      minSize: int(health.minSize),
      maxSize: int(health.maxSize),
      scaleUp: str(scaleUp.status),
      ...(backoff.errorCode || backoff.errorMessage
        ? { backoff: { errorCode: str(backoff.errorCode), errorMessage: str(backoff.errorMessage) } }
        : {}),
    };
  });
  const time = parseGoTime(str(doc.time));
  return {
    autoscalerStatus: str(doc.autoscalerStatus),
    ...(time !== undefined ? { time } : {}),
    clusterHealth: str(obj(obj(doc.clusterWide).health).status),
    groups,
  };
}

function parseLegacy(text: string): AutoscalerStatus {
  const time = /status at (.+?):\s*$/m.exec(text)?.[1];
  const [cluster = '', nodeGroups = ''] = text.split(/^NodeGroups:\s*$/m);
  const clusterHealth = /Health:\s+(\w+)/.exec(cluster)?.[1] ?? '';
  const groups: GroupStatus[] = [];
  for (const block of nodeGroups.split(/^\s+Name:\s+/m).slice(1)) {
    const health =
      /Health:\s+(\w+) \(ready=(\d+).*?cloudProviderTarget=(\d+) \(minSize=(\d+), maxSize=(\d+)\)\)/.exec(
        block,
      );
    groups.push({
      name: block.split('\n')[0]?.trim() ?? '',
      health: health?.[1] ?? '',
      ready: Number(health?.[2] ?? 0),
      target: Number(health?.[3] ?? 0),
      minSize: Number(health?.[4] ?? 0),
      maxSize: Number(health?.[5] ?? 0),
      scaleUp: /ScaleUp:\s+(\w+)/.exec(block)?.[1] ?? '',
    });
  }
  const ms = time ? parseGoTime(time) : undefined;
  return { ...(ms !== undefined ? { time: ms } : {}), clusterHealth, groups };
}

/** The status entry of a Magnum node group: `MachineDeployment/<ns>/<release>-<group>`. */
export function findGroup(status: AutoscalerStatus, group: string): GroupStatus | undefined {
  return status.groups.find(
    (g) => g.name === group || g.name.endsWith(`-${group}`) || g.name.endsWith(`/${group}`),
  );
}
