/**
 * The worker thread that serves `--live` / `--metrics` (started by live/live.ts): the HTTP
 * servers, the page state, the Prometheus registry and the final report all live here, so that
 * serving pages, compiling charts and answering scrapes never run on the generator's event loop.
 *
 * Protocol with the run's thread: workerData `{ token, page?, metrics? }` (addresses); it answers
 * `{ kind: 'listening', page?, metrics? }` (ports) or `{ kind: 'listen-error', … }`; then takes
 * LiveMessages (live/hub.ts), `{ kind: 'write-report' }` (answered `report-written` or
 * `report-failed`), and `{ kind: 'close' }` (answered `closed`).
 */
import type { Server } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { ListenAddress } from './address.js';
import { LiveHub, type LiveMessage } from './hub.js';
import { closeServer, createLiveServer, ListenError, listen } from './server.js';

export interface WorkerInit {
  token: string;
  page?: ListenAddress;
  metrics?: ListenAddress;
}

export type ControlMessage = { kind: 'write-report' } | { kind: 'close' };

export type WorkerReply =
  | { kind: 'listening'; page?: number; metrics?: number }
  | { kind: 'listen-error'; which: 'page' | 'metrics'; code: string; address: ListenAddress; message: string }
  | { kind: 'report-written'; path: string }
  | { kind: 'report-failed'; message: string }
  | { kind: 'closed' };

const port = parentPort;
if (port === null) throw new Error('live/worker.ts runs as a worker thread');
const init = workerData as WorkerInit;
const hub = new LiveHub();
const servers: Server[] = [];
const reply = (m: WorkerReply) => port.postMessage(m);

async function start(): Promise<void> {
  const ports: { page?: number; metrics?: number } = {};
  for (const which of ['page', 'metrics'] as const) {
    const a = init[which];
    if (a === undefined) continue;
    const server = createLiveServer({ hub, token: init.token, page: which === 'page' });
    try {
      ports[which] = await listen(server, a);
    } catch (err) {
      await Promise.all(servers.map(closeServer));
      const e = err instanceof ListenError ? err : new ListenError('ERROR', a, String(err));
      reply({ kind: 'listen-error', which, code: e.code, address: e.address, message: e.message });
      return;
    }
    servers.push(server);
  }
  reply({ kind: 'listening', ...ports });
}

const keepAlive = setInterval(() => hub.keepAlive(), 15_000);

port.on('message', (m: LiveMessage | ControlMessage) => {
  if (m.kind === 'write-report') {
    void writeReport();
    return;
  }
  if (m.kind === 'close') {
    clearInterval(keepAlive);
    hub.closeClients();
    void Promise.all(servers.map(closeServer)).then(() => reply({ kind: 'closed' }));
    return;
  }
  hub.handle(m);
});

async function writeReport(): Promise<void> {
  const dir = hub.state.end?.dir;
  if (dir === undefined) {
    reply({ kind: 'report-failed', message: 'the run did not finish' });
    return;
  }
  try {
    const { writeRunReport } = await import('../reports/run-report.js');
    const files = await writeRunReport(dir);
    hub.handle({ kind: 'report', path: files.html });
    reply({ kind: 'report-written', path: files.html });
  } catch (err) {
    reply({ kind: 'report-failed', message: (err as Error).message });
  }
}

void start();
