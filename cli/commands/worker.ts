import { readFileSync } from 'node:fs';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse worker`: one shard of a distributed run (`rehearse run --workers`), streaming the
 * worker protocol (JSON lines) on stdout; logs on stderr. Started by the coordinator, not by hand:
 * as a child process (`--config`, `--index`) or as a pod of an Indexed Job (the config mounted
 * from the ConfigMap at /etc/rehearse/worker.json, the index from JOB_COMPLETION_INDEX).
 * SIGINT/SIGTERM once: no new arrivals, users leave and clean up; twice: abort now. The
 * coordinator going away (stdin closed for local workers, a broken stdout) counts as the first.
 */

export interface WorkerFlags {
  config?: string;
  index?: string;
}

export const DEFAULT_WORKER_CONFIG = '/etc/rehearse/worker.json';

export async function worker(io: CliIO, flags: WorkerFlags): Promise<number> {
  const [{ parseWorkerConfig }, { runWorker }, { watchParent, PARENT_PIPE_ENV }] = await Promise.all([
    import('../../loadgen/distributed/config.js'),
    import('../../loadgen/distributed/worker.js'),
    import('../../loadgen/distributed/parent-watch.js'),
  ]);
  const file = flags.config ?? io.env.REHEARSE_WORKER_CONFIG ?? DEFAULT_WORKER_CONFIG;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError('WORKER_CONFIG_MISSING', `cannot read the worker config ${file}`, {
      hint: '`rehearse worker` is started by `rehearse run --workers local:N|k8s:N`, which writes it.',
      cause: err,
    });
  }
  const config = parseWorkerConfig(text, file);
  const indexText = flags.index ?? io.env.JOB_COMPLETION_INDEX;
  const index = Number(indexText);
  if (indexText === undefined || !(Number.isInteger(index) && index >= 0 && index < config.shards)) {
    throw new InputError(
      'FLAG_INVALID',
      `--index (or JOB_COMPLETION_INDEX) must be 0..${config.shards - 1}, got "${indexText ?? ''}"`,
    );
  }
  const stopCtl = new AbortController();
  const abortCtl = new AbortController();
  let signals = 0;
  let parent: { broken(s: NodeJS.WritableStream): boolean } | undefined;
  // stderr may be broken (the coordinator died): then there is nowhere to log to.
  const log = (line: string) => {
    if (!parent?.broken(io.stderr)) io.stderr.write(`${line}\n`);
  };
  const onSignal = (why: string) => {
    signals += 1;
    log(`worker ${index}: ${why}${signals === 1 ? ': no new arrivals, users leave' : ': aborting'}`);
    if (signals === 1) stopCtl.abort(new Error(`worker ${index}: ${why}`));
    else abortCtl.abort(new Error(`worker ${index}: ${why}`));
  };
  const onSig = (sig: NodeJS.Signals) => onSignal(sig);
  const watch = watchParent({
    stdin: io.env[PARENT_PIPE_ENV] === '1' ? process.stdin : undefined,
    stdout: io.stdout,
    stderr: io.stderr,
    gone: (why) => {
      if (signals === 0) onSignal(why);
    },
  });
  parent = watch;
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  try {
    const code = await runWorker({
      config,
      index,
      env: io.env,
      out: (line) => {
        if (io.stdout.writable && !watch.broken(io.stdout)) io.stdout.write(line);
      },
      log,
      stop: stopCtl.signal,
      abort: abortCtl.signal,
    });
    return code === 0 ? ExitCode.ok : ExitCode.runtime;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    watch.stop();
  }
}
