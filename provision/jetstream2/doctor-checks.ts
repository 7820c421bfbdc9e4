/**
 * `provision doctor`'s checks of what breaks on Jetstream2 (pure; doctor.ts fetches their inputs):
 *
 *   autoscaler    cluster-autoscaler-status: Running, fresh, Healthy, and per plan group managed with
 *                 maxSize >= the plan's max, healthy and not in scale-up backoff
 *   placeholders  no user placeholder pending for longer than a node takes to arrive
 *   certificate   the ingress's certificate is trusted and not about to expire
 */
import type { NodeGroupPlan } from '../../analysis/sizing-plan.js';
import { findGroup, parseAutoscalerStatus } from './autoscaler-status.js';

export interface DoctorCheck {
  name: 'api' | 'ready' | 'labels' | 'autoscaler' | 'placeholders' | 'binder' | 'certificate';
  ok: boolean;
  detail: string;
  hint?: string;
  unreachable?: boolean;
}

/** The autoscaler rewrites its status every loop (10 s by default): 10 min old means it stopped. */
export const STALE_STATUS_MS = 10 * 60_000;
/** A placeholder pending longer than this never got its node (nodes take ~10 min on Jetstream2). */
export const PENDING_PLACEHOLDER_MS = 15 * 60_000;
/** Let's Encrypt renews 30 days ahead; under 14 days left means renewal is failing. */
export const CERT_WARN_DAYS = 14;

const NO_AUTOSCALER_HINT =
  "Magnum runs the autoscaler in Jetstream2's management cluster only when the template or cluster " +
  'has auto_scaling_enabled=true, and it scales only with a capi_helm_chart_version Jetstream2 supports ' +
  '(2i2c-org/infrastructure#5601): check `openstack coe cluster show <cluster> -c labels`, then ask ' +
  'Jetstream2 support (help@jetstream-cloud.org) to look at the autoscaler of this cluster.';

export function autoscalerCheck(
  text: string | undefined,
  plan: NodeGroupPlan | undefined,
  now: number,
): DoctorCheck {
  const name = 'autoscaler';
  if (text === undefined) {
    return {
      name,
      ok: false,
      detail: 'no ConfigMap kube-system/cluster-autoscaler-status',
      hint: NO_AUTOSCALER_HINT,
    };
  }
  const s = parseAutoscalerStatus(text);
  const problems: string[] = [];
  const hints = new Set<string>();
  if (s.autoscalerStatus && s.autoscalerStatus !== 'Running')
    problems.push(`autoscaler ${s.autoscalerStatus}`);
  if (s.time !== undefined && now - s.time > STALE_STATUS_MS) {
    problems.push(`status last written ${Math.round((now - s.time) / 60_000)} min ago`);
    hints.add(NO_AUTOSCALER_HINT);
  }
  if (s.clusterHealth && s.clusterHealth !== 'Healthy') problems.push(`cluster ${s.clusterHealth}`);
  const found: string[] = [];
  for (const g of plan?.groups.filter((x) => x.autoscale) ?? []) {
    const st = findGroup(s, g.name);
    if (!st) {
      problems.push(`${g.name}: not managed by the autoscaler`);
      hints.add(NO_AUTOSCALER_HINT);
      continue;
    }
    found.push(`${g.name} ${st.ready}/${st.target} ready (min ${st.minSize}, max ${st.maxSize})`);
    if (st.maxSize < g.maxNodeCount) {
      problems.push(`${g.name}: maxSize ${st.maxSize} below the plan's ${g.maxNodeCount}`);
      hints.add(
        g.role === 'default-worker'
          ? "default-worker's bounds come from the cluster labels, fixed at creation: plan within them, or rebuild the cluster"
          : `raise it: openstack coe nodegroup update <cluster> ${g.name} replace max_node_count=${g.maxNodeCount} ` +
              '(or rehearse provision apply with this plan); check the quota covers it',
      );
    }
    if (st.health && st.health !== 'Healthy') problems.push(`${g.name}: ${st.health}`);
    if (st.scaleUp === 'Backoff') {
      const why = [st.backoff?.errorCode, st.backoff?.errorMessage].filter(Boolean).join(': ');
      problems.push(`${g.name}: scale-up in backoff${why ? ` (${why})` : ''}`);
      hints.add(
        'a scale-up failed and the autoscaler waits before trying again: most often the allocation is out ' +
          'of cores or RAM (openstack quota show; openstack server list shows machines in ERROR), or the ' +
          'flavor has no capacity left — fix that, and it retries after the backoff',
      );
    }
  }
  const summary = [s.autoscalerStatus || 'status', s.clusterHealth, ...found].filter(Boolean).join('; ');
  if (problems.length === 0) return { name, ok: true, detail: summary };
  return { name, ok: false, detail: problems.join('; '), hint: [...hints].join(' ') || NO_AUTOSCALER_HINT };
}

export interface PodLite {
  name: string;
  phase?: string;
  created?: number;
}

export function placeholdersCheck(pods: PodLite[] | undefined, namespace: string, now: number): DoctorCheck {
  const name = 'placeholders';
  if (pods === undefined) {
    return { name, ok: true, detail: `no user placeholders in ${namespace} (no BinderHub there yet?)` };
  }
  const pending = pods.filter((p) => p.phase === 'Pending');
  const stuck = pending.filter((p) => p.created !== undefined && now - p.created > PENDING_PLACEHOLDER_MS);
  const detail = `${pods.length} placeholders, ${pending.length} pending`;
  if (stuck.length === 0) return { name, ok: true, detail };
  return {
    name,
    ok: false,
    detail: `${detail}; pending over ${PENDING_PLACEHOLDER_MS / 60_000} min: ${stuck.map((p) => p.name).join(', ')}`,
    hint:
      'their nodes never came: see the autoscaler check (a group at its maxSize, or a scale-up in backoff), ' +
      'and `kubectl -n ' +
      namespace +
      ' describe pod <name>` for why the scheduler cannot place them (a placeholder larger than a node?)',
  };
}

export interface CertificateSeen {
  /** The peer certificate's notAfter (as node:tls reports it, e.g. "Mar  5 14:00:00 2027 GMT"). */
  validTo: string;
  subject: string;
  issuer: string;
  /** Whether the chain verified for the host name; else why not. */
  authorized: boolean;
  authorizationError?: string;
}

export function certificateCheck(host: string, cert: CertificateSeen, now: number): DoctorCheck {
  const name = 'certificate';
  const expires = Date.parse(cert.validTo);
  const days = Math.floor((expires - now) / 86_400_000);
  const who = `${host}: issued by ${cert.issuer || '?'}, expires ${new Date(expires).toISOString().slice(0, 10)} (${days} days)`;
  if (!cert.authorized) {
    return {
      name,
      ok: false,
      detail: `${who}; not trusted (${cert.authorizationError ?? 'unknown'})`,
      hint:
        "the ingress serves a certificate browsers reject (the controller's default one until cert-manager has " +
        'one): kubectl get certificate,certificaterequest,order,challenge -A — usually DNS not yet pointing at ' +
        'the ingress load balancer, so the HTTP-01 challenge cannot reach it',
    };
  }
  if (days < CERT_WARN_DAYS) {
    return {
      name,
      ok: false,
      detail: `${who}; renewal overdue`,
      hint: 'cert-manager renews 30 days ahead: kubectl describe certificate -A shows why it has not',
    };
  }
  return { name, ok: true, detail: who };
}
