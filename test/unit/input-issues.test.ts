import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, InputIssuesError, parseInput } from '../../core/input-issues.js';

const schema = z
  .object({ name: z.string(), groups: z.array(z.object({ min: z.int().min(1) }).strict()) })
  .strict();
const opts = { code: 'CONFIG_INVALID', whole: '(config)' } as const;

function issuesOf(text: string): InputIssuesError {
  try {
    parseInput(schema, text, 'c.yaml', opts);
  } catch (err) {
    if (err instanceof InputIssuesError) return err;
    throw err;
  }
  throw new Error('expected an InputIssuesError');
}

describe('core/input-issues', () => {
  it('lists every schema issue of a YAML text in file order, with line, column and path', () => {
    const e = issuesOf('groups:\n  - min: 0\n  - {min: 2, max: 3}\n');
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    expect(e.message.split('\n')).toEqual([
      'c.yaml:1:1 name: is required',
      'c.yaml:2:10 groups[0].min: Too small: expected number to be >=1',
      'c.yaml:3:14 groups[1].max: unknown key "max"',
    ]);
  });

  it('places issues in JSON text too (worker configs are JSON)', () => {
    const e = issuesOf('{\n  "name": 3,\n  "groups": []\n}');
    expect(e.message).toBe('c.yaml:2:11 name: expected a string, got a number');
  });

  it('reports a syntax error at its position and an empty text as the whole input', () => {
    expect(issuesOf('name: [\n').issues[0]?.line).toBe(2);
    expect(issuesOf('').message).toBe('c.yaml (config): expected a mapping, got null');
  });

  it('describeIssues formats the issues of a value read with JSON.parse', () => {
    const text = '{"name": "x", "groups": [{"min": 0}]}';
    const r = schema.safeParse(JSON.parse(text));
    if (r.success) throw new Error('expected a failure');
    expect(describeIssues(text, r.error.issues, 'show-json')).toEqual([
      'show-json:1:34 groups[0].min: Too small: expected number to be >=1',
    ]);
  });
});
