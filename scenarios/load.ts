/**
 * Scenario files: YAML text → validated `Scenario`, with every problem (YAML syntax, schema, a
 * missing notebook) reported at once with its path and line.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/errors.js';
import {
  type InputIssue,
  InputIssuesError,
  inFileOrder,
  SourceText,
  yamlErrorMap,
} from '../core/input-issues.js';
import { type Scenario, scenarioSchema } from './schema.js';

/** A problem in a scenario file, with its path and position (core/input-issues.ts). */
export type ScenarioIssue = InputIssue;

export class ScenarioInvalidError extends InputIssuesError {
  constructor(sourceName: string, issues: readonly ScenarioIssue[]) {
    super('SCENARIO_INVALID', sourceName, issues, {
      whole: '(scenario)',
      hint:
        'fix every line above. For completion and checks while editing, start the file with\n' +
        '# yaml-language-server: $schema=<path to rehearse>/scenarios/scenario.schema.json',
    });
    this.name = 'ScenarioInvalidError';
  }
}

export interface LoadedScenario {
  scenario: Scenario;
  /** Absolute path of the scenario file. */
  sourcePath: string;
  /** Its folder: relative paths in the scenario resolve against it. */
  baseDir: string;
  /** sha256 hex of canonicalJson(scenario). */
  hash: string;
  /** Absolute path of session.notebook (checked to exist). */
  notebookPath: string;
}

/**
 * Parse and validate scenario text. `sourceName` only labels issues. With `baseDir`, also checks
 * that session.notebook exists relative to it. Throws ScenarioInvalidError listing every issue.
 */
export function parseScenario(text: string, sourceName: string, opts: { baseDir?: string } = {}): Scenario {
  const parsed = SourceText.parse(text);
  if ('issues' in parsed) throw new ScenarioInvalidError(sourceName, parsed.issues);
  const { source, data } = parsed;
  const result = scenarioSchema.safeParse(data, { error: yamlErrorMap });
  const issues = result.success ? [] : source.issues(result.error.issues);
  if (opts.baseDir !== undefined) {
    const notebookIssue = checkNotebook(data, opts.baseDir, source);
    if (notebookIssue !== undefined) issues.push(notebookIssue);
  }
  if (!result.success || issues.length > 0) throw new ScenarioInvalidError(sourceName, inFileOrder(issues));
  return result.data;
}

/** Read, parse and validate a scenario file; throws SCENARIO_NOT_FOUND or SCENARIO_INVALID. */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  const sourcePath = path.resolve(file);
  const baseDir = path.dirname(sourcePath);
  const isFile = await stat(sourcePath).then(
    (s) => s.isFile(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
      throw err;
    },
  );
  if (!isFile) {
    throw new InputError('SCENARIO_NOT_FOUND', `scenario file not found: ${file}`, {
      hint:
        'give the path of a scenario YAML file; bundled examples: scenarios/quickstart.yaml, ' +
        'scenarios/pythia-workshop.yaml',
    });
  }
  const text = await readFile(sourcePath, 'utf8');
  const scenario = parseScenario(text, file, { baseDir });
  return {
    scenario,
    sourcePath,
    baseDir,
    hash: scenarioHash(scenario),
    notebookPath: path.resolve(baseDir, scenario.session.notebook),
  };
}

/** JSON with object keys sorted at every level and no whitespace: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const entries = Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries);
  });
}

/** sha256 hex of the canonical JSON of a parsed scenario. */
export function scenarioHash(scenario: Scenario): string {
  return createHash('sha256').update(canonicalJson(scenario)).digest('hex');
}

function checkNotebook(data: unknown, baseDir: string, source: SourceText): ScenarioIssue | undefined {
  const session =
    data !== null && typeof data === 'object' ? (data as { session?: unknown }).session : undefined;
  const notebook =
    session !== null && typeof session === 'object'
      ? (session as { notebook?: unknown }).notebook
      : undefined;
  if (typeof notebook !== 'string' || !notebook.endsWith('.ipynb')) return undefined; // the schema reports it
  const resolved = path.resolve(baseDir, notebook);
  const segments = ['session', 'notebook'];
  let message: string | undefined;
  try {
    if (!statSync(resolved).isFile()) message = `not a file: ${resolved}`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
    message = `notebook not found: ${resolved} (paths are relative to the scenario file)`;
  }
  return message === undefined ? undefined : source.issueAt(segments, message);
}
