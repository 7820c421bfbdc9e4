/**
 * A worker's view of its coordinator going away. For `--workers local:N` the coordinator gives
 * each child a stdin pipe it never writes (and sets PARENT_PIPE_ENV): when the coordinator dies,
 * even by SIGKILL, the OS closes it and stdin ends. stdout (the protocol) and stderr (logs) then
 * fail with EPIPE on the next write; an 'error' with no listener would crash the worker with its
 * users' servers still running. `watchParent` turns all of these into one `gone(why)` call (the
 * worker then stops as on SIGINT: no new arrivals, users leave and stop their servers) and keeps
 * a broken stream from crashing the process: `broken(stream)` says whether to skip writing.
 * In a pod, stdin is not a pipe from the coordinator: only stdout/stderr errors count there.
 */

export const PARENT_PIPE_ENV = 'REHEARSE_WORKER_PARENT_PIPE';

export interface ParentWatch {
  /** This stream failed (EPIPE): do not write to it any more. */
  broken(stream: NodeJS.WritableStream): boolean;
  stop(): void;
}

export function watchParent(o: {
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  gone: (why: string) => void;
}): ParentWatch {
  const broken = new Set<NodeJS.WritableStream>();
  let said = false;
  const once = (why: string) => {
    if (said) return;
    said = true;
    o.gone(why);
  };
  const onOut = () => {
    broken.add(o.stdout);
    once('stdout closed (coordinator gone)');
  };
  // Nowhere left to log to: remember it, and let the parent's absence be told by stdin/stdout.
  const onErr = () => {
    broken.add(o.stderr);
  };
  const onIn = () => once('stdin closed (coordinator gone)');
  o.stdout.on('error', onOut);
  o.stderr.on('error', onErr);
  if (o.stdin) {
    o.stdin.on('end', onIn);
    o.stdin.on('close', onIn);
    o.stdin.on('error', onIn);
    o.stdin.resume(); // flowing, so that 'end' is seen; nothing is ever written to it
  }
  return {
    broken: (s) => broken.has(s),
    stop() {
      o.stdout.off('error', onOut);
      // stderr's listener stays: a late EPIPE while the process exits must not crash it.
      if (o.stdin) {
        o.stdin.off('end', onIn);
        o.stdin.off('close', onIn);
        o.stdin.off('error', onIn);
        (o.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      }
    },
  };
}
