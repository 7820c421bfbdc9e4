/**
 * The import table of ARCHITECTURE.md ("Layout": who may import what), enforced in `npm test`
 * (`npm run lint:imports`). This file is the table's machine-readable source: change a layer's
 * allowances here and in ARCHITECTURE.md together. Paths are resolved (not matched as text), so a
 * relative `../../` cannot slip past a rule, and type-only, dynamic (`await import()`) and re-export
 * edges count like any other import. Each rule's `comment` is the reason printed on a violation.
 */
const OURS = '^(bin|cli|api|core|scenarios|loadgen|analysis|reports|live|provision|test|bench|examples)/';

module.exports = {
  forbidden: [
    {
      name: 'core-imports-nothing-of-ours',
      comment:
        'core/ is the shared vocabulary every layer imports; it may import only third-party packages and itself (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: OURS, pathNot: '^core/' },
    },
    {
      name: 'scenarios-imports-core-only',
      comment: 'scenarios/ (the scenario schema) may import only core/ (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^scenarios/' },
      to: { path: OURS, pathNot: '^(core|scenarios)/' },
    },
    {
      name: 'loadgen-imports-scenarios-and-core',
      comment:
        'loadgen/ (planning, the runner, clients, the run-record writer) may import scenarios/ and core/ only: it must not depend on analysis, reports, provisioning or the CLI (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^loadgen/' },
      to: { path: OURS, pathNot: '^(core|scenarios|loadgen)/' },
    },
    {
      name: 'analysis-reads-loadgen-only-through-the-record',
      comment:
        'analysis/ reads runs only through the run record: it may import loadgen/record/, scenarios/ and core/, never the rest of loadgen/ (ARCHITECTURE.md: "the one part of loadgen/ that analysis/ and reports/ may import").',
      severity: 'error',
      from: { path: '^analysis/' },
      to: { path: OURS, pathNot: '^(core|scenarios|analysis|loadgen/record)/' },
    },
    {
      name: 'reports-read-the-record-and-analysis',
      comment:
        'reports/ may import loadgen/record/, analysis/, scenarios/ and core/; nothing in reports/ talks to a hub or runs load (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^reports/' },
      to: { path: OURS, pathNot: '^(core|scenarios|analysis|reports|loadgen/record)/' },
    },
    {
      name: 'live-reads-the-record-and-reports',
      comment:
        'live/ (the page and /metrics of `rehearse run --live`) is fed by the record as it is written: it may import loadgen/record/, the progress-reporter interface it wraps (loadgen/runner/reporter.ts), reports/ (one spec builder per chart), analysis/, scenarios/ and core/, never the runner or the clients.',
      severity: 'error',
      from: { path: '^live/' },
      to: {
        path: OURS,
        pathNot: [
          '^(core|scenarios|analysis|reports|live|loadgen/record)/',
          '^loadgen/runner/reporter\\.ts$',
        ],
      },
    },
    {
      name: 'provision-local-imports-scenarios-and-core',
      comment:
        'provision/local/ (the local target) may import scenarios/ and core/ only (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^provision/local/' },
      to: { path: OURS, pathNot: '^(core|scenarios|provision/local)/' },
    },
    {
      name: 'provision-jetstream2-imports-analysis-plan-types',
      comment:
        'provision/jetstream2/ consumes the sizing plan: it may import analysis/ (the plan types, the catalogue and quota it sizes with) and core/ only (ARCHITECTURE.md, Layout).',
      severity: 'error',
      from: { path: '^provision/jetstream2/' },
      to: { path: OURS, pathNot: '^(core|analysis|provision/jetstream2)/' },
    },
    {
      name: 'only-the-cli-imports-the-library-entry',
      comment:
        'api/ is the library entry (rehearse(), planCluster(), writeReport() …): it composes the layers, so no layer may import it; only cli/, tests and examples call it.',
      severity: 'error',
      from: { path: '^(core|scenarios|loadgen|analysis|reports|live|provision)/' },
      to: { path: '^api/' },
    },
    {
      name: 'nothing-imports-cli',
      comment:
        'cli/ only wires commander to the library; no library folder may import it (ARCHITECTURE.md: "no library folder imports cli/").',
      severity: 'error',
      from: { path: '^(api|core|scenarios|loadgen|analysis|reports|live|provision)/' },
      to: { path: '^(cli|bin)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
