import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveCheckInput } from '../../loadgen/check/inputs.js';
import { globMatch } from '../../loadgen/check/repo-check.js';
import { writeNotebook } from '../helpers/local-stack.js';

const tmp = () => realpathSync(mkdtempSync(join(tmpdir(), 'rehearse-in-')));

describe('what `rehearse check <input>` checks', () => {
  it('a repo spec: launched as is on the local target', async () => {
    expect(await resolveCheckInput('gh/ProjectPythia/xarray-cookbook/main')).toEqual({
      name: 'check-ProjectPythia-xarray-cookbook',
      target: { kind: 'local' },
      repos: [{ spec: 'gh/ProjectPythia/xarray-cookbook/main' }],
    });
  });

  it('a folder <root>/<org>/<repo>: served as gh/<org>/<repo>/HEAD from <root>', async () => {
    const root = tmp();
    mkdirSync(join(root, 'pythia', 'cookbook'), { recursive: true });
    expect(await resolveCheckInput(join(root, 'pythia', 'cookbook'))).toEqual({
      name: 'check-cookbook',
      target: { kind: 'local' },
      repos: [{ spec: 'gh/pythia/cookbook/HEAD' }],
      reposDir: root,
    });
  });

  it('a repo list: every repo, its notebook globs, its target', async () => {
    const file = join(tmp(), 'gallery.yaml');
    writeFileSync(
      file,
      [
        'target: { kind: binderhub, url: "https://binder.example.org" }',
        'repos:',
        '  - gh/ProjectPythia/pythia-foundations/main',
        '  - { repo: gh/ProjectPythia/xarray-cookbook/main, notebooks: ["notebooks/**/*.ipynb"] }',
        '',
      ].join('\n'),
    );
    expect(await resolveCheckInput(file)).toEqual({
      name: 'gallery',
      target: { kind: 'binderhub', url: 'https://binder.example.org' },
      repos: [
        { spec: 'gh/ProjectPythia/pythia-foundations/main' },
        { spec: 'gh/ProjectPythia/xarray-cookbook/main', notebooks: ['notebooks/**/*.ipynb'] },
      ],
    });
  });

  it('a scenario: its target, repo and session.notebooks', async () => {
    const dir = tmp();
    writeNotebook(join(dir, 'nb.ipynb'), '1');
    const file = join(dir, 's.yaml');
    writeFileSync(
      file,
      [
        'name: ws',
        'target: { kind: local }',
        'repo: gh/rehearse-examples/legacy-2022/HEAD',
        'cohorts: [{ name: a, users: 1, arrival: { kind: burst, over: 0s } }]',
        'session: { notebook: nb.ipynb, notebooks: ["notebooks/*.ipynb"], thinkTime: { median: 1s, p95: 2s }, duration: 1m }',
        '',
      ].join('\n'),
    );
    expect(await resolveCheckInput(file)).toMatchObject({
      name: 'ws',
      repos: [{ spec: 'gh/rehearse-examples/legacy-2022/HEAD', notebooks: ['notebooks/*.ipynb'] }],
    });
  });

  it('the example gallery of the nightly workflow is a valid repo list', async () => {
    const gallery = await resolveCheckInput(
      fileURLToPath(new URL('../../examples/cookbook-gallery.yaml', import.meta.url)),
    );
    expect(gallery.target.kind).toBe('binderhub');
    expect(gallery.repos.map((r) => r.spec)).toHaveLength(3);
  });

  it('bad input is exit 2 with every issue named', async () => {
    await expect(resolveCheckInput('no/such/thing')).rejects.toMatchObject({
      exitCode: 2,
      code: 'CHECK_INPUT',
    });
    const file = join(tmp(), 'bad.yaml');
    writeFileSync(file, 'repos:\n  - github.com/x/y\n  - { repo: gh/a/b/HEAD, notebook: x }\n');
    await expect(resolveCheckInput(file)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/repos\.0: expected a repo spec[\s\S]*repos\.1/),
    });
  });
});

describe('notebook globs', () => {
  it('* within a folder, ** across folders, anchored', () => {
    expect(globMatch('notebooks/*.ipynb', 'notebooks/a.ipynb')).toBe(true);
    expect(globMatch('notebooks/*.ipynb', 'notebooks/sub/a.ipynb')).toBe(false);
    expect(globMatch('notebooks/**/*.ipynb', 'notebooks/sub/a.ipynb')).toBe(true);
    expect(globMatch('notebooks/**/*.ipynb', 'notebooks/a.ipynb')).toBe(true);
    expect(globMatch('**/intro.ipynb', 'a/b/intro.ipynb')).toBe(true);
    expect(globMatch('intro.ipynb', 'x/intro.ipynb')).toBe(false);
    expect(globMatch('a?.ipynb', 'ab.ipynb')).toBe(true);
  });
});
