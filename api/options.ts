import type { ObserveSpec } from '../loadgen/observe/attach.js';
import type { RecordTap } from '../loadgen/record/tap.js';
import type { RunReporter } from '../loadgen/runner/reporter.js';
import type { LibraryIO } from './io.js';

/**
 * Options of `rehearse(scenario, options)`: what `rehearse run`'s flags say, typed. Every field is
 * optional; the defaults are the CLI's.
 */
export interface RehearseOptions {
  /** Folder for run records (default `runs`). */
  out?: string;
  /** Run id (default: time, scenario name and a random suffix). */
  id?: string;
  /** Seed of the arrival plan (default: the scenario's); an integer 0..2^32-1. */
  seed?: number;
  /** The local target's state folder (default ~/.rehearse/local, or $REHEARSE_HOME). */
  stateDir?: string;
  /** With the local target: the stack to run on (overrides the scenario's `target.stack`). */
  stack?: string;
  /** Kernel protocol (default v1). */
  protocol?: 'v1' | 'legacy';
  /** `local:N` or `k8s:N`: run the plan as N shards (api/workers.ts). */
  workers?: string;
  /** The worker image of k8s:N. */
  image?: string;
  /** The hub's namespace: the cluster observer's (with kubeconfig) and the worker Job's (k8s:N). */
  namespace?: string;
  /** Where the worker Job of k8s:N goes (default: namespace, else `default`). */
  workerNamespace?: string;
  /** Watch the hub's cluster during the run (loadgen/observe/): cluster.json in the record. */
  kubeconfig?: string;
  /** With k8s:N: return the manifests a run would create, contact no cluster. */
  dryRun?: boolean;
  /** Run even when records of dead runs list leftovers on this hub (default: refuse). */
  allowDirty?: boolean;
  /** Where progress lines go and the environment tokens are read from (default: the process's). */
  io?: LibraryIO;
  /** Live progress (default: none). */
  reporter?: RunReporter;
  /** Sees the record as it is written (the live page and /metrics of `rehearse run --live`). */
  tap?: RecordTap;
  /** Fired: no new arrivals, users leave and clean up, the record is completed as partial. */
  stop?: AbortSignal;
  /** Fired: abort every wait, clean up what can be in a few seconds. */
  abort?: AbortSignal;
}

/** The observer's settings, already checked (see observeSpec in rehearse.ts). */
export type { ObserveSpec };
