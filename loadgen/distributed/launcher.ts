import type { LedgerWriter } from '../record/ledger.js';
import type { CleanupLine } from '../runner/targets.js';
import type { WorkerConfig } from './config.js';

/**
 * What the coordinator needs from a way of running workers: child processes of this machine
 * (local-launcher.ts) or an Indexed Job's pods (k8s-launcher.ts).
 */

export interface WorkerExit {
  code: number | null;
  signal: string | null;
  detail?: string;
}

export interface WorkerHandle {
  index: number;
  /** `pid 1234`, or a pod name. */
  where: string;
  /** Protocol lines as they come (child stdout, pod log); ends with the worker's output. */
  lines: AsyncIterable<string>;
  /** Settles once the worker has ended, or once kill() has been called (then promptly). */
  exited: Promise<WorkerExit>;
  /** Now: SIGKILL, or delete the pod (found by its labels, even before it ran); ends `lines`. */
  kill(): void;
}

export interface Launcher {
  /**
   * Start one worker per shard; resolves once all are started (not yet running). `signal` (the
   * run's stop or abort) ends waiting for workers that have not come up yet.
   */
  start(config: WorkerConfig, signal: AbortSignal): Promise<WorkerHandle[]>;
  /** Soft stop for every worker (SIGINT; in k8s deleting the Job sends SIGTERM to its pods). */
  stopAll(): Promise<void>;
  /**
   * Remove what was created (Job, ConfigMap, Secret, temp files); lines for what could not be.
   * Idempotent; `signal` bounds it (a second Ctrl-C).
   */
  close(signal?: AbortSignal): Promise<CleanupLine[]>;
  /** The run's ledger: what the launcher creates outside this process (k8s objects) goes in it. */
  useLedger?(ledger: LedgerWriter): void;
}
