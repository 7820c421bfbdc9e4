import { readFileSync } from 'node:fs';
import { ExitCode, InputError } from '../../scenarios/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse worker`: one shard of a distributed run (`rehearse run --workers`), streaming the
 * worker protocol (JSON lines) on stdout; logs on stderr. Started by the coordinator, not by hand:
 * as a child process (`--config`, `--index`) or as a pod of an Indexed Job (the config mounted
 * from the ConfigMap at /etc/rehearse/worker.json, the index from JOB_COMPLETION_INDEX).
 * SIGINT/SIGTERM once: no new arrivals, users leave and clean up; twice: abort now. A broken
 * stdout (the coordinator went away) counts as the first.
 */

export interface WorkerFlags {
  config?: string;
  index?: string;
}

export const DEFAULT_WORKER_CONFIG = '/etc/rehearse/worker.json';

export async function worker(io: CliIO, flags: WorkerFlags): Promise<number> {
  const [{ parseWorkerConfig }, { runWorker }] = await Promise.all([
    import('../../loadgen/distributed/config.js'),
    import('../../loadgen/distributed/worker.js'),
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
  const onSignal = (why: string) => {
    signals += 1;
    io.stderr.write(
      `worker ${index}: ${why}${signals === 1 ? ': no new arrivals, users leave' : ': aborting'}\n`,
    );
    if (signals === 1) stopCtl.abort(new Error(`worker ${index}: ${why}`));
    else abortCtl.abort(new Error(`worker ${index}: ${why}`));
  };
  const onSig = (sig: NodeJS.Signals) => onSignal(sig);
  const onPipe = () => {
    if (signals === 0) onSignal('stdout closed (coordinator gone)');
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  io.stdout.on('error', onPipe);
  try {
    const code = await runWorker({
      config,
      index,
      env: io.env,
      out: (line) => {
        if (io.stdout.writable) io.stdout.write(line);
      },
      log: (line) => io.stderr.write(`${line}\n`),
      stop: stopCtl.signal,
      abort: abortCtl.signal,
    });
    return code === 0 ? ExitCode.ok : ExitCode.runtime;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    io.stdout.off('error', onPipe);
  }
}
