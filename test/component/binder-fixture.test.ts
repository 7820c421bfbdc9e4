import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type BinderEvent, type BinderLaunch, launchBinder } from '../../loadgen/clients/binder.js';

// A real BinderHub stream (binderhub js/packages/binderhub-client/tests/fixtures/fullbuild.eventsource:
// a full repo2docker build of binder-examples/octave, then a launch on minikube), replayed through
// launchBinder over loopback HTTP. The file holds one `data: ` line per event, separated by single
// newlines, so the SSE framing (`\n\n`) is rebuilt here.
const FIXTURE = fileURLToPath(new URL('../fixtures/binderhub-fullbuild.eventsource', import.meta.url));
const lines = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l.startsWith('data: '));

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** Serves `body` as an event stream, written in `chunkBytes`-sized writes. */
async function serve(body: Buffer, chunkBytes: number): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let at = 0; at < body.length; at += chunkBytes) res.write(body.subarray(at, at + chunkBytes));
    res.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

async function replay(
  body: Buffer,
  chunkBytes: number,
): Promise<{ launch: BinderLaunch; seen: BinderEvent[] }> {
  const binderUrl = await serve(body, chunkBytes);
  let tick = 0;
  const seen: BinderEvent[] = [];
  const launch = await launchBinder({
    binderUrl,
    spec: 'gh/binder-examples/octave/HEAD',
    now: () => ++tick,
    stallMs: 5_000,
    timeoutMs: 20_000,
    onEvent: (ev) => seen.push(ev),
  });
  return { launch, seen };
}

function expectFixtureResult({ launch, seen }: { launch: BinderLaunch; seen: BinderEvent[] }): void {
  expect(launch.events).toBe(736);
  expect(seen).toHaveLength(736);
  expect(launch.retries).toBe(0);
  // Clock: 1 = request sent, 2 = headers, event i arrives at 3 + i.
  expect(launch.requestedAt).toBe(1);
  expect(launch.respondedAt).toBe(2);
  expect(launch.phases).toEqual([
    { phase: 'waiting', t: 3 },
    { phase: 'fetching', t: 5 },
    { phase: 'unknown', t: 7 },
    { phase: 'building', t: 11 },
    { phase: 'built', t: 3 + 724 },
    { phase: 'launching', t: 3 + 725 },
    { phase: 'ready', t: 3 + 735 },
  ]);
  expect(seen[1]).toMatchObject({ phase: null, message: 'Picked Git content provider.\n' });
  expect(launch).toMatchObject({
    url: 'http://192.168.105.2:30902/user/binder-examples-octave-3ilc7xl2/',
    token: 'tY_U1yMSSeKyCKPMg6GVIg',
    image: 'binder-2dexamples-2doctave-03025a:1479e0252b2e648bb755ee913292b79495931717',
    repoUrl: 'https://github.com/binder-examples/octave',
    binderRefUrl: 'https://github.com/binder-examples/octave/tree/1479e0252b2e648bb755ee913292b79495931717',
    binderLaunchHost: 'http://127.0.0.1:8585/',
    binderRequest: 'v2/gh/binder-examples/octave/HEAD',
    binderPersistentRequest: 'v2/gh/binder-examples/octave/1479e0252b2e648bb755ee913292b79495931717',
  });
  expect(launch.binderClientIp).toBeUndefined(); // recorded before BinderHub sent it
  expect(launch.marks).toEqual([
    { kind: 'server-requested', t: 3 + 726 },
    {
      kind: 'assigned',
      namespace: 'default',
      pod: 'jupyter-binder-2dexamples-2doctave-2d3ilc7xl2',
      node: 'minikube',
      eventTime: '2023-10-09T06:46:53.262Z',
      eventType: 'Normal',
      t: 3 + 727,
    },
    {
      kind: 'image-present',
      image: 'jupyterhub/k8s-network-tools:3.1.0',
      eventTime: '2023-10-09T06:46:53.000Z',
      eventType: 'Normal',
      t: 3 + 728,
    },
    expect.objectContaining({ kind: 'created', container: 'block-cloud-metadata', t: 3 + 729 }),
    expect.objectContaining({ kind: 'started', container: 'block-cloud-metadata', t: 3 + 730 }),
    expect.objectContaining({
      kind: 'image-present',
      image: 'binder-2dexamples-2doctave-03025a:1479e0252b2e648bb755ee913292b79495931717',
      eventTime: '2023-10-09T06:46:54.000Z',
    }),
    expect.objectContaining({ kind: 'created', container: 'notebook' }),
    {
      kind: 'started',
      container: 'notebook',
      eventTime: '2023-10-09T06:46:54.000Z',
      eventType: 'Normal',
      t: 3 + 733,
    },
    { kind: 'server-ready', path: '/user/binder-examples-octave-3ilc7xl2/', t: 3 + 734 },
  ]);
}

describe('launchBinder on the recorded full-build stream', () => {
  it('returns the phases in order, the ready fields and the launch marks', async () => {
    expect(lines).toHaveLength(736);
    const body = Buffer.from(lines.map((l) => `${l}\n\n`).join(''));
    expectFixtureResult(await replay(body, 64 * 1024));
  });

  it('gives identical results with keepalives, empty events and 7-byte chunks', async () => {
    // BinderHub's `:keepalive\n\n` comments and JupyterHub-style bare `\n\n` between events; 7-byte
    // writes split lines, JSON and the multi-byte characters of the build log.
    const body = Buffer.from(
      lines
        .map((l, i) => `${i % 3 === 0 ? ':keepalive\n\n' : ''}${l}\n\n${i % 5 === 0 ? '\n\n' : ''}`)
        .join(''),
    );
    expect(body.toString('utf8')).toContain('─');
    expectFixtureResult(await replay(body, 7));
  });
});
