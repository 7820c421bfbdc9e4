import { writeObserverRecord } from '../record/cluster.js';

/**
 * The cluster observer as a run uses it (`rehearse run --kubeconfig F --namespace NS`): started
 * when the run's clock starts, stopped before the record's summary is written, its record saved as
 * `cluster.json` beside the run's other files. A one-process run and a distributed run's
 * coordinator attach it the same way. The observer never fails a run: what it cannot see becomes
 * warnings in cluster.json (and on stderr through `onWarning`).
 */
export interface ObserveSpec {
  kubeconfigPath: string;
  namespace: string;
  context?: string;
  onWarning?: (message: string) => void;
}

export interface AttachedObserver {
  /** Stop watching and write `<dir>/cluster.json`; resolves within the observer's stop timeout. */
  finish(dir: string): Promise<void>;
}

const NONE: AttachedObserver = { finish: async () => undefined };

/** Lazy: @kubernetes/client-node takes ~0.8 s to import; runs without --kubeconfig never load it. */
export async function attachObserver(
  spec: ObserveSpec | undefined,
  run: { now: () => number; startWallMs: number; signal: AbortSignal },
): Promise<AttachedObserver> {
  if (!spec) return NONE;
  const { startObserver } = await import('./observer.js');
  const observer = startObserver({
    kubeconfigPath: spec.kubeconfigPath,
    namespace: spec.namespace,
    ...(spec.context ? { context: spec.context } : {}),
    now: run.now,
    runStartWallMs: run.startWallMs,
    signal: run.signal,
    ...(spec.onWarning ? { onWarning: spec.onWarning } : {}),
  });
  return {
    async finish(dir) {
      writeObserverRecord(dir, await observer.stop());
    },
  };
}
