/**
 * The simulator's agenda: a binary min-heap of events ordered by (time, insertion number), so events
 * at the same instant run in the order they were scheduled and a run is reproducible.
 */
export interface Scheduled<E> {
  t: number;
  seq: number;
  event: E;
}

export class EventQueue<E> {
  private readonly heap: Scheduled<E>[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, event: E): void {
    const item = { t, seq: this.seq++, event };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as Scheduled<E>;
      if (!before(item, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = item;
  }

  /** The earliest event, removed; undefined when empty. */
  pop(): Scheduled<E> | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const left = h[l] as Scheduled<E>;
      const right = h[r];
      const child = right !== undefined && before(right, left) ? r : l;
      const c = h[child] as Scheduled<E>;
      if (!before(c, last)) break;
      h[i] = c;
      i = child;
    }
    h[i] = last;
    return top;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.t;
  }
}

/** a runs before b: earlier time, or the same time and scheduled first. */
function before<E>(a: Scheduled<E>, b: Scheduled<E>): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
