import { describe, expect, it } from 'vitest';
import { gitpullLink, gitpullTarget } from '../../loadgen/clients/gitpull.js';
import { HubApiError } from '../../loadgen/clients/hub-model.js';
import {
  describeServerOptions,
  profileFormFields,
  userOptionsBody,
  userOptionsFromForm,
} from '../../loadgen/clients/server-options.js';
import { parseUserTokens } from '../../loadgen/workshop/hub-target.js';
import { workshopFailureReason } from '../../loadgen/workshop/reasons.js';
import { scenarioSchema } from '../../scenarios/schema.js';

// KubeSpawner's documented format (kubespawner/spawner.py @ 4161d544): `options_from_form` turns
// {'profile': ['demo-1'], 'profile-option-demo-1--image': ['minimal']} into
// {"profile": "demo-1", "image": "minimal"}; `_validate_user_options` documents REST bodies like
// {"profile": "demo-1", "image--unlisted-choice": "jupyter/datascience-notebook:latest"}.
describe('server options, KubeSpawner encoding', () => {
  it('a profile with a listed choice: the REST body KubeSpawner documents', () => {
    expect(userOptionsBody({ profile: 'demo-1', profileOptions: { image: 'minimal' } })).toEqual({
      profile: 'demo-1',
      image: 'minimal',
    });
  });

  it('an unlisted choice goes in "<option>--unlisted-choice"', () => {
    expect(
      userOptionsBody({
        profile: 'demo-1',
        profileOptions: { image: { unlisted: 'jupyter/datascience-notebook:latest' } },
      }),
    ).toEqual({ profile: 'demo-1', 'image--unlisted-choice': 'jupyter/datascience-notebook:latest' });
  });

  it('the spawn form fields carry the profile slug prefix, and options_from_form gives the REST body back', () => {
    const o = { profile: 'demo-1', profileOptions: { image: 'minimal', cpu: { unlisted: '3' } } };
    const fields = profileFormFields(o);
    expect(fields).toEqual([
      ['profile', 'demo-1'],
      ['profile-option-demo-1--image', 'minimal'],
      ['profile-option-demo-1--cpu', 'unlisted_choice'],
      ['profile-option-demo-1--cpu--unlisted-choice', '3'],
    ]);
    const form = Object.fromEntries(fields.map(([k, v]) => [k, [v]]));
    expect(userOptionsFromForm(form)).toEqual({
      profile: 'demo-1',
      image: 'minimal',
      cpu: 'unlisted_choice',
      'cpu--unlisted-choice': '3',
    });
    // KubeSpawner's own example, verbatim.
    expect(userOptionsFromForm({ profile: ['demo-1'], 'profile-option-demo-1--image': ['minimal'] })).toEqual(
      {
        profile: 'demo-1',
        image: 'minimal',
      },
    );
  });

  it('raw userOptions pass through; profile fields win a clash; nothing to send is undefined', () => {
    expect(userOptionsBody({ userOptions: { image: 'x', gpu: true }, profile: 'p' })).toEqual({
      image: 'x',
      gpu: true,
      profile: 'p',
    });
    expect(userOptionsBody({ userOptions: { profile: 'raw' }, profile: 'p' })).toEqual({ profile: 'p' });
    expect(userOptionsBody({})).toBeUndefined();
    expect(userOptionsBody({ server: 'named' })).toBeUndefined();
    expect(profileFormFields({ userOptions: { a: 1 } })).toEqual([]);
    expect(
      describeServerOptions({
        profile: 'large',
        profileOptions: { image: { unlisted: 'q/i:1' } },
        server: 'w',
      }),
    ).toBe('large image=other:q/i:1 @w');
  });
});

describe('nbgitpuller link', () => {
  const g = { repo: 'https://github.com/org/repo', branch: 'main', urlpath: 'lab/tree/repo/a.ipynb' };
  it('goes through user-redirect, or straight to a named server or the server itself', () => {
    expect(gitpullLink('http://h/', g)).toBe(
      'http://h/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Forg%2Frepo&branch=main&urlpath=lab%2Ftree%2Frepo%2Fa.ipynb',
    );
    expect(gitpullLink('http://h', g, { user: 'a b', server: 'w' })).toMatch(
      /^http:\/\/h\/user\/a%20b\/w\/git-pull\?repo=/,
    );
    expect(gitpullLink('http://h/', g, { user: 'u', direct: true })).toMatch(
      /^http:\/\/h\/user\/u\/git-pull\?/,
    );
    expect(gitpullTarget(g)).toBe('repo');
    expect(gitpullTarget({ repo: '/srv/git/content/' })).toBe('content');
  });
});

describe('workshop scenario fields and failure reasons', () => {
  const base = {
    name: 'w',
    target: { kind: 'jupyterhub', url: 'http://h/', tokenEnv: 'HUB_TOKEN' },
    repo: 'gh/o/r/HEAD',
    cohorts: [
      {
        name: 'large',
        users: 2,
        arrival: { kind: 'burst', over: '0s' },
        profile: 'large',
        profileOptions: { image: { unlisted: 'x/y:1' } },
        server: 'workshop',
      },
    ],
    session: {
      notebook: 'n.ipynb',
      thinkTime: { median: '1s', p95: '2s' },
      duration: '10s',
      gitpull: { repo: 'https://g/r' },
      browser: { count: 1 },
    },
  };
  it('parses a workshop scenario, and refuses a browser with both fraction and count', () => {
    expect(scenarioSchema.safeParse(base).success).toBe(true);
    const both = { ...base, session: { ...base.session, browser: { count: 1, fraction: 0.5 } } };
    expect(scenarioSchema.safeParse(both).success).toBe(false);
  });

  it('a spawn the hub failed over the options is profile-invalid; other spawn failures are not', () => {
    const refused = new HubApiError(
      'spawn-failed',
      "u's server failed to start: Spawn failed: No such profile: huge. Options include: small, large",
      {
        hubMessage: 'Spawn failed: No such profile: huge. Options include: small, large',
      },
    );
    expect(workshopFailureReason(refused)).toBe('profile-invalid');
    expect(
      workshopFailureReason(new HubApiError('spawn-failed', 'x', { hubMessage: 'Spawn failed: timeout' })),
    ).toBeUndefined();
    expect(workshopFailureReason(Object.assign(new Error('x'), { code: 'GITPULL_FAILED' }))).toBe(
      'gitpull-failed',
    );
  });

  it('user tokens are "user:token" pairs, comma or newline separated', () => {
    expect([...parseUserTokens('a:t1, b:t:2\nc:t3\n')]).toEqual([
      ['a', 't1'],
      ['b', 't:2'],
      ['c', 't3'],
    ]);
  });
});
