import { InputError } from '../../core/errors.js';
import type { Live } from '../../live/live.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse run --live [host:port]` / `--metrics <host:port>` (live/): checks the addresses (exit 2
 * before anything starts when one is taken or not loopback without --live-public), starts the live
 * server and prints its URL. `done` after the run: the final report, then `--live-linger`.
 */
/** The flags of `rehearse run` that belong to the live server (not to the library's options). */
export interface LiveFlags {
  /** Serve the live page (and /metrics) during the run: true = 127.0.0.1 on a free port. */
  live?: string | true;
  /** Serve /metrics only, at this address (a Prometheus elsewhere). */
  metrics?: string;
  /** Allow --live / --metrics on an address that is not loopback. */
  livePublic?: boolean;
  /** How long the live page stays up after the run (a duration). */
  liveLinger?: string;
}

export interface LiveRun {
  live: Live;
  /** After the run's record is finished: write the report, linger, stop. Never throws. */
  done(): Promise<void>;
}

export async function openLive(io: CliIO, flags: LiveFlags): Promise<LiveRun | undefined> {
  if (flags.live === undefined && flags.metrics === undefined) {
    if (flags.livePublic || flags.liveLinger !== undefined) {
      throw new InputError('FLAG_INVALID', '--live-public and --live-linger go with --live or --metrics');
    }
    return undefined;
  }
  const [{ parseListen, accessToken }, { startLive }, { parseDuration }] = await Promise.all([
    import('../../live/address.js'),
    import('../../live/live.js'),
    import('../../core/duration.js'),
  ]);
  const allowPublic = flags.livePublic === true;
  const page =
    flags.live === undefined ? undefined : parseListen(flags.live, { flag: '--live', allowPublic });
  const metrics =
    flags.metrics === undefined ? undefined : parseListen(flags.metrics, { flag: '--metrics', allowPublic });
  let lingerMs = 0;
  if (flags.liveLinger !== undefined) {
    try {
      lingerMs = parseDuration(flags.liveLinger);
    } catch (err) {
      throw new InputError('FLAG_INVALID', `--live-linger: ${(err as Error).message}`);
    }
  }
  const live = await startLive({
    token: accessToken(io.env),
    ...(page ? { page } : {}),
    ...(metrics ? { metrics } : {}),
    warn: (l) => io.stderr.write(`${l}\n`),
  });
  if (live.pageUrl) io.stderr.write(`live page: ${live.pageUrl}\n`);
  io.stderr.write(`metrics:   ${live.metricsUrl}\n`);
  return {
    live,
    async done() {
      // Our handlers from the first moment (the run's own are gone by now): a Ctrl-C while the
      // report is written must not kill the process half-way; it ends the linger instead.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const report = await live.finish();
        if (report) io.stderr.write(`report: ${report}\n`);
        if (lingerMs <= 0 || stop.signal.aborted) {
          await live.close();
          return;
        }
        io.stderr.write(`the live page stays up for ${flags.liveLinger} (Ctrl-C to stop now)\n`);
        await live.close(lingerMs, stop.signal);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  };
}
