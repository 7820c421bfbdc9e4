/**
 * The live side of a run, where it is served (the worker thread of live/worker.ts, or a test):
 * the record's stream in (`handle`), the page's state and the Prometheus metrics updated from it,
 * and server-sent events out to every open page. Charts are rebuilt, compiled to Vega (with the
 * report's theme) and pushed when a metrics interval closes; failures, outages and progress are
 * pushed as they come.
 */
import type { ServerResponse } from 'node:http';
import type { Spec as VegaSpec } from 'vega';
import { compile } from 'vega-lite';
import type { TapRun } from '../loadgen/record/tap.js';
import type { IntervalRecord, RunSummary } from '../loadgen/record/types.js';
import type { SectionDef } from '../reports/run-sections.js';
import { THEME } from '../reports/specs/theme.js';
import { LiveMetrics } from './metrics.js';
import { type LiveEnd, type LiveEvent, type LiveProgress, type LiveSnapshot, LiveState } from './state.js';

/** What the run's process sends (live/live.ts → worker). */
export type LiveMessage =
  | { kind: 'start'; run: TapRun }
  | { kind: 'event'; ev: LiveEvent }
  | { kind: 'interval'; rec: IntervalRecord }
  | { kind: 'progress'; p: LiveProgress }
  | { kind: 'finish'; summary: RunSummary; dir: string }
  | { kind: 'report'; path: string };

/** A section as the page gets it: the Vega-Lite spec compiled to Vega. */
export type PageSection = Omit<SectionDef, 'spec'> & { vega?: VegaSpec };

export class LiveHub {
  readonly state = new LiveState();
  readonly metrics = new LiveMetrics();
  private readonly clients = new Set<ServerResponse>();
  /** The last snapshot sent, as SSE text (a new page gets it at once). */
  private last: string | null = null;
  /** Compile warnings (a well-formed spec has none); for the tests and --debug. */
  readonly warnings: string[] = [];
  reportPath: string | null = null;

  handle(m: LiveMessage): void {
    switch (m.kind) {
      case 'start':
        this.state.start(m.run);
        this.metrics.start(m.run);
        this.publish();
        return;
      case 'event': {
        const added = this.state.event(m.ev);
        if (added) this.send('type' in added ? 'outage' : 'failure', added);
        return;
      }
      case 'interval':
        this.state.interval(m.rec);
        this.metrics.interval(m.rec);
        this.publish();
        return;
      case 'progress':
        this.state.progress = m.p;
        this.metrics.progress(m.p);
        this.send('progress', m.p);
        return;
      case 'finish': {
        const s = m.summary;
        const end: LiveEnd = {
          status: s.status,
          verdict: s.verdict,
          dir: m.dir,
          ...(s.stopReason === undefined ? {} : { stopReason: s.stopReason }),
        };
        this.state.end = end;
        this.metrics.end(Date.parse(s.startedAt) + s.durationMs);
        this.publish();
        return;
      }
      case 'report':
        this.reportPath = m.path;
        if (this.state.end) this.state.end.report = m.path;
        this.publish();
        if (this.state.end) this.send('end', this.state.end);
        return;
    }
  }

  /** A page opened `/events`: it gets the latest snapshot now, then every push. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    if (this.last === null) this.last = frame('snapshot', this.pageSnapshot());
    res.write(this.last);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  /** Comment lines keep idle connections (proxies, tunnels) open. */
  keepAlive(): void {
    for (const c of this.clients) c.write(': keep-alive\n\n');
  }

  closeClients(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  pageSnapshot(): Omit<LiveSnapshot, 'sections'> & { sections: PageSection[] } {
    const snap = this.state.snapshot();
    return { ...snap, sections: snap.sections.map((s) => this.compileSection(s)) };
  }

  /** Charts are built only for open pages: without one (or with `--metrics` only) nothing is compiled. */
  private publish(): void {
    if (this.clients.size === 0) {
      this.last = null; // built when a page subscribes
      return;
    }
    this.last = frame('snapshot', this.pageSnapshot());
    for (const c of this.clients) c.write(this.last);
  }

  private send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const f = frame(event, data);
    for (const c of this.clients) c.write(f);
  }

  private compileSection(def: SectionDef): PageSection {
    const { spec, ...rest } = def;
    if (!spec) return rest;
    try {
      return { ...rest, vega: compile({ ...spec, config: { ...THEME, ...spec.config } }).spec };
    } catch (err) {
      this.warnings.push(`chart ${def.id}: ${(err as Error).message}`);
      return { ...rest, note: `This chart could not be drawn: ${(err as Error).message}` };
    }
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
