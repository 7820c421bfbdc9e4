import { Command } from 'commander';
import type { CliIO } from './main.js';

/**
 * Commander wiring only. Each action lazy-imports its module from cli/commands/, which returns an
 * exit code; errors propagate to main()'s single handler.
 */
/** Repeatable option: each occurrence appends. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function createProgram(io: CliIO, setExit: (code: number) => void): Command {
  const program = new Command('rehearse')
    .description('Rehearse a BinderHub workshop before the attendees arrive.')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });

  const run =
    <A extends unknown[]>(load: () => Promise<(io: CliIO, ...args: A) => Promise<number>>) =>
    async (...args: A) => {
      const action = await load();
      setExit(await action(io, ...args));
    };

  program
    .command('validate')
    .description('check a scenario file; lists every error with its path and line')
    .argument('<scenario>', 'scenario YAML file')
    .option('--json', 'print the normalised scenario as JSON')
    .action(run(async () => (await import('./commands/validate.js')).validate));

  program
    .command('run')
    .description(
      "rehearse a workshop: run the scenario's simulated attendees against its target, record and judge it",
    )
    .argument('<scenario>', 'scenario YAML file')
    .option('--json', 'print the summary as JSON')
    .option('--out <dir>', 'folder for run records', 'runs')
    .option('--id <id>', 'run id (default: time, scenario name and a random suffix)')
    .option('--seed <n>', "override the scenario's seed")
    .option('--protocol <p>', 'kernel websocket protocol: v1 or legacy', 'v1')
    .option('--state-dir <dir>', 'state folder of the local target')
    .option(
      '--stack <name>',
      'with the local target: the stack (overrides the scenario): debian12 (JupyterHub 3), debian13 (JupyterHub 5), custom ($REHEARSE_PYTHON)',
    )
    .option(
      '--workers <spec>',
      'run the plan as N shards: local:N (child processes) or k8s:N (an Indexed Job)',
    )
    .option('--image <image>', 'worker image for --workers k8s:N')
    .option(
      '--kubeconfig <file>',
      "watch the hub's Kubernetes cluster during the run (cluster.json in the record)",
    )
    .option(
      '--namespace <ns>',
      "the hub's namespace: for --kubeconfig, and where --workers k8s:N runs (default: default)",
    )
    .option(
      '--worker-namespace <ns>',
      'with --workers k8s:N: namespace of the worker Job, ConfigMap and Secret (default: --namespace, else "default")',
    )
    .option('--dry-run', 'with --workers k8s:N: print the ConfigMap and Job as YAML, contact no cluster')
    .option(
      '--allow-dirty',
      'run even when records of dead runs list leftovers on this hub (default: refuse; rehearse cleanup removes them)',
    )
    .option(
      '--live [host:port]',
      'serve a live page of the run (and /metrics for Prometheus); default 127.0.0.1 on a free port; the URL with its access token is printed',
    )
    .option('--metrics <host:port>', 'serve /metrics (Prometheus) at this address, token as for --live')
    .option('--live-public', 'allow --live / --metrics on an address other than loopback (plain HTTP)')
    .option(
      '--live-linger <duration>',
      'keep the live page and /metrics up this long after the run (Ctrl-C ends it)',
    )
    .action(run(async () => (await import('./commands/run.js')).run));
  program
    .command('check')
    .description(
      'do the notebooks still work? every code cell of every notebook, one attendee per notebook, per stack or hub (exit 99 when one fails)',
    )
    .argument('<input>', 'scenario or repo-list YAML, a repo folder, or a repo spec gh/<org>/<repo>/<ref>')
    .option('--json', 'print the per-cell health as JSON')
    .option('--out <dir>', 'folder for run records', 'runs')
    .option('--id <id>', 'run id (default: time, name and a random suffix)')
    .option('--stack <name>', 'local stack to check on (repeatable; default debian12)', collect, [])
    .option(
      '--target <target>',
      '"local" or a BinderHub URL (repeatable: one column per target)',
      collect,
      [],
    )
    .option(
      '--hub-token-env <NAME>',
      'with --target URLs: environment variable holding a hub API token (servers stopped, users deleted)',
    )
    .option(
      '--keep-going',
      'run the cells after a failing one; later errors that follow from it are marked consequences',
    )
    .option('--cell-timeout <duration>', 'bound on one cell (then the kernel is interrupted)', '2m')
    .option('--notebook-timeout <duration>', 'bound on one notebook, cells after it are not run', '15m')
    .option('--protocol <p>', 'kernel websocket protocol: v1 or legacy', 'v1')
    .option('--state-dir <dir>', 'state folder of the local target')
    .action(run(async () => (await import('./commands/check.js')).check));
  program
    .command('worker')
    .description('one shard of a distributed run (started by `run --workers`); worker protocol on stdout')
    .option(
      '--config <file>',
      'worker config (default: $REHEARSE_WORKER_CONFIG or /etc/rehearse/worker.json)',
    )
    .option('--index <i>', 'shard index (default: $JOB_COMPLETION_INDEX)')
    .action(run(async () => (await import('./commands/worker.js')).worker));
  program
    .command('plan')
    .description(
      'size the Jetstream2 cluster for a scenario: node groups, pre-scale, placeholders, SU budget, beside the rule of thumb',
    )
    .argument('<scenario>', 'scenario YAML file (needs a capacity section)')
    .option('--from <dir>', 'calibrate from a run record (runs/<id>, or runs: the latest)')
    .option('--event-hours <h>', 'event length in hours (default: last arrival + session)')
    .option('--events-per-year <n>', 'events per year in the SU budget (default 1)')
    .option('--json', 'print the report as JSON')
    .option('--out <file>', 'write the NodeGroupPlan as YAML (not written without it)')
    .action(run(async () => (await import('./commands/plan.js')).plan));
  program
    .command('report')
    .description('write report.html, report.md (+PNG charts) and junit.xml for a run record')
    .argument('<dir>', 'a run record (runs/<id>), or a folder of records (runs: the latest)')
    .option('--json', 'print the written paths and the verdict as JSON')
    .option('--out <dir>', 'folder for the report files (default: the record folder)')
    .option('--plan <file>', 'add a capacity plan: the JSON of `rehearse plan --json`')
    .option('--baseline <dir>', 'check records: mark cells slower than in this record (runs/<id>)')
    .option('--slower <factor>', 'with --baseline: the factor that counts as slower (beyond noise)', '2')
    .action(run(async () => (await import('./commands/report.js')).report));
  program
    .command('compare')
    .description('compare a candidate run with a baseline run (exit 99 on regression)')
    .argument('<baseline>', 'run record (runs/<id>) or a folder of records (the latest)')
    .argument('<candidate>', 'run record, or a folder of records (the latest)')
    .option('--tolerance <t>', 'worsening that counts: 10% or 0.1', '10%')
    .option(
      '--slower <factor>',
      'check records: a cell slower than this factor (beyond noise) is a regression',
      '2',
    )
    .option('--out <dir>', 'report folder (default: <candidate>/compare-<baseline id>/)')
    .option('--json', 'print the comparison as JSON')
    .action(run(async () => (await import('./commands/compare.js')).compare));
  program
    .command('launch')
    .description(
      'one attendee end to end: launch through BinderHub, start a kernel, run a notebook cell, leave',
    )
    .argument('<spec>', 'BinderHub spec, e.g. gh/rehearse-examples/dask-intro/HEAD')
    .requiredOption('--target <target>', '"local" or a BinderHub URL')
    .option('--notebook <path>', 'notebook whose code cell to run (default: the bundled dask-xarray-intro)')
    .option('--cell <n>', 'index of the code cell to run', '0')
    .option('--all-cells', 'run every code cell in order instead')
    .option('--protocol <p>', 'kernel websocket protocol: v1 or legacy', 'v1')
    .option(
      '--hub-token-env <NAME>',
      'environment variable holding a hub API token, to stop the server and delete the user',
    )
    .option('--timeout <duration>', 'bound for the launch and for the cell', '15m')
    .option('--state-dir <dir>', 'state folder of the local target')
    .option('--json', 'print the report as JSON')
    .action(run(async () => (await import('./commands/launch.js')).launch));
  const stateDirHelp =
    'state folder of the local target (default: $REHEARSE_HOME/local or ~/.local/state/rehearse/local)';
  program
    .command('up')
    .description(
      'start a target: `up local` starts JupyterHub, its proxy and the BinderHub-API front on 127.0.0.1',
    )
    .argument('<target>', 'local')
    .option('--json', 'print the URLs and state as JSON')
    .option('--state-dir <dir>', stateDirHelp)
    .option(
      '--stack <name>',
      'stack: debian12 (JupyterHub 3), debian13 (JupyterHub 5), custom ($REHEARSE_PYTHON)',
    )
    .option('--build-time <duration>', 'emulated image build time of a first launch (e.g. 10s)')
    .option('--concurrent-spawn-limit <n>', 'JupyterHub concurrent_spawn_limit (default 64, as z2jh)')
    .option('--active-server-limit <n>', 'JupyterHub active_server_limit (0 = off)')
    .option('--launch-quota <n>', 'BinderHub launch quota: total running servers (0 = off)')
    .option('--rate-limit <n>', 'BinderHub RateLimiter: launches per IP per hour (0 = off, the default here)')
    .action(run(async () => (await import('./commands/local.js')).upLocal));
  program
    .command('down')
    .description('stop a target started with `up` and remove its state; nothing of ours is left running')
    .argument('<target>', 'local')
    .option('--json', 'print the result as JSON')
    .option('--state-dir <dir>', stateDirHelp)
    .action(run(async () => (await import('./commands/local.js')).downLocal));
  program
    .command('cleanup')
    .description(
      'remove what runs that did not end normally left (hub users, servers, kernels, tokens, the local target they started), from their ledgers; exit 0 only when nothing is left',
    )
    .argument('[path]', 'a run record (runs/<id>) or a folder of records', 'runs')
    .option('--dry-run', 'list what would be removed, change nothing')
    .option('--state-dir <dir>', stateDirHelp)
    .action(run(async () => (await import('./commands/cleanup.js')).cleanup));
  program
    .command('status')
    .description('is the target up? (exit 0 when healthy, 3 when not)')
    .argument('<target>', 'local')
    .option('--json', 'print the status as JSON')
    .option('--state-dir <dir>', stateDirHelp)
    .action(run(async () => (await import('./commands/local.js')).statusLocal));
  program
    .command('summary')
    .description('print the summary of a run record (exit 99 when its thresholds failed)')
    .argument('<dir>', 'a run record (runs/<id>), or a folder of records (runs: the latest)')
    .option('--json', 'print the summary as JSON')
    .action(run(async () => (await import('./commands/summary.js')).summary));

  const provision = program
    .command('provision')
    .description('stand BinderHub up on Jetstream2: Magnum cluster + BinderHub (cdktf, terraform or tofu)');
  const provisionFlags = (c: Command) =>
    c
      .option('--plan <file>', 'NodeGroupPlan from `rehearse plan --out`', 'plan.yaml')
      .option(
        '--config <file>',
        'jetstream2.yaml: template, hosts, registry, quotas (else Terraform variables)',
      )
      .option('--out <dir>', 'cdktf output folder', 'cdktf.out');
  provisionFlags(
    provision.command('synth').description('write the cluster and binderhub stacks as Terraform JSON'),
  ).action(run(async () => (await import('./commands/provision.js')).provisionSynth));
  provisionFlags(provision.command('diff').description('terraform/tofu plan of both stacks')).action(
    run(async () => (await import('./commands/provision.js')).provisionDiff),
  );
  provisionFlags(provision.command('apply').description('create or update the cluster, then BinderHub'))
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .option(
      '--allow-replace',
      'apply a plan that deletes or replaces the cluster, a node group or the template (every user server on them is lost)',
    )
    .action(run(async () => (await import('./commands/provision.js')).provisionApply));
  provisionFlags(provision.command('destroy').description('delete BinderHub, then the cluster'))
    .option('--yes', 'do not ask for confirmation (required without a terminal)')
    .action(run(async () => (await import('./commands/provision.js')).provisionDestroy));
  const prescaleFlags = (c: Command) =>
    c
      .option('--plan <file>', 'NodeGroupPlan from `rehearse plan --out`', 'plan.yaml')
      .option(
        '--state <file>',
        "`terraform show -json` of the cluster stack: Magnum's record to order the calls by",
      )
      .option('--cluster <name>', 'Magnum cluster name or UUID (default: from --state)')
      .option('--namespace <ns>', 'BinderHub namespace (the placeholders)', 'binderhub')
      .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: the one provision apply writes)')
      .option('--context <name>', 'kubeconfig context')
      .option('--wait <duration>', 'how long to wait for the nodes', '20m')
      .option('--dry-run', 'print the steps, change nothing');
  prescaleFlags(
    provision
      .command('prescale')
      .description(
        "do the plan's pre-scale step: placeholders, Magnum's min (in an order Magnum accepts), nodes checked",
      )
      .requiredOption('--at <T-duration>', 'which step, from the event start, e.g. T-30m'),
  ).action(run(async () => (await import('./commands/prescale.js')).provisionPrescale));
  prescaleFlags(
    provision
      .command('unscale')
      .description("undo the pre-scale: min_node_count back to the plan's, no placeholders"),
  ).action(run(async () => (await import('./commands/prescale.js')).provisionUnscale));
  provision
    .command('doctor')
    .description(
      'check the cluster against a NodeGroupPlan (nodes Ready, node-group labels, the autoscaler status, pending placeholders), BinderHub /health and its certificate',
    )
    .option(
      '--kubeconfig <file>',
      'kubeconfig of the Magnum cluster (default: .rehearse/jetstream2/jetstream2.kubeconfig, written by provision apply)',
    )
    .option('--plan <file>', 'NodeGroupPlan YAML (rehearse plan --out)')
    .option('--binder-url <url>', 'BinderHub URL; checks <url>/health')
    .option('--context <name>', 'kubeconfig context (default: its current one)')
    .option('--namespace <ns>', 'BinderHub namespace (the placeholders)', 'binderhub')
    .option('--json', 'print the checks as JSON')
    .action(run(async () => (await import('./commands/doctor.js')).provisionDoctor));

  return program;
}
