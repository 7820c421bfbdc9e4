import type { FailureReason, TrendMetric } from '../../core/metrics.js';
import { BinderLaunchError, type PhaseMark, type TimedSpawnerMark } from '../clients/binder.js';
import { HubApiError } from '../clients/hub.js';
import { KernelError } from '../clients/kernel-rest.js';
import { workshopFailureReason } from '../workshop/reasons.js';

/**
 * Splitting a launch into sub-phases from what the BinderHub stream (or the JupyterHub progress
 * stream) said, and naming failures. Pure: times are the stream's marks, in ms on the runner's clock.
 *
 *   click(t0) ──build──► built ──► launching ──queue──► server requested ──schedule──► (scale-up ──scaleup──►)
 *   assigned ──(pull)──► started ──start──► ready
 *
 *   launch.build    = built − t0                      (waiting, fetching, building, pushing; small on a cache hit)
 *   launch.queue    = first spawner mark − launching  (hub spawn queue, 429 retries inside BinderHub)
 *   launch.schedule = assigned − server requested, less the scale-up (when "pod triggered scale-up" was seen:
 *                     scale-up − server requested)
 *   launch.scaleup  = assigned − scale-up
 *   launch.pull     = kubelet's reported pull duration, else pulled − pulling
 *   launch.start    = ready − (started | assigned | server requested), the last of those seen
 * Phases absent from the stream are not recorded (the local target has no node or pull marks).
 */
export function launchSubPhases(
  t0: number,
  phases: readonly PhaseMark[],
  marks: readonly TimedSpawnerMark[],
  readyAt: number,
): Partial<Record<TrendMetric, number>> {
  const out: Partial<Record<TrendMetric, number>> = {};
  const phase = (p: string) => phases.find((x) => x.phase === p)?.t;
  const first = (k: string) => marks.find((m) => m.kind === k);
  const last = (k: string) => marks.findLast((m) => m.kind === k);
  const built = phase('built');
  if (built !== undefined) out['launch.build'] = built - t0;
  const launching = phase('launching');
  const requested = first('server-requested') ?? marks[0];
  if (launching !== undefined && requested) out['launch.queue'] = Math.max(0, requested.t - launching);
  const assigned = last('assigned');
  const scaleUp = first('scale-up');
  if (requested && assigned) {
    if (scaleUp && scaleUp.t <= assigned.t) {
      out['launch.schedule'] = Math.max(0, scaleUp.t - requested.t);
      out['launch.scaleup'] = assigned.t - scaleUp.t;
    } else {
      out['launch.schedule'] = assigned.t - requested.t;
    }
  }
  const pulled = last('pulled');
  if (pulled && pulled.kind === 'pulled') {
    const pulling = first('pulling');
    out['launch.pull'] = pulled.durationMs > 0 ? pulled.durationMs : pulling ? pulled.t - pulling.t : 0;
  }
  const startFrom = last('started') ?? assigned ?? requested;
  if (startFrom) out['launch.start'] = Math.max(0, readyAt - startFrom.t);
  return out;
}

/** The failure reason of an error thrown by a step (the taxonomy of core/metrics.ts). */
export function failureReason(err: unknown): FailureReason {
  const workshop = workshopFailureReason(err);
  if (workshop) return workshop;
  if (err instanceof BinderLaunchError) {
    switch (err.reason) {
      case 'rate-limit':
      case 'quota':
      case 'not-allowed':
      case 'auth':
      case 'unreachable':
      case 'aborted':
        return err.reason;
      case 'build-failed':
        return 'build-failed';
      case 'launch-timeout':
      case 'timeout':
      case 'stall':
        return 'timeout';
      case 'stream-cut':
        return 'stream-cut';
      case 'launch-failed':
        return /Spawn failed|failed to launch/i.test(err.serverMessage ?? '') ? 'spawn-failed' : 'hub-5xx';
      default:
        return 'other';
    }
  }
  if (err instanceof HubApiError) {
    if (err.reason === 'rate-limit') return 'spawn-limit-429';
    if (err.reason === 'spawn-failed') return 'spawn-failed';
    if (err.reason === 'timeout' || err.reason === 'stream-stalled') return 'timeout';
    if (err.reason === 'auth') return 'auth';
    if (err.reason === 'server-error') return 'hub-5xx';
    if (err.reason === 'stream-ended' || err.reason === 'connection-lost') return 'stream-cut';
    return 'other';
  }
  if (err instanceof KernelError) {
    if (err.reason === 'kernel-died') return 'kernel-died';
    if (err.reason === 'timeout') return 'timeout';
    if (err.reason === 'unreachable') return 'unreachable';
    if (err.reason === 'ws-auth') return 'auth';
    return 'ws-failed';
  }
  if (err instanceof Error && err.name === 'AbortError') return 'aborted';
  const code = (err as { code?: string } | null)?.code;
  if (code === 'CELL_ERROR') return 'cell-error';
  if (code === 'HUB_UNREACHABLE' || code === 'ECONNREFUSED') return 'unreachable';
  return 'other';
}

/** BinderHub said "Launch attempt N failed, retrying": the first attempt failed although the user may still get a server. */
export function firstAttemptOutcome(retries: number): 'ok' | FailureReason {
  return retries > 0 ? 'launch-retried' : 'ok';
}
