import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validate } from '../../cli/commands/validate.js';
import { scenarioJsonSchema, scenarioJsonSchemaText } from '../../scenarios/export-schema.js';
import {
  canonicalJson,
  loadScenario,
  parseScenario,
  ScenarioInvalidError,
  type ScenarioIssue,
  scenarioHash,
} from '../../scenarios/load.js';
import { scenarioSchema } from '../../scenarios/schema.js';

const SCENARIOS = path.resolve(import.meta.dirname, '../../scenarios');

// Every field on its own line, so that each case below can replace exactly one line.
const BASE = `name: t
seed: 7
target:
  kind: local
  buildTime: 5s
repo: gh/org/repo/HEAD
cohorts:
  - name: a
    users: 3
    start: 10s
    arrival:
      kind: burst
      over: 30s
session:
  notebook: nb.ipynb
  thinkTime:
    median: 5s
    p95: 20s
  duration: 2m
  onEnd: keep
slo:
  - launch.ready p(95) < 60s
capacity:
  user:
    memory: 8Gi
    cpu: 4
  flavors: [m3.large]
  nodeReady: 5m
`;

/** Replace the first line whose text starts (after indentation) with `prefix`; `null` deletes it. */
function edit(text: string, prefix: string, replacement: string | null): { text: string; line: number } {
  const lines = text.split('\n');
  const index = lines.findIndex((l) => l.trimStart().startsWith(prefix));
  if (index < 0) throw new Error(`no line starts with ${prefix}`);
  const indent = lines[index]?.match(/^\s*/)?.[0] ?? '';
  if (replacement === null) lines.splice(index, 1);
  else lines[index] = indent + replacement;
  return { text: lines.join('\n'), line: index + 1 };
}

function issuesOf(text: string): ScenarioIssue[] {
  try {
    parseScenario(text, 'test.yaml');
  } catch (err) {
    if (err instanceof ScenarioInvalidError) return [...err.issues];
    throw err;
  }
  throw new Error('expected the scenario to be invalid');
}

/** Where `needle` starts in `text`, 1-based. */
function positionOf(text: string, needle: string, from = 0): { line: number; column: number } {
  const offset = text.indexOf(needle, from);
  if (offset < 0) throw new Error(`${needle} not in text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

describe('parseScenario: values', () => {
  it('parses durations to ms and memory to bytes, keeping what was given', () => {
    const s = parseScenario(BASE, 'test.yaml');
    expect(s).toEqual({
      name: 't',
      seed: 7,
      target: { kind: 'local', buildTime: 5_000 },
      repo: 'gh/org/repo/HEAD',
      cohorts: [{ name: 'a', users: 3, start: 10_000, arrival: { kind: 'burst', over: 30_000 } }],
      session: {
        notebook: 'nb.ipynb',
        thinkTime: { median: 5_000, p95: 20_000 },
        duration: 120_000,
        onEnd: 'keep',
      },
      slo: ['launch.ready p(95) < 60s'],
      capacity: { user: { memory: 8_589_934_592, cpu: 4 }, flavors: ['m3.large'], nodeReady: 300_000 },
    });
  });

  it('fills in the documented defaults', () => {
    let text = edit(BASE, 'seed:', null).text;
    text = edit(text, 'start:', null).text;
    text = edit(text, 'onEnd:', null).text;
    text = text.replace('slo:\n  - launch.ready p(95) < 60s\n', '').replace(/capacity:[\s\S]*$/, '');
    const s = parseScenario(text, 'test.yaml');
    expect(s.seed).toBe(42);
    expect(s.cohorts[0]?.start).toBe(0);
    expect(s.session.onEnd).toBe('stop');
    expect(s.slo).toEqual([]);
    expect(s.capacity).toBeUndefined();
  });

  it('defaults users of a list arrival to the number of times', () => {
    const text = edit(edit(BASE, 'users:', null).text, 'kind: burst', 'kind: list').text.replace(
      'over: 30s',
      'at: [0s, 1s, 1s, 1m]',
    );
    expect(parseScenario(text, 'test.yaml').cohorts[0]).toEqual({
      name: 'a',
      users: 4,
      start: 10_000,
      arrival: { kind: 'list', at: [0, 1_000, 1_000, 60_000] },
    });
  });

  it('parses the other target and arrival kinds', () => {
    const text = BASE.replace(
      '  kind: local\n  buildTime: 5s',
      '  kind: jupyterhub\n  url: http://127.0.0.1:8000/\n  tokenEnv: HUB_TOKEN',
    ).replace('kind: burst\n      over: 30s', 'kind: poisson\n      ratePerMinute: 0.75\n      until: 20m');
    const s = parseScenario(text, 'test.yaml');
    expect(s.target).toEqual({ kind: 'jupyterhub', url: 'http://127.0.0.1:8000/', tokenEnv: 'HUB_TOKEN' });
    expect(s.cohorts[0]?.arrival).toEqual({ kind: 'poisson', ratePerMinute: 0.75, until: 1_200_000 });
  });

  it('never mutates its input', () => {
    const data = deepFreeze(parseYaml(BASE) as object);
    const before = JSON.stringify(data);
    // Frozen objects throw on writes in strict-mode code, so a mutation cannot go unnoticed.
    expect(scenarioSchema.parse(data).cohorts[0]?.start).toBe(10_000);
    expect(JSON.stringify(data)).toBe(before);
  });
});

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value))
    if (child !== null && typeof child === 'object') deepFreeze(child);
  return Object.freeze(value);
}

const DURATION = 'expected a duration string like 500ms, 30s, 5m, 1h or 1m30s (a bare number has no unit)';
const NAME = "expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";
const SLO =
  'expected "<metric> <agg> <op> <value>", like "launch.ready p(95) < 60s" or "launch.failed rate < 1%"';
/** The SLO grammar's message for `launch.ready p95 < 60s` (core/slo.ts), at the column of `p95`. */
const P95 = 'column 14: write the percentile as p(95)';

describe('parseScenario: a bad value is reported at its path and line', () => {
  // [line to replace (its start), replacement, issue path, message, text of the bad value]
  const cases: [string, string, string, string, string][] = [
    ['name:', 'name: "bad name!"', 'name', NAME, '"bad name!"'],
    ['seed:', 'seed: 1.5', 'seed', 'expected a whole number, got a number', '1.5'],
    ['seed:', 'seed: -1', 'seed', 'Too small: expected number to be >=0', '-1'],
    ['seed:', 'seed: 4294967296', 'seed', 'Too big: expected number to be <=4294967295', '4294967296'],
    ['seed:', 'seed: "7"', 'seed', 'expected a number, got a string', '"7"'],
    [
      'kind: local',
      'kind: cloud',
      'target.kind',
      'expected a target with kind local, binderhub or jupyterhub',
      'cloud',
    ],
    ['buildTime:', 'buildTime: 30', 'target.buildTime', DURATION, '30'],
    [
      'buildTime:',
      'concurrentSpawnLimit: 0',
      'target.concurrentSpawnLimit',
      'Too small: expected number to be >=1',
      '0',
    ],
    [
      'buildTime:',
      'activeServerLimit: -1',
      'target.activeServerLimit',
      'Too small: expected number to be >=0',
      '-1',
    ],
    ['buildTime:', 'launchQuota: 2.5', 'target.launchQuota', 'expected a whole number, got a number', '2.5'],
    [
      'repo:',
      'repo: gh/org',
      'repo',
      'GitHub specs are gh/<org>/<repo>/<ref>, like gh/ProjectPythia/pythia-foundations/HEAD',
      'gh/org',
    ],
    [
      'repo:',
      'repo: svn/org/repo',
      'repo',
      'unknown repo provider "svn": expected <provider>/<spec> with provider one of gh, gist, git, gl, zenodo, figshare, hydroshare, dataverse, ckan',
      'svn/org/repo',
    ],
    [
      'repo:',
      'repo: 42',
      'repo',
      'expected a BinderHub repo spec like gh/<org>/<repo>/<ref> (a string)',
      '42',
    ],
    ['- name: a', '- name: ""', 'cohorts[0].name', NAME, '""'],
    ['users:', 'users: 0', 'cohorts[0].users', 'Too small: expected number to be >=1', '0'],
    ['start:', 'start: soon', 'cohorts[0].start', DURATION, 'soon'],
    [
      'kind: burst',
      'kind: wave',
      'cohorts[0].arrival.kind',
      'expected an arrival with kind burst, ramp, poisson or list',
      'wave',
    ],
    ['over:', 'over: 30', 'cohorts[0].arrival.over', DURATION, '30'],
    [
      'over:',
      'over: 0.5ms',
      'cohorts[0].arrival.over',
      '"0.5ms" is not a whole number of milliseconds',
      '0.5ms',
    ],
    ['notebook:', 'notebook: nb.py', 'session.notebook', 'expected a path to a .ipynb notebook', 'nb.py'],
    ['median:', 'median: 5 s', 'session.thinkTime.median', DURATION, '5 s'],
    ['duration:', 'duration: 0s', 'session.duration', 'must be longer than 0s', '0s'],
    ['onEnd:', 'onEnd: pause', 'session.onEnd', 'expected stop or keep', 'pause'],
    ['- launch.ready', '- launch.ready p95 < 60s', 'slo[0]', P95, 'launch.ready p95'],
    [
      'memory:',
      'memory: 8GB',
      'capacity.user.memory',
      'expected a memory quantity string like 8Gi, 512Mi, 8G or plain bytes',
      '8GB',
    ],
    ['memory:', 'memory: 0.1Gi', 'capacity.user.memory', '"0.1Gi" is not a whole number of bytes', '0.1Gi'],
    ['cpu:', 'cpu: 0', 'capacity.user.cpu', 'Too small: expected number to be >0', '0'],
    ['flavors:', 'flavors: []', 'capacity.flavors', 'Too small: expected array to have >=1 items', '[]'],
    ['nodeReady:', 'nodeReady: 5 minutes', 'capacity.nodeReady', DURATION, '5 minutes'],
  ];
  it.each(cases)('%s → %s', (prefix, replacement, issuePath, message, value) => {
    const { text, line } = edit(BASE, prefix, replacement);
    const column = (text.split('\n')[line - 1]?.indexOf(value) ?? -1) + 1;
    expect(issuesOf(text)).toEqual([{ path: issuePath, line, column, message }]);
  });

  it('takes user limits, each defaulting to its guarantee, and refuses a limit below it', () => {
    const withLimit = (limit: string) => BASE.replace('    cpu: 4\n', `    cpu: 4\n    limit: ${limit}\n`);
    expect(parseScenario(withLimit('{ cpu: 8 }'), 't.yaml').capacity?.user.limit).toEqual({ cpu: 8 });
    expect(issuesOf(withLimit('{ cpu: 2, memory: 4Gi }')).map((i) => [i.path, i.message])).toEqual([
      ['capacity.user.limit.cpu', 'a limit below the guarantee'],
      ['capacity.user.limit.memory', 'a limit below the guarantee'],
    ]);
  });

  it('names the expected arrival kinds when the arrival is not a mapping', () => {
    const text = BASE.replace('arrival:\n      kind: burst\n      over: 30s', 'arrival: burst');
    expect(issuesOf(text)).toEqual([
      {
        path: 'cohorts[0].arrival',
        ...positionOf(text, 'burst'),
        message: 'expected an arrival with kind burst, ramp, poisson or list',
      },
    ]);
  });

  it('checks p95 against median at p95', () => {
    const { text } = edit(BASE, 'median:', 'median: 30s');
    expect(issuesOf(text)).toEqual([
      { path: 'session.thinkTime.p95', ...positionOf(text, '20s'), message: 'must be at least median' },
    ]);
  });

  it('rejects a ramp over 0s and a Poisson rate of 0', () => {
    const ramp = BASE.replace('kind: burst\n      over: 30s', 'kind: ramp\n      over: 0s');
    expect(issuesOf(ramp)).toEqual([
      {
        path: 'cohorts[0].arrival.over',
        ...positionOf(ramp, '0s', ramp.indexOf('over: 0s')),
        message: 'must be longer than 0s',
      },
    ]);
    const poisson = BASE.replace(
      'kind: burst\n      over: 30s',
      'kind: poisson\n      ratePerMinute: 0\n      until: 20m',
    );
    expect(issuesOf(poisson)).toEqual([
      {
        path: 'cohorts[0].arrival.ratePerMinute',
        ...positionOf(poisson, '0', poisson.indexOf('ratePerMinute')),
        message: 'Too small: expected number to be >0',
      },
    ]);
  });

  it('checks list arrivals: users must match, offsets must not decrease', () => {
    const list = BASE.replace('kind: burst\n      over: 30s', 'kind: list\n      at: [0s, 20s, 10s]');
    expect(issuesOf(list)).toEqual([
      { path: 'cohorts[0].arrival.at[2]', ...positionOf(list, '10s]'), message: 'offsets must not decrease' },
    ]);
    const mismatch = BASE.replace('kind: burst\n      over: 30s', 'kind: list\n      at: [0s, 10s]');
    expect(issuesOf(mismatch)).toEqual([
      {
        path: 'cohorts[0].users',
        ...positionOf(mismatch, '3\n'),
        message: 'must equal the number of arrival times (2), or be left out',
      },
    ]);
  });

  it('requires unique cohort names and at least one cohort', () => {
    const two = BASE.replace(
      '      over: 30s\n',
      '      over: 30s\n  - name: a\n    users: 1\n    arrival: { kind: burst, over: 0s }\n',
    );
    expect(issuesOf(two)).toEqual([
      {
        path: 'cohorts[1].name',
        ...positionOf(two, 'a\n', two.indexOf('over: 30s')),
        message: 'duplicate name "a"',
      },
    ]);
    const none = BASE.replace(/cohorts:[\s\S]*?session:/, 'cohorts: []\nsession:');
    expect(issuesOf(none)).toEqual([
      { path: 'cohorts', ...positionOf(none, '[]'), message: 'expected at least one cohort' },
    ]);
  });
});

describe('parseScenario: missing and unknown keys, several issues, YAML errors', () => {
  it('points a missing key at its parent', () => {
    const noUsers = edit(BASE, 'users:', null).text;
    expect(issuesOf(noUsers)).toEqual([
      {
        path: 'cohorts[0].users',
        ...positionOf(noUsers, 'name: a'),
        message: 'is required (except with a list arrival)',
      },
    ]);
    const noNotebook = edit(BASE, 'notebook:', null).text;
    expect(issuesOf(noNotebook)).toEqual([
      { path: 'session.notebook', ...positionOf(noNotebook, 'session:'), message: 'is required' },
    ]);
    const noRepo = edit(BASE, 'repo:', null).text;
    expect(issuesOf(noRepo)).toEqual([{ path: 'repo', line: 1, column: 1, message: 'is required' }]);
    const noKind = edit(BASE, 'kind: local', null).text;
    expect(issuesOf(noKind)).toEqual([
      {
        path: 'target.kind',
        ...positionOf(noKind, 'target:'),
        message: 'expected a target with kind local, binderhub or jupyterhub',
      },
    ]);
  });

  it('names every unknown key at the key', () => {
    const text = BASE.replace('  onEnd: keep\n', '  onEnd: keep\n  thinktime: 5s\n  colour: blue\n').replace(
      'seed: 7\n',
      'seed: 7\nowner: me\n',
    );
    expect(issuesOf(text)).toEqual([
      { path: 'owner', ...positionOf(text, 'owner'), message: 'unknown key "owner"' },
      { path: 'session.thinktime', ...positionOf(text, 'thinktime'), message: 'unknown key "thinktime"' },
      { path: 'session.colour', ...positionOf(text, 'colour'), message: 'unknown key "colour"' },
    ]);
  });

  it('reports every issue at once, one line each in the message', () => {
    let text = edit(BASE, 'seed:', 'seed: lots').text;
    text = edit(text, 'over:', 'over: 30').text;
    text = edit(text, 'p95:', 'p95: 1s').text;
    text = edit(text, 'nodeReady:', 'nodeReady: 5m\n  spare: 2').text;
    try {
      parseScenario(text, 'dir/w.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioInvalidError);
      const e = err as ScenarioInvalidError;
      expect(e.code).toBe('SCENARIO_INVALID');
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(
        [
          'dir/w.yaml:2:7 seed: expected a number, got a string',
          `dir/w.yaml:13:13 cohorts[0].arrival.over: ${DURATION}`,
          'dir/w.yaml:18:10 session.thinkTime.p95: must be at least median',
          'dir/w.yaml:29:3 capacity.spare: unknown key "spare"',
        ].join('\n'),
      );
      expect(e.hint).toContain('scenario.schema.json');
    }
  });

  it('runs cross-field checks even when other fields fail', () => {
    const text = edit(edit(BASE, 'users:', null).text, 'over:', 'over: 30').text.replace(
      '      over: 30\n',
      '      over: 30\n  - name: a\n    users: 1\n    arrival: { kind: list, at: [5s, 1s, x] }\n  - oops\n',
    );
    expect(issuesOf(text).map((i) => [i.path, i.message, i.line])).toEqual([
      ['cohorts[0].users', 'is required (except with a list arrival)', 8],
      ['cohorts[0].arrival.over', DURATION, 12],
      ['cohorts[1].name', 'duplicate name "a"', 13],
      ['cohorts[1].users', 'must equal the number of arrival times (3), or be left out', 14],
      ['cohorts[1].arrival.at[1]', 'offsets must not decrease', 15],
      ['cohorts[1].arrival.at[2]', DURATION, 15],
      ['cohorts[2]', 'expected a mapping, got a string', 16],
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    expect(issuesOf('name: t\nseed: 1\nseed: 2\n')).toEqual([
      { path: '', line: 3, column: 1, message: 'Map keys must be unique' },
    ]);
    expect(issuesOf('name: [t\n')).toEqual([
      {
        path: '',
        line: 2,
        column: 1,
        message: 'Flow sequence in block collection must be sufficiently indented and end with a ]',
      },
    ]);
    expect(issuesOf('name: t\nrepo: *nope\n')).toEqual([
      {
        path: '',
        line: null,
        column: null,
        message: 'Unresolved alias (the anchor must be set before the alias): nope',
      },
    ]);
  });

  it('asks for a mapping when the file is empty or a scalar', () => {
    expect(issuesOf('')).toEqual([
      { path: '', line: null, column: null, message: 'expected a mapping, got null' },
    ]);
    expect(issuesOf('hello\n')).toEqual([
      { path: '', line: 1, column: 1, message: 'expected a mapping, got a string' },
    ]);
  });
});

describe('parseScenario: targets', () => {
  const binder = (target: string) => BASE.replace('  kind: local\n  buildTime: 5s', target);

  it('accepts a BinderHub with a hub URL and a token variable name', () => {
    const text = binder(
      '  kind: binderhub\n  url: https://binder.example.org\n  hubUrl: https://hub.example.org\n  tokenEnv: HUB_TOKEN',
    );
    expect(parseScenario(text, 't.yaml').target).toEqual({
      kind: 'binderhub',
      url: 'https://binder.example.org',
      hubUrl: 'https://hub.example.org',
      tokenEnv: 'HUB_TOKEN',
    });
  });

  it('refuses a token pasted into tokenEnv without echoing it', () => {
    const text = binder(
      '  kind: binderhub\n  url: https://binder.example.org\n  tokenEnv: 3f9a0c1d2e4b5a6978c1d2e3f4a5b6c7',
    );
    const issues = issuesOf(text);
    expect(issues.map((i) => i.path)).toEqual(['target.tokenEnv']);
    expect(issues[0]?.message).toMatch(/^tokenEnv is the NAME of an environment variable/);
    expect(JSON.stringify(issues)).not.toContain('3f9a0c1d');
  });

  it('needs http(s) URLs, and a token variable for a plain JupyterHub', () => {
    const ftp = binder('  kind: binderhub\n  url: ftp://binder.example.org');
    expect(issuesOf(ftp)).toEqual([
      { path: 'target.url', ...positionOf(ftp, 'ftp:'), message: 'expected an http:// or https:// URL' },
    ]);
    const hub = binder('  kind: jupyterhub\n  url: http://127.0.0.1:8000');
    expect(issuesOf(hub)).toEqual([
      { path: 'target.tokenEnv', ...positionOf(hub, 'target:'), message: 'is required' },
    ]);
  });
});

describe('loadScenario and the bundled scenarios', () => {
  it('loads quickstart.yaml', async () => {
    const loaded = await loadScenario(path.join(SCENARIOS, 'quickstart.yaml'));
    const s = loaded.scenario;
    expect(loaded.sourcePath).toBe(path.join(SCENARIOS, 'quickstart.yaml'));
    expect(loaded.baseDir).toBe(SCENARIOS);
    expect(loaded.notebookPath).toBe(path.join(SCENARIOS, 'notebooks', 'dask-xarray-intro.ipynb'));
    expect(loaded.hash).toBe(scenarioHash(s));
    expect(loaded.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(s.name).toBe('quickstart');
    expect(s.target.kind).toBe('local');
    expect(s.repo).toBe('gh/rehearse-examples/dask-intro/HEAD');
    expect(s.cohorts).toEqual([
      { name: 'class', users: 8, start: 0, arrival: { kind: 'burst', over: 30_000 } },
    ]);
    expect(s.session.duration).toBe(90_000);
    expect(s.session.onEnd).toBe('stop');
    expect(s.slo).toHaveLength(3);
  });

  it('loads steady-stream.yaml: 20 arrivals a minute for an hour, nodes Ready in 10 minutes', async () => {
    const { scenario: s } = await loadScenario(path.join(SCENARIOS, 'steady-stream.yaml'));
    expect(s.cohorts).toEqual([
      {
        name: 'drop-in',
        users: 1200,
        start: 0,
        arrival: { kind: 'poisson', ratePerMinute: 20, until: 3_600_000 },
      },
    ]);
    expect(s.capacity?.nodeReady).toBe(600_000);
    expect(s.capacity?.flavors).toEqual(['m3.large']);
  });

  it('loads pythia-workshop.yaml', async () => {
    const { scenario: s } = await loadScenario(path.join(SCENARIOS, 'pythia-workshop.yaml'));
    expect(s.target).toEqual({
      kind: 'binderhub',
      url: 'https://binder.projectpythia.org',
      hubUrl: 'https://hub.projectpythia.org',
      tokenEnv: 'PYTHIA_HUB_TOKEN',
    });
    expect(s.cohorts).toEqual([
      { name: 'on-time', users: 60, start: 0, arrival: { kind: 'burst', over: 120_000 } },
      {
        name: 'late',
        users: 15,
        start: 300_000,
        arrival: { kind: 'poisson', ratePerMinute: 0.75, until: 1_200_000 },
      },
    ]);
    expect(s.session.duration).toBe(2_700_000);
    expect(s.capacity).toEqual({
      user: { memory: 8_000_000_000, cpu: 0.05, limit: { cpu: 4 } },
      flavors: ['m3.large'],
      nodeReady: 300_000,
    });
  });

  it('points editors at the JSON Schema from both bundled files', () => {
    for (const file of ['quickstart.yaml', 'pythia-workshop.yaml']) {
      const first = readFileSync(path.join(SCENARIOS, file), 'utf8').split('\n')[0];
      expect(first).toBe('# yaml-language-server: $schema=./scenario.schema.json');
    }
  });

  it('says which file is missing', async () => {
    await expect(loadScenario('no/such/scenario.yaml')).rejects.toMatchObject({
      code: 'SCENARIO_NOT_FOUND',
      exitCode: 2,
      message: 'scenario file not found: no/such/scenario.yaml',
    });
    await expect(loadScenario(SCENARIOS)).rejects.toMatchObject({ code: 'SCENARIO_NOT_FOUND' });
  });

  it('reports a missing notebook at session.notebook, with the other issues', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rehearse-scenario-'));
    const text = edit(BASE, 'seed:', 'seed: x').text;
    writeFileSync(path.join(dir, 's.yaml'), text);
    const err = await loadScenario(path.join(dir, 's.yaml')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioInvalidError);
    expect((err as ScenarioInvalidError).issues).toEqual([
      { path: 'seed', ...positionOf(text, 'x'), message: 'expected a number, got a string' },
      {
        path: 'session.notebook',
        ...positionOf(text, 'nb.ipynb'),
        message: `notebook not found: ${path.join(dir, 'nb.ipynb')} (paths are relative to the scenario file)`,
      },
    ]);
    mkdirSync(path.join(dir, 'nb.ipynb'));
    await expect(loadScenario(path.join(dir, 's.yaml'))).rejects.toMatchObject({
      issues: expect.arrayContaining([
        expect.objectContaining({ message: `not a file: ${path.join(dir, 'nb.ipynb')}` }),
      ]),
    });
  });
});

describe('scenario hash', () => {
  it('is the sha256 of the canonical JSON, independent of spelling and key order', () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: 'x', u: undefined })).toBe(
      '{"a":"x","b":[{"c":2,"d":1}]}',
    );
    const a = parseScenario(BASE, 'a.yaml');
    const reordered = parseScenario(
      BASE.replace('over: 30s', 'over: 30000ms').replace('name: t\nseed: 7\n', 'seed: 7\nname: t\n'),
      'b.yaml',
    );
    expect(scenarioHash(reordered)).toBe(scenarioHash(a));
    expect(scenarioHash(parseScenario(edit(BASE, 'seed:', 'seed: 8').text, 'c.yaml'))).not.toBe(
      scenarioHash(a),
    );
  });
});

describe('slo expressions: the schema applies the SLO grammar of core/slo.ts', () => {
  const withOne = (slo: string) =>
    BASE.replace('slo:\n  - launch.ready p(95) < 60s\n', `slo:\n  - ${JSON.stringify(slo)}\n`);
  it.each([
    'launch.ready p(95) < 60s',
    'launch.failed rate < 1%',
    'cell.exec p(99.9) <= 30000ms',
    'launch.ready max<5m',
    'launch.ready p(100) != 0',
    'session.failed count >= 75',
    'launch.ready med == 1.5h',
    'cell.exec{cell=3} p(95) < 30s',
  ])('accepts %j', (slo) => {
    expect(parseScenario(withOne(slo), 'test.yaml').slo).toEqual([slo]);
  });
  it.each([
    ['launch.ready p95 < 60s', 'column 14: write the percentile as p(95)'],
    ['launch.ready p(101) < 60s', 'column 16: expected a percentile from 0 to 100 in p(N), found "101"'],
    ['launch.ready p(95) =< 60s', 'column 20: unknown operator "=<": expected <, <=, >, >=, == or !='],
    [
      'launch.ready p(95) < 60 s',
      'column 25: unexpected "s" after the value; write the unit right after the number, like 60s',
    ],
    [
      'launch.ready p(95) < 60d',
      'column 24: unknown unit "d": a latency takes ms, s, m or h (a bare number is ms)',
    ],
    ['Launch.Ready avg < 1s', 'column 1: unknown metric "Launch.Ready": did you mean "launch.ready"?'],
    ['launch.ready avg', 'column 17: missing operator and value, like "< 60s"'],
    ['users.active count >= 75', 'column 1: unknown metric "users.active": expected one of'],
    ['cell.exec{cell=} p(95) < 30s', 'column 10: expected a tag {cell=N}, N the code cell index'],
    ['launch.ready rate < 1%', 'column 14: launch.ready is a trend (a latency): use'],
  ])("rejects %j with the grammar's message, listed with the schema's issues", (slo, message) => {
    const issues = issuesOf(withOne(slo));
    expect(issues.map((i) => i.path)).toEqual(['slo[0]']);
    expect(issues[0]?.message.startsWith(message)).toBe(true);
    expect(issues[0]?.line).toBe(positionOf(withOne(slo), JSON.stringify(slo), 0).line);
  });
});

describe('slo: a string or {threshold, abortOnFail}', () => {
  const withSlo = (...items: string[]) =>
    BASE.replace('slo:\n  - launch.ready p(95) < 60s\n', `slo:\n${items.map((i) => `  - ${i}\n`).join('')}`);

  it('keeps both forms as written, in order', () => {
    const text = withSlo(
      'launch.ready p(95) < 60s',
      '{ threshold: launch.failed rate < 1%, abortOnFail: true }',
      // In a flow mapping, a threshold with a {cell=N} tag must be quoted (YAML braces).
      "{ threshold: 'cell.exec{cell=2} max < 5m' }",
      'cell.exec{cell=3} p(95) < 30s',
    );
    expect(parseScenario(text, 'test.yaml').slo).toEqual([
      'launch.ready p(95) < 60s',
      { threshold: 'launch.failed rate < 1%', abortOnFail: true },
      { threshold: 'cell.exec{cell=2} max < 5m' },
      'cell.exec{cell=3} p(95) < 30s',
    ]);
  });

  const EITHER = `${SLO}, or a mapping {threshold: <that string>, abortOnFail: true}`;
  const cases: [string, string, string, string][] = [
    [
      '{ threshold: launch.ready p(95) < 60s, abortOnFail: yes }',
      'slo[0]',
      'abortOnFail: expected a boolean, got a string',
      '{',
    ],
    ['{ abortOnFail: true }', 'slo[0]', 'threshold: is required', '{'],
    ['{ threshold: launch.ready p95 < 60s }', 'slo[0].threshold', P95, 'launch.ready p95'],
    ['{ threshold: launch.ready p(95) < 60s, abort: true }', 'slo[0].abort', 'unknown key "abort"', 'abort:'],
    ['42', 'slo[0]', EITHER, '42'],
    ['[launch.ready p(95) < 60s]', 'slo[0]', EITHER, '['],
  ];
  it.each(cases)('%s → %s: %s', (item, issuePath, message, at) => {
    const text = withSlo(item);
    expect(issuesOf(text)).toEqual([
      { path: issuePath, ...positionOf(text, at, text.indexOf('slo:')), message },
    ]);
  });

  it('is an anyOf of a string and a strict mapping in the JSON Schema (the grammar is checked on load)', () => {
    const schema = scenarioJsonSchema() as {
      properties: { slo: { items: { anyOf: Record<string, unknown>[] } } };
    };
    const [text, mapping] = schema.properties.slo.items.anyOf;
    expect(text).toEqual({ type: 'string' });
    expect(mapping).toMatchObject({
      type: 'object',
      required: ['threshold'],
      additionalProperties: false,
      properties: {
        threshold: { type: 'string' },
        abortOnFail: { type: 'boolean' },
      },
    });
  });
});

describe('scenario.schema.json', () => {
  it('is in sync with the zod schema (UPDATE_SCHEMA=1 rewrites it)', () => {
    const file = path.join(SCENARIOS, 'scenario.schema.json');
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(file, scenarioJsonSchemaText());
    expect(readFileSync(file, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('describes the input: strict objects, duration strings, defaults', () => {
    const schema = scenarioJsonSchema() as {
      $id: string;
      title: string;
      additionalProperties: boolean;
      required: string[];
      properties: {
        seed: { default: number };
        session: { properties: { duration: { type: string; pattern: string } } };
      };
    };
    expect(schema.$id).toBe('urn:rehearse:scenario:v1');
    expect(schema.title).toBe('rehearse scenario (format v1)');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['name', 'target', 'repo', 'cohorts', 'session']);
    expect(schema.properties.seed.default).toBe(42);
    const duration = schema.properties.session.properties.duration;
    expect(duration.type).toBe('string');
    expect(new RegExp(duration.pattern).test('1m30s')).toBe(true);
  });
});

describe('bundled notebooks', () => {
  const repoCopy = path.join(SCENARIOS, 'repos/rehearse-examples/dask-intro/notebooks');
  const names = readdirSync(path.join(SCENARIOS, 'notebooks')).filter((n) => n.endsWith('.ipynb'));

  it('are copied unchanged into the emulated Binder repo', () => {
    expect(names.sort()).toEqual(['dask-xarray-intro.ipynb', 'xarray-climatology.ipynb']);
    expect(readdirSync(repoCopy).sort()).toEqual(names);
    for (const name of names) {
      expect(readFileSync(path.join(repoCopy, name), 'utf8')).toBe(
        readFileSync(path.join(SCENARIOS, 'notebooks', name), 'utf8'),
      );
    }
  });

  it.each(names)('%s is nbformat 4.5 for python3 with a cheap first code cell', (name) => {
    const nb = JSON.parse(readFileSync(path.join(SCENARIOS, 'notebooks', name), 'utf8')) as {
      nbformat: number;
      nbformat_minor: number;
      metadata: {
        kernelspec: { name: string };
        rehearse: { smokeCell: number; knownAnswer: { codeCell: number; stdout: string } };
      };
      cells: { cell_type: string; id: string; source: string[] }[];
    };
    expect([nb.nbformat, nb.nbformat_minor]).toEqual([4, 5]);
    expect(nb.metadata.kernelspec.name).toBe('python3');
    const code = nb.cells.filter((c) => c.cell_type === 'code').map((c) => c.source.join(''));
    expect(nb.metadata.rehearse.smokeCell).toBe(0);
    expect(code[0]).toContain('print("smoke-check", sum(range(10)))');
    expect(code[0]).not.toMatch(/LocalCluster\(|compute\(/);
    const known = nb.metadata.rehearse.knownAnswer;
    // The known answer is printed by that cell as print("<label>", value).
    expect(code[known.codeCell]).toContain(
      `print("${known.stdout.slice(0, known.stdout.lastIndexOf(' '))}",`,
    );
    expect(new Set(nb.cells.map((c) => c.id)).size).toBe(nb.cells.length);
  });
});

describe('rehearse validate', () => {
  function io() {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    return { io: { stdout, stderr: new PassThrough(), env: {} }, out: () => chunks.join('') };
  }

  it('prints a summary line', async () => {
    const { io: cli, out } = io();
    const file = path.join(SCENARIOS, 'pythia-workshop.yaml');
    expect(await validate(cli, file, {})).toBe(0);
    expect(out()).toBe(`${file}: ok (2 cohorts, 75 users, seed 2024)\n`);
  });

  it('prints the normalised scenario with --json', async () => {
    const { io: cli, out } = io();
    const file = path.join(SCENARIOS, 'quickstart.yaml');
    expect(await validate(cli, file, { json: true })).toBe(0);
    expect(JSON.parse(out())).toEqual((await loadScenario(file)).scenario);
  });
});
