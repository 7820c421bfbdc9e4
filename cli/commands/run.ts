import type { RehearseOptions } from '../../api/options.js';
import { ExitCode, InputError } from '../../core/errors.js';
import type { CliIO } from '../main.js';
import type { LiveFlags } from './run-live.js';

/**
 * `rehearse run <scenario>`: flags → the options of the library's `rehearse()` (api/rehearse.ts,
 * which holds the run policy and decides the exit code), Ctrl-C → its stop/abort signals, the
 * summary → stdout. Ctrl-C once: no new arrivals, users leave and clean up; twice: abort.
 */
/** The flags as commander gives them: the library's options, with --seed and --protocol as text. */
export type RunFlags = Omit<
  RehearseOptions,
  'seed' | 'protocol' | 'io' | 'reporter' | 'stop' | 'abort' | 'tap'
> & {
  json?: boolean;
  out: string;
  seed?: string;
  protocol: string;
} & LiveFlags;

export async function run(io: CliIO, file: string, flags: RunFlags): Promise<number> {
  const [{ rehearse }, term, summaryFmt] = await Promise.all([
    import('../../api/rehearse.js'),
    import('../../loadgen/terminal/progress-display.js'),
    import('../../loadgen/terminal/summary-text.js'),
  ]);
  const { json, seed, protocol, live, metrics, livePublic, liveLinger, ...same } = flags;
  if (protocol !== 'v1' && protocol !== 'legacy') {
    throw new InputError('FLAG_INVALID', `--protocol must be v1 or legacy, got "${protocol}"`);
  }
  // --live / --metrics: addresses checked (exit 2) and the server up before anything starts.
  const liveRun = await (await import('./run-live.js')).openLive(io, {
    live,
    metrics,
    livePublic,
    liveLinger,
  });
  const stopCtl = new AbortController();
  const abortCtl = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      io.stderr.write(
        `\n${sig}: no new arrivals; users are leaving and cleaning up (again to abort at once)\n`,
      );
      stopCtl.abort(new Error(`interrupted (${sig})`));
    } else {
      io.stderr.write(`\n${sig} again: aborting; cleaning up what can be in a few seconds\n`);
      abortCtl.abort(new Error(`aborted (${sig})`));
      // Last resort if cleanup hangs: exit with a runtime error (the record says how far it got).
      // Here, not in the library: only the CLI owns the process (STYLE.md).
      setTimeout(() => process.exit(ExitCode.runtime), 10_000).unref();
    }
  };
  // Signal handlers are in place first: Ctrl-C while the local target starts still stops it.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const stream = io.stderr;
  const termReporter = term.createTerminalReporter({
    stream,
    isTTY: term.isTTY(stream),
    color: term.colorEnabled(stream, io.env),
    ...(liveRun?.live.pageUrl ? { liveUrl: liveRun.live.pageUrl } : {}),
  });
  const reporter = liveRun ? liveRun.live.reporter(termReporter) : termReporter;
  try {
    const outcome = await rehearse(file, {
      ...same,
      ...(seed === undefined ? {} : { seed: seedOf(seed) }),
      protocol,
      io,
      reporter,
      stop: stopCtl.signal,
      abort: abortCtl.signal,
      ...(liveRun ? { tap: liveRun.live.tap } : {}),
    });
    reporter.close();
    if (outcome.dryRun) {
      io.stdout.write(outcome.manifests);
      return outcome.exitCode;
    }
    const { summary } = outcome;
    if (json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else io.stdout.write(summaryFmt.formatSummary(summary, { color: term.colorEnabled(io.stdout, io.env) }));
    io.stderr.write(`run record: ${outcome.dir}\n  rehearse summary ${outcome.dir}\n`);
    if (outcome.problem) throw outcome.problem;
    for (const note of outcome.notes) io.stderr.write(`${note}\n`);
    return outcome.exitCode;
  } finally {
    reporter.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await liveRun?.done();
  }
}

/** `--seed`: a whole number (the library checks its range). */
function seedOf(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(n))
    throw new InputError('FLAG_INVALID', `--seed must be an integer 0..2^32-1, got "${text}"`);
  return n;
}
