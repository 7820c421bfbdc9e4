import { describe, expect, it } from 'vitest';
import { parseGoDuration, parseSpawnerMessage } from '../../loadgen/clients/spawner-progress.js';

// Message strings are real: from the recorded BinderHub fixture and from event logs users pasted into
// GitHub issues (2i2c-org/infrastructure#2128, #2185, #2271; pangeo-data/pangeo-cloud-federation#161,
// #398; jupyterhub/mybinder.org-deploy#3080; kubespawner#916), plus the exact formats of the
// upstream sources named in spawner-progress.ts.

describe('parseSpawnerMessage', () => {
  it('reads JupyterHub messages without a KubeSpawner prefix', () => {
    expect(parseSpawnerMessage('Server requested\n')).toEqual({ kind: 'server-requested' });
    expect(parseSpawnerMessage('Spawning server...')).toEqual({ kind: 'spawning' });
    expect(parseSpawnerMessage('Server ready at /user/binder-examples-octave-3ilc7xl2/\n')).toEqual({
      kind: 'server-ready',
      path: '/user/binder-examples-octave-3ilc7xl2/',
    });
    expect(
      parseSpawnerMessage('Spawn failed: pod aup/jupyter-shaolintl did not start in 600 seconds!'),
    ).toEqual({
      kind: 'spawn-failed',
      detail: 'pod aup/jupyter-shaolintl did not start in 600 seconds!',
    });
    expect(parseSpawnerMessage('Spawn failed: Timeout')).toEqual({ kind: 'spawn-failed', detail: 'Timeout' });
    expect(parseSpawnerMessage('Spawn cancelled')).toEqual({ kind: 'spawn-failed', detail: 'cancelled' });
  });

  it('reads the scheduler assignment with its microsecond eventTime', () => {
    expect(
      parseSpawnerMessage(
        '2023-10-09T06:46:53.262879Z [Normal] Successfully assigned default/jupyter-binder-2dexamples-2doctave-2d3ilc7xl2 to minikube\n',
      ),
    ).toEqual({
      kind: 'assigned',
      namespace: 'default',
      pod: 'jupyter-binder-2dexamples-2doctave-2d3ilc7xl2',
      node: 'minikube',
      eventTime: '2023-10-09T06:46:53.262Z',
      eventType: 'Normal',
    });
    expect(
      parseSpawnerMessage(
        '2023-02-27T18:33:14.409319Z [Normal] Successfully assigned prod/jupyter-damianavila to ip-192-168-7-170.us-west-2.compute.internal',
      ),
    ).toMatchObject({
      kind: 'assigned',
      node: 'ip-192-168-7-170.us-west-2.compute.internal',
      pod: 'jupyter-damianavila',
    });
  });

  it('reads FailedScheduling warnings', () => {
    expect(
      parseSpawnerMessage(
        "2023-02-27T18:31:55.868160Z [Warning] 0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
      ),
    ).toEqual({
      kind: 'failed-scheduling',
      detail:
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
      nodesAvailable: 0,
      nodesTotal: 2,
      eventTime: '2023-02-27T18:31:55.868Z',
      eventType: 'Warning',
    });
    // kubespawner < 0.14 printed a Python datetime.
    expect(
      parseSpawnerMessage(
        '2019-03-24 02:47:40+00:00 [Warning] 0/11 nodes are available: 1 node(s) had disk pressure, 10 Insufficient memory, 2 Insufficient cpu.',
      ),
    ).toMatchObject({ kind: 'failed-scheduling', nodesTotal: 11, eventTime: '2019-03-24T02:47:40.000Z' });
  });

  it('reads cluster-autoscaler scale-up, old and new formats, and no-scale-up', () => {
    expect(
      parseSpawnerMessage(
        '2023-02-27T18:31:57Z [Normal] pod triggered scale-up: [{eksctl-carbonplanhub-nodegroup-nb-r5-large-NodeGroup-4564L5LAHRC2 0->1 (max: 500)}]',
      ),
    ).toEqual({
      kind: 'scale-up',
      groups: [
        {
          group: 'eksctl-carbonplanhub-nodegroup-nb-r5-large-NodeGroup-4564L5LAHRC2',
          from: 0,
          to: 1,
          max: 500,
        },
      ],
      eventTime: '2023-02-27T18:31:57.000Z',
      eventType: 'Normal',
    });
    expect(
      parseSpawnerMessage('pod triggered scale-up: [{pool-a 1->3 (max: 10)} {pool-b 0->1 (max: 5)}]'),
    ).toEqual({
      kind: 'scale-up',
      groups: [
        { group: 'pool-a', from: 1, to: 3, max: 10 },
        { group: 'pool-b', from: 0, to: 1, max: 5 },
      ],
    });
    expect(
      parseSpawnerMessage(
        'pod triggered scale-up, group: https://content.googleapis.com/compute/v1/projects/maciekpytel-dev-playground/zones/us-central1-b/instanceGroups/e2e-test-maciekpytel-minion-group, sizes (current/new): 3/4',
      ),
    ).toMatchObject({ kind: 'scale-up', groups: [{ from: 3, to: 4 }] });
    expect(
      parseSpawnerMessage(
        "2023-02-08T18:24:48Z [Normal] pod didn't trigger scale-up: 1 node(s) didn't match Pod's node affinity/selector, 1 in backoff after failed scale-up",
      ),
    ).toMatchObject({
      kind: 'no-scale-up',
      detail: "1 node(s) didn't match Pod's node affinity/selector, 1 in backoff after failed scale-up",
    });
    expect(
      parseSpawnerMessage(
        "2019-09-04 16:51:38+00:00 [Normal] pod didn't trigger scale-up (it wouldn't fit if a new node is added)",
      ),
    ).toMatchObject({ kind: 'no-scale-up', detail: "(it wouldn't fit if a new node is added)" });
  });

  it('reads kubelet image events of three kubelet generations', () => {
    expect(
      parseSpawnerMessage(
        '2023-02-27T18:33:21Z [Normal] Pulling image "carbonplan/trace-python-notebook:latest"',
      ),
    ).toMatchObject({ kind: 'pulling', image: 'carbonplan/trace-python-notebook:latest' });
    expect(
      parseSpawnerMessage('2023-03-30T15:32:58Z [Normal] Successfully pulled image "busybox" in 94.440927ms'),
    ).toMatchObject({
      kind: 'pulled',
      image: 'busybox',
      durationMs: 94.440927,
    });
    expect(
      parseSpawnerMessage(
        '2023-03-30T15:34:35Z [Normal] Successfully pulled image "nmearl/cds-containds:latest" in 1m35.245028196s',
      ),
    ).toMatchObject({ kind: 'pulled', durationMs: 95_245.028196 });
    const waited = parseSpawnerMessage(
      'Successfully pulled image "gesiscss/binder-r2d-g5b5b759-gesiscss-2dorc2-2dtest-2dbuild-ced273:11d3e7147788113abe67dc0b05ac9ea3cced67be" in 2.873s (31m47.355s including waiting)',
    );
    expect(waited).toEqual({
      kind: 'pulled',
      image:
        'gesiscss/binder-r2d-g5b5b759-gesiscss-2dorc2-2dtest-2dbuild-ced273:11d3e7147788113abe67dc0b05ac9ea3cced67be',
      durationMs: 2873,
      includingWaitingMs: 1_907_355,
    });
    expect(
      parseSpawnerMessage(
        '2025-06-01T10:00:00Z [Normal] Successfully pulled image "quay.io/jupyter/base-notebook:2025-05-26" in 1m2.504s (1m2.504s including waiting). Image size: 358493726 bytes.',
      ),
    ).toMatchObject({
      kind: 'pulled',
      durationMs: 62_504,
      includingWaitingMs: 62_504,
      sizeBytes: 358_493_726,
    });
    expect(
      parseSpawnerMessage(
        '2023-10-09T06:46:53Z [Normal] Container image "jupyterhub/k8s-network-tools:3.1.0" already present on machine\n',
      ),
    ).toEqual({
      kind: 'image-present',
      image: 'jupyterhub/k8s-network-tools:3.1.0',
      eventTime: '2023-10-09T06:46:53.000Z',
      eventType: 'Normal',
    });
    expect(
      parseSpawnerMessage(
        'Container image "busybox:1.36" already present on machine and can be accessed by the pod',
      ),
    ).toEqual({ kind: 'image-present', image: 'busybox:1.36' });
    expect(
      parseSpawnerMessage(
        '2024-05-02T09:12:44Z [Warning] Failed to pull image "pangeo/pangeo-notebook:2099.01.01": rpc error: code = NotFound desc = failed to pull and unpack image',
      ),
    ).toMatchObject({
      kind: 'pull-failed',
      image: 'pangeo/pangeo-notebook:2099.01.01',
      detail: 'rpc error: code = NotFound desc = failed to pull and unpack image',
    });
  });

  it('reads container created/started, with and without the container name', () => {
    expect(parseSpawnerMessage('2023-10-09T06:46:54Z [Normal] Created container notebook\n')).toMatchObject({
      kind: 'created',
      container: 'notebook',
    });
    expect(parseSpawnerMessage('2023-10-09T06:46:54Z [Normal] Started container notebook\n')).toEqual({
      kind: 'started',
      container: 'notebook',
      eventTime: '2023-10-09T06:46:54.000Z',
      eventType: 'Normal',
    });
    // kubelet 1.32-1.34
    expect(parseSpawnerMessage('Created container: kube-apiserver')).toEqual({
      kind: 'created',
      container: 'kube-apiserver',
    });
    // kubelet 1.35+: the name moved to the event's fieldPath
    expect(parseSpawnerMessage('2026-04-01T12:00:00Z [Normal] Container created')).toMatchObject({
      kind: 'created',
    });
    expect(parseSpawnerMessage('Container started')).toEqual({ kind: 'started' });
  });

  it('tolerates a None timestamp and returns null for text it does not know', () => {
    expect(parseSpawnerMessage('None [Normal] Started container notebook')).toEqual({
      kind: 'started',
      container: 'notebook',
      eventType: 'Normal',
    });
    expect(parseSpawnerMessage('Launching server...\n')).toBeNull();
    expect(parseSpawnerMessage('Launch attempt 1 failed, retrying...\n')).toBeNull();
    expect(
      parseSpawnerMessage(
        'Server launch is taking longer than expected. Please be patient! Current time spent waiting: 30 seconds.',
      ),
    ).toBeNull();
    expect(
      parseSpawnerMessage(
        '2023-02-27T18:33:16Z [Normal] Cancelling deletion of Pod prod/jupyter-damianavila',
      ),
    ).toBeNull();
    expect(parseSpawnerMessage('')).toBeNull();
  });
});

describe('parseGoDuration', () => {
  it('sums Go duration terms into milliseconds', () => {
    expect(parseGoDuration('1m2.504s')).toBe(62_504);
    expect(parseGoDuration('850ms')).toBe(850);
    expect(parseGoDuration('1h2m3s')).toBe(3_723_000);
    expect(parseGoDuration('3.2s')).toBe(3200);
    expect(parseGoDuration('1.5µs')).toBeCloseTo(0.0015, 10);
    expect(parseGoDuration('250ns')).toBeCloseTo(0.00025, 10);
    expect(parseGoDuration('0s')).toBe(0);
    expect(parseGoDuration('-1.5s')).toBe(-1500);
  });

  it('rejects what is not a Go duration', () => {
    expect(parseGoDuration('')).toBeNull();
    expect(parseGoDuration('3.2')).toBeNull();
    expect(parseGoDuration('1m2x')).toBeNull();
    expect(parseGoDuration('fast')).toBeNull();
  });
});
