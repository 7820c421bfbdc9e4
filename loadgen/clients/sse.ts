import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';

/**
 * Reading a text/event-stream body (BinderHub `/build`, JupyterHub `/progress`).
 *
 * Framing is eventsource-parser's; what we add is the stall bound: if no byte arrives for
 * `stallMs` (keepalives count: they prove the connection is alive), the read fails with
 * SseStallError. Comment lines (`:keepalive`) and empty events (JupyterHub's bare `\n\n`) never
 * reach the consumer. The stream ends when the body ends; the caller decides whether that was
 * expected (after `ready`) or a cut.
 */

export class SseStallError extends Error {
  constructor(readonly stallMs: number) {
    super(`no data on the event stream for ${stallMs} ms`);
    this.name = 'SseStallError';
  }
}

export interface SseOptions {
  /** Fail when no byte arrives for this long. */
  stallMs: number;
  /** Called on comment lines such as `:keepalive` (for diagnostics only). */
  onComment?: (text: string) => void;
}

/**
 * Yields the `data` of each event, in order. When the consumer stops early (ready, failed, stall),
 * a Node stream body (undici's) is destroyed at once: awaiting its
 * iterator's `return()` would queue behind the read still pending after a stall.
 */
export async function* sseData(
  body: AsyncIterable<Uint8Array | string>,
  opts: SseOptions,
): AsyncGenerator<string> {
  const queue: string[] = [];
  const parser = createParser({
    onEvent: (ev) => {
      if (ev.data !== '') queue.push(ev.data);
    },
    onComment: (c) => opts.onComment?.(c),
  });
  const decoder = new StringDecoder('utf8');
  const it = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await nextWithin(it, opts.stallMs);
      if (next.done) break;
      parser.feed(typeof next.value === 'string' ? next.value : decoder.write(Buffer.from(next.value)));
      while (queue.length > 0) yield queue.shift() as string;
    }
    parser.feed(decoder.end());
    parser.reset({ consume: true });
    while (queue.length > 0) yield queue.shift() as string;
  } finally {
    // Stop reading: releases the socket when the consumer returns early (e.g. on `ready`).
    if (body instanceof Readable) {
      if (!body.destroyed) {
        // undici reports our own close as a RequestAbortedError on the body: expected, not a failure.
        body.on('error', () => undefined);
        body.destroy();
      }
    } else await it.return?.();
  }
}

async function nextWithin<T>(it: AsyncIterator<T>, ms: number): Promise<IteratorResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SseStallError(ms)), ms);
  });
  try {
    return await Promise.race([it.next(), stall]);
  } finally {
    clearTimeout(timer);
  }
}
