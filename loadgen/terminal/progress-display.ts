import type { ProgressSnapshot, RunReporter } from '../runner/reporter.js';
import { formatMs, type Paint, paint } from './summary-text.js';

/** At most this many redraws per second on a TTY. */
const TTY_MIN_REDRAW_MS = 250;
/** Without a TTY (CI logs, files): one plain line per this much run time. */
const PLAIN_EVERY_MS = 10_000;

const CLEAR_LINE = '\r\x1b[2K';

export interface TerminalReporterOptions {
  /** Where progress goes: stderr (results go to stdout or files). */
  stream: NodeJS.WritableStream & { columns?: number };
  isTTY: boolean;
  /** Use colors; false when NO_COLOR is set or the stream is not a TTY (see colorEnabled). */
  color: boolean;
  /** Wall-clock ms for redraw throttling; injectable for tests. */
  now?: () => number;
  /** `run --live`: the live page's URL, kept on screen (TTY: a line above the status line). */
  liveUrl?: string;
}

export type TerminalReporter = Required<RunReporter> & { close(): void };

/**
 * no-color.org: NO_COLOR set to anything non-empty disables color; so does a stream that is not
 * a terminal.
 */
export function colorEnabled(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return isTTY(stream) && !env.NO_COLOR;
}

export function isTTY(stream: NodeJS.WritableStream): boolean {
  return 'isTTY' in stream && stream.isTTY === true;
}

/**
 * Live progress. On a TTY, one status line redrawn in place (`\r` + clear line) at most 4 times a
 * second; messages are printed above it and the status line is redrawn under them. Without a
 * TTY, a plain line every 10 s of run time and a last one on close.
 */
export function createTerminalReporter(opts: TerminalReporterOptions): TerminalReporter {
  return opts.isTTY ? ttyReporter(opts) : plainReporter(opts);
}

/** `12.3s  arrived 34/60  launching 5  ready 27  in cells 9  done 0  failed 2  late 0  launch.ready p95 41.2s` */
export function formatProgress(p: ProgressSnapshot, c: Paint = paint(false)): string {
  const failed = `failed ${p.failed}`;
  const late = `late ${p.late}`;
  return [
    formatRunTime(p.t),
    `arrived ${p.arrived}/${p.planned}`,
    `launching ${p.launching}`,
    `ready ${p.ready}`,
    `in cells ${p.inCells}`,
    `done ${p.completed}`,
    p.failed > 0 ? c.red(failed) : failed,
    p.late > 0 ? c.yellow(late) : late,
    `launch.ready p95 ${p.launchReadyP95 === null ? '-' : formatMs(p.launchReadyP95)}`,
  ].join('  ');
}

/** Run time: `12.3s` under a minute, then `4m05s`, then `1h02m03s`. */
export function formatRunTime(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const whole = Math.floor(s);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m}m${p2(whole % 60)}s`;
  return `${Math.floor(m / 60)}h${p2(m % 60)}m${p2(whole % 60)}s`;
}

function ttyReporter(opts: TerminalReporterOptions): TerminalReporter {
  const { stream } = opts;
  const now = opts.now ?? (() => performance.now());
  const c = paint(opts.color);
  let latest: ProgressSnapshot | null = null;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let pending = false;
  let onScreen = false;
  let closed = false;

  // With a live URL the status is two lines: the URL, then the counts (cursor up one to redraw).
  const head = opts.liveUrl ? `live ${opts.liveUrl}` : '';
  const draw = () => {
    if (!latest) return;
    const up = head && onScreen ? `${CLEAR_LINE}\x1b[${headRows(head, stream.columns)}A` : '';
    const top = head ? `${CLEAR_LINE}${head}\n` : '';
    stream.write(`${up}${top}${CLEAR_LINE}${fitLine(latest, c, stream.columns)}`);
    drawnAt = now();
    pending = false;
    onScreen = true;
  };

  return {
    onProgress(p) {
      if (closed) return;
      latest = p;
      pending = true;
      if (now() - drawnAt >= TTY_MIN_REDRAW_MS) draw();
    },
    onMessage(line) {
      if (closed) {
        stream.write(`${line}\n`);
        return;
      }
      const clear =
        onScreen && head ? `${CLEAR_LINE}\x1b[${headRows(head, stream.columns)}A\x1b[J` : CLEAR_LINE;
      stream.write(`${onScreen ? clear : ''}${line}\n`);
      onScreen = false;
      if (latest) draw();
    },
    close() {
      if (closed) return;
      closed = true;
      if (pending) draw();
      if (onScreen) stream.write('\n');
      onScreen = false;
    },
  };
}

/** How many terminal rows a line takes (it may wrap: a URL is never cut). */
function headRows(line: string, columns: number | undefined): number {
  return columns === undefined || columns < 10 ? 1 : Math.max(1, Math.ceil(line.length / columns));
}

function plainReporter(opts: TerminalReporterOptions): TerminalReporter {
  const { stream } = opts;
  const c = paint(opts.color);
  let latest: ProgressSnapshot | null = null;
  let printedBucket = 0;
  let printedLatest = false;
  let closed = false;
  const print = (p: ProgressSnapshot) => {
    stream.write(`${formatProgress(p, c)}\n`);
    printedLatest = true;
  };

  return {
    onProgress(p) {
      if (closed) return;
      latest = p;
      printedLatest = false;
      const bucket = Math.floor(p.t / PLAIN_EVERY_MS);
      if (bucket > printedBucket) {
        printedBucket = bucket;
        print(p);
      }
    },
    onMessage(line) {
      stream.write(`${line}\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      if (latest && !printedLatest) print(latest);
    },
  };
}

/**
 * Keep the status line narrower than the terminal: a wrapped line cannot be redrawn with `\r`.
 * A line that would not fit is cut at columns - 1, without color (so no escape code is split).
 */
function fitLine(p: ProgressSnapshot, c: Paint, columns: number | undefined): string {
  const plain = formatProgress(p);
  if (columns === undefined || columns < 10 || plain.length < columns) return formatProgress(p, c);
  return `${plain.slice(0, columns - 2)}…`;
}
