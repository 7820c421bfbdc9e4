import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HubClient } from '../../loadgen/clients/hub.js';
import type { HealthRecord } from '../../loadgen/record/health.js';
import { readRecord } from '../../loadgen/record/reader.js';
import { badRepo, LEGACY_EXPECTED, nb, screenshotHealth, shape } from '../helpers/check-repos.js';
import { rehearseChild } from '../helpers/cli-child.js';
import { describeEachStack, startTestStack, type TestStack, writeNotebook } from '../helpers/local-stack.js';

// `rehearse check` end to end on the real local stacks (JupyterHub, jupyter-server, ipykernel,
// pandas/NumPy of the stack): the CLI as a child process against a stack the test starts, whose
// emulated BinderHub serves a temporary repos folder (the bundled legacy-2022 repo + bad input).
//

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LEGACY = join(ROOT, 'scenarios/repos/rehearse-examples/legacy-2022');
const SCREENSHOT = resolve(ROOT, 'test-output/check-health.png');

describeEachStack('rehearse check', (stack) => {
  {
    let t: TestStack;
    let dir: string;
    let repos: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `rehearse-check-${stack}-`));
      repos = join(dir, 'repos');
      cpSync(LEGACY, join(repos, 'rehearse-examples', 'legacy-2022'), { recursive: true });
      badRepo(join(repos, 'tests', 'bad'));
      mkdirSync(join(repos, 'tests', 'nothing'), { recursive: true });
      writeFileSync(join(repos, 'tests', 'nothing', 'broken.ipynb'), 'not json at all');
      mkdirSync(join(repos, 'tests', 'slow'), { recursive: true });
      writeNotebook(join(repos, 'tests', 'slow', 'steps.ipynb'), 'import time\ntime.sleep(0.05)', 'print(1)');
      t = await startTestStack({ stack, buildSeconds: 1, reposDir: repos });
    });

    afterAll(async () => {
      const { leftovers, marked } = await t.stop();
      expect(leftovers).toEqual([]);
      expect(marked).toEqual([]);
    });

    const check = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const out = join(dir, 'runs');
      const r = rehearseChild(['check', ...args, '--out', out, '--state-dir', t.stack.stateDir, '--json'], {
        env,
      });
      const code = await r.code;
      const id = args[args.indexOf('--id') + 1] as string;
      return { code, stdout: r.stdout(), stderr: r.stderr(), dir: join(out, id) };
    };
    /** A one-attendee scenario on the bad repo whose session notebook is errors.ipynb. */
    const errorsScenario = (name: string, extra: string) => {
      const file = join(dir, `${name}.yaml`);
      const notebook = join(repos, 'tests', 'bad', 'errors.ipynb');
      const lines = [
        `name: ${name}`,
        'target: { kind: local }',
        'repo: gh/tests/bad/HEAD',
        'cohorts: [{ name: one, users: 1, arrival: { kind: list, at: [0s] } }]',
        `session: { notebook: ${notebook}${extra}, thinkTime: { median: 0s, p95: 0s }, duration: 10s }`,
      ];
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const hubUsers = () => new HubClient({ hubUrl: t.stack.state.hubUrl, token: t.hubToken }).listUsers();

    it('the bundled 2022-style notebook: every cell as expected, default (stop at the first error)', async () => {
      const r = await check(['gh/rehearse-examples/legacy-2022/HEAD', '--id', 'legacy-stop']);
      expect(r.code, r.stderr).toBe(LEGACY_EXPECTED[stack].exit);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(JSON.parse(r.stdout)).toEqual(h);
      expect(shape(nb(h, 'notebooks/pandas-2022.ipynb').cells)).toEqual(LEGACY_EXPECTED[stack].stop);
      const info = h.checks[0]?.info;
      expect(info?.languageInfo?.name).toBe('python');
      expect(Object.keys(info?.versions ?? {})).toEqual(
        expect.arrayContaining(['python', 'pandas', 'numpy', 'ipykernel']),
      );
      expect(await hubUsers()).toEqual([]);
    }, 120_000);

    it('the bundled notebook with --keep-going: later errors run, the NameError marked a consequence', async () => {
      const r = await check(['gh/rehearse-examples/legacy-2022/HEAD', '--keep-going', '--id', 'legacy-keep']);
      expect(r.code, r.stderr).toBe(LEGACY_EXPECTED[stack].exit);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(shape(nb(h, 'notebooks/pandas-2022.ipynb').cells)).toEqual(LEGACY_EXPECTED[stack].keepGoing);
    }, 120_000);

    it('bad input: could-not-run with reasons, errors with lines, a hung cell interrupted; the rest still ran', async () => {
      const r = await check([
        join(repos, 'tests', 'bad'),
        '--keep-going',
        '--cell-timeout',
        '4s',
        '--id',
        'bad',
      ]);
      expect(r.code, r.stderr).toBe(99);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(h.checks[0]?.repo).toBe('gh/tests/bad/HEAD');
      expect(nb(h, 'invalid.ipynb')).toMatchObject({
        status: 'could-not-run',
        reason: expect.stringMatching(/Unreadable Notebook/),
      });
      expect(nb(h, 'empty.ipynb')).toMatchObject({
        status: 'could-not-run',
        reason: 'empty.ipynb: the notebook has no code cell to run',
      });
      expect(nb(h, 'kernel.ipynb')).toMatchObject({
        status: 'could-not-run',
        reason: 'the notebook asks for kernel "julia-1.9", which the target does not have (it has: python3)',
      });
      expect(shape(nb(h, 'errors.ipynb').cells)).toEqual([
        ['ok'],
        ['error', 'ModuleNotFoundError', 1],
        ['error', 'NameError', 1, 'consequence'],
        ['error', 'ZeroDivisionError', 2],
        ['ok'],
      ]);
      expect(nb(h, 'errors.ipynb').cells[3]?.error?.lineText).toBe('1 / 0');
      const hung = nb(h, 'timeout.ipynb').cells;
      expect(shape(hung)).toEqual([['timeout'], ['ok']]);
      expect(hung[0]?.note).toBe('no reply within 4000 ms: the kernel was interrupted');
      const junit = readFileSync(join(r.dir, 'junit.xml'), 'utf8');
      expect(junit).toContain('tests="5" failures="5"');
      expect(junit).toContain(
        'message="cell 1, line 1: ModuleNotFoundError: No module named &#39;not_a_module&#39;"',
      );
      expect(await hubUsers()).toEqual([]);
      await screenshotHealth(join(r.dir, 'report.html'), 3 + 1 + 3, SCREENSHOT);
    }, 180_000);

    it('two environments in one command: a column each (the local stack, and the same hub as a BinderHub URL)', async () => {
      const url = t.stack.state.binderUrl;
      const host = new URL(url).host;
      const r = await check(
        [
          'gh/rehearse-examples/legacy-2022/HEAD',
          '--target',
          'local',
          '--target',
          url,
          '--hub-token-env',
          'CHECK_HUB_TOKEN',
          '--id',
          'two-envs',
        ],
        { CHECK_HUB_TOKEN: t.hubToken },
      );
      expect(r.code, r.stderr).toBe(LEGACY_EXPECTED[stack].exit);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(h.checks.map((c) => [c.environment, c.target])).toEqual([
        [stack, `local ${new URL(url).origin}`],
        [host, `binderhub ${new URL(url).origin}`],
      ]);
      for (const c of h.checks)
        expect(shape(c.notebooks[0]?.cells ?? [])).toEqual(LEGACY_EXPECTED[stack].stop);
      const junit = readFileSync(join(r.dir, 'junit.xml'), 'utf8');
      expect(junit).toContain(
        `name="[${stack}] gh/rehearse-examples/legacy-2022/HEAD notebooks/pandas-2022.ipynb"`,
      );
      expect(junit).toContain(
        `name="[${host}] gh/rehearse-examples/legacy-2022/HEAD notebooks/pandas-2022.ipynb"`,
      );
      const html = readFileSync(join(r.dir, 'report.html'), 'utf8');
      const grid = html.slice(html.indexOf('id="health"'), html.indexOf('id="health-failures"'));
      expect(grid).toContain(`>${stack}</text>`);
      expect(grid).toContain(`>${host}</text>`);
      expect(readFileSync(join(r.dir, 'meta.json'), 'utf8')).not.toContain(t.hubToken);
      expect(await hubUsers()).toEqual([]); // the BinderHub column's users too: stopped and deleted with the token
    }, 120_000);

    it('a repo list (a gallery): every repo in one record, one summary across repos, exit 99', async () => {
      const list = join(dir, 'gallery.yaml');
      writeFileSync(
        list,
        'name: gallery\nrepos:\n  - gh/rehearse-examples/legacy-2022/HEAD\n  - gh/tests/bad/HEAD\n',
      );
      const r = await check([list, '--cell-timeout', '3s', '--id', 'gallery']);
      expect(r.code, r.stderr).toBe(99);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(h.checks.map((c) => [c.repo, c.notebooks.length])).toEqual([
        ['gh/rehearse-examples/legacy-2022/HEAD', 1],
        ['gh/tests/bad/HEAD', 5],
      ]);
      const md = readFileSync(join(r.dir, 'report.md'), 'utf8');
      expect(md).toContain('### Repositories');
      // The 2022-style repo passes on debian12 (pandas 1.5, NumPy 1.24) and fails on debian13.
      const legacyOk = LEGACY_EXPECTED[stack].exit === 0;
      expect(md).toContain(`${legacyOk ? 1 : 0} of 2 repository checks passed.`);
      expect(md).toContain(
        legacyOk
          ? `#### ✓ gh/rehearse-examples/legacy-2022/HEAD (${stack}): 1 passing, 0 failing`
          : `#### ✗ gh/rehearse-examples/legacy-2022/HEAD (${stack}): 0 passing, 1 failing`,
      );
      expect(md).toContain(`#### ✗ gh/tests/bad/HEAD (${stack}): 0 passing, 5 failing`);
    }, 150_000);

    it('a scenario: its repo, only the notebooks its session.notebooks globs name', async () => {
      const scenario = errorsScenario('only-errors', ', notebooks: ["err*.ipynb"]');
      const r = await check([scenario, '--id', 'only-errors']);
      expect(r.code, r.stderr).toBe(99);
      const h = readRecord(r.dir).health as HealthRecord;
      expect(h.checks[0]?.notebooks.map((n) => n.path)).toEqual(['errors.ipynb']);
      expect(shape(nb(h, 'errors.ipynb').cells)).toEqual([
        ['ok'],
        ['error', 'ModuleNotFoundError', 1],
        ['not-run'],
        ['not-run'],
        ['not-run'],
      ]);
    }, 60_000);

    it('exit 2 when nothing could run; exit 2 for an unknown stack or a folder the running stack does not serve', async () => {
      const r = await check(['gh/tests/nothing/HEAD', '--id', 'nothing']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('no notebook could run');
      const s = await check(['gh/tests/nothing/HEAD', '--stack', 'debian11', '--id', 'nostack']);
      expect(s.code).toBe(2);
      expect(s.stderr).toContain('unknown stack "debian11"');
      const f = await check([LEGACY, '--id', 'elsewhere']);
      expect(f.code).toBe(2);
      expect(f.stderr).toContain(`the running local target serves repos from ${repos}`);
    }, 60_000);

    it('rehearse run shows the per-cell error in its report, not a bare reason count', async () => {
      const scenario = errorsScenario('run-errors', '');
      const runs = join(dir, 'runs-load');
      const r = rehearseChild([
        'run',
        scenario,
        '--out',
        runs,
        '--id',
        'load',
        '--state-dir',
        t.stack.stateDir,
      ]);
      expect(await r.code, r.stderr()).toBe(0);
      const rep = rehearseChild(['report', join(runs, 'load')]);
      expect(await rep.code, rep.stderr()).toBe(0);
      const html = readFileSync(join(runs, 'load', 'report.html'), 'utf8');
      const failures = html.slice(html.indexOf('id="failures"'), html.indexOf('id="generator"'));
      expect(failures).toContain(
        '<article class="detail"><h3>cell 1, line 1: ModuleNotFoundError: No module named &#39;not_a_module&#39;</h3><p>1 attendee stopped here',
      );
    }, 120_000);

    it('compare of two records names the cell that broke and the one that slowed', async () => {
      const base = await check(['gh/tests/slow/HEAD', '--id', 'slow-base']);
      expect(base.code, base.stderr).toBe(0);
      writeNotebook(
        join(repos, 'tests', 'slow', 'steps.ipynb'),
        'import time\ntime.sleep(2.6)',
        'print(undefined_name)',
      );
      const cand = await check(['gh/tests/slow/HEAD', '--id', 'slow-cand']);
      expect(cand.code, cand.stderr).toBe(99);
      const cmp = rehearseChild(['compare', base.dir, cand.dir, '--out', join(dir, 'cmp')]);
      expect(await cmp.code, cmp.stderr()).toBe(99);
      const text = cmp.stdout();
      expect(text).toContain(
        `notebooks (${stack} → ${stack}): 1 newly failing, 0 fixed, 1 slower than ×2 of 2 cells compared`,
      );
      expect(text).toMatch(
        /✗ steps\.ipynb cell 0: slower: ×\d+\.\d: beyond ×2 \(tolerance\) and beyond the noise floor \+2\.00 s \(spread\): both fired/,
      );
      expect(text).toContain('✗ steps.ipynb cell 1: newly failing (ok in');
      expect(text).toContain("cell 1, line 1: NameError: name 'undefined_name' is not defined");
    }, 120_000);
  }
});
