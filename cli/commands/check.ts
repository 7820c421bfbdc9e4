import { tryParseDuration } from '../../core/duration.js';
import { InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse check <scenario | repo spec | folder | repo-list.yaml>`: flags → the options of the
 * library's `check()` (api/check.ts), Ctrl-C → its signal, the health table → stdout. Exit 99 when
 * a notebook failed or could not run, 2 when nothing could run for a reason of the input, 3 when
 * no launch got through.
 */
export interface CheckFlags {
  json?: boolean;
  out: string;
  id?: string;
  stateDir?: string;
  stack?: string[];
  target?: string[];
  /** For --target URLs: the NAME of the env var with a hub API token (stop servers, delete users). */
  hubTokenEnv?: string;
  keepGoing?: boolean;
  cellTimeout: string;
  notebookTimeout: string;
  protocol: string;
}

export async function check(io: CliIO, input: string, flags: CheckFlags): Promise<number> {
  const [{ check: checkNotebooks }, { healthText }] = await Promise.all([
    import('../../api/check.js'),
    import('../../reports/health.js'),
  ]);
  const { protocol } = flags;
  if (protocol !== 'v1' && protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${protocol}"`);
  }
  const ctl = new AbortController();
  const onSignal = () => ctl.abort(new Error('interrupted'));
  process.on('SIGINT', onSignal);
  try {
    const result = await checkNotebooks(input, {
      out: flags.out,
      ...(flags.id === undefined ? {} : { id: flags.id }),
      ...(flags.stateDir === undefined ? {} : { stateDir: flags.stateDir }),
      ...(flags.stack === undefined ? {} : { stacks: flags.stack }),
      ...(flags.target === undefined ? {} : { targets: flags.target }),
      ...(flags.hubTokenEnv === undefined ? {} : { hubTokenEnv: flags.hubTokenEnv }),
      keepGoing: flags.keepGoing === true,
      cellTimeoutMs: durationFlag('--cell-timeout', flags.cellTimeout),
      notebookTimeoutMs: durationFlag('--notebook-timeout', flags.notebookTimeout),
      protocol,
      io,
      signal: ctl.signal,
    });
    const { report } = result;
    io.stdout.write(flags.json ? `${JSON.stringify(result.health, null, 2)}\n` : healthText(result.health));
    io.stderr.write(
      `run record: ${result.dir}\nreport: ${report.html}\n  also ${report.md}, ${report.junit}\n`,
    );
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

function durationFlag(name: string, text: string): number {
  const ms = tryParseDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new InputError('FLAG_INVALID', `${name} must be a duration like 30s or 2m, got "${text}"`);
  }
  return ms;
}
