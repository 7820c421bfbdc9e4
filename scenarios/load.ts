/**
 * Scenario files: YAML text → validated `Scenario`, with every problem (YAML syntax, schema, a
 * missing notebook) reported at once with its path and line.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../core/errors.js';
import { type Scenario, scenarioSchema } from './schema.js';

export interface ScenarioIssue {
  /** Where in the scenario, e.g. `cohorts[0].arrival.over`; '' for the whole file. */
  path: string;
  /** 1-based; null when the file has no such position (e.g. an empty file). */
  line: number | null;
  column: number | null;
  message: string;
}

export class ScenarioInvalidError extends InputError {
  readonly issues: readonly ScenarioIssue[];
  readonly sourceName: string;

  constructor(sourceName: string, issues: readonly ScenarioIssue[]) {
    super('SCENARIO_INVALID', issues.map((issue) => formatIssue(sourceName, issue)).join('\n'), {
      hint:
        'fix every line above. For completion and checks while editing, start the file with\n' +
        '# yaml-language-server: $schema=<path to rehearse>/scenarios/scenario.schema.json',
    });
    this.name = 'ScenarioInvalidError';
    this.sourceName = sourceName;
    this.issues = issues;
  }
}

/** `<file>:<line>:<col> <path>: <message>`; position and path left out when unknown or empty. */
export function formatIssue(sourceName: string, issue: ScenarioIssue): string {
  const where = issue.line === null ? sourceName : `${sourceName}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path === '' ? '(scenario)' : issue.path}: ${issue.message}`;
}

/** `['cohorts', 0, 'arrival']` → `cohorts[0].arrival`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    // Schema issues on a half-parsed document would only mislead.
    throw new ScenarioInvalidError(
      sourceName,
      doc.errors.map((err) => ({ path: '', ...position(lineCounter, err.pos[0]), message: err.message })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ScenarioInvalidError(sourceName, [{ path: '', line: null, column: null, message }]);
  }
  const result = scenarioSchema.safeParse(data, { error: errorMap });
  const issues = result.success ? [] : result.error.issues.flatMap((i) => toIssues(i, doc, lineCounter));
  if (opts.baseDir !== undefined) {
    const notebookIssue = checkNotebook(data, opts.baseDir, doc, lineCounter);
    if (notebookIssue !== undefined) issues.push(notebookIssue);
  }
  if (!result.success || issues.length > 0) throw new ScenarioInvalidError(sourceName, inFileOrder(issues));
  return result.data;
}

/** Issues sorted by position in the file (stable: same position keeps schema order); unplaced last. */
function inFileOrder(issues: ScenarioIssue[]): ScenarioIssue[] {
  const line = (i: ScenarioIssue) => i.line ?? Number.POSITIVE_INFINITY;
  return [...issues].sort((a, b) => line(a) - line(b) || (a.column ?? 0) - (b.column ?? 0));
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

const EXPECTED: Record<string, string> = { int: 'a whole number', object: 'a mapping', array: 'a list' };
const yamlType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;

/**
 * Messages for the issues the schema leaves to zod: a missing key says so, a wrong type names what
 * was found in YAML terms. Schema-level messages take precedence over this map.
 */
const errorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  return `expected ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}, got ${yamlType(issue.input)}`;
};

type Position = { line: number | null; column: number | null };

function position(lineCounter: LineCounter, offset: number | undefined): Position {
  if (offset === undefined) return { line: null, column: null };
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/**
 * Find the YAML node at `segments`: the value node when present, else the key node (for a key
 * without a value), else for a missing key the parent — the key that introduces the parent mapping
 * when there is one (`session:`), otherwise the parent node itself.
 */
function locate(doc: Document, segments: readonly PropertyKey[], wantKey: boolean): number | undefined {
  let node: unknown = doc.contents;
  let parentKey: Node | undefined;
  for (const [i, seg] of segments.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let key: unknown;
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      key = pair?.key;
      next = pair?.value;
      if (pair === undefined) return startOf(parentKey) ?? startOf(node);
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      if (next === undefined) return startOf(node);
    } else {
      return startOf(parentKey) ?? startOf(node);
    }
    const last = i === segments.length - 1;
    if (last && wantKey && key !== undefined) return startOf(key) ?? startOf(next);
    parentKey = key as Node | undefined;
    node = next;
    if (last) return startOf(next) ?? startOf(key);
  }
  return startOf(node);
}

function startOf(node: unknown): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as Node).range;
  return range === undefined || range === null ? undefined : range[0];
}

function toIssues(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter): ScenarioIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const segments = [...issue.path, key];
      return {
        path: formatPath(segments),
        ...position(lc, locate(doc, segments, true)),
        message: `unknown key "${key}"`,
      };
    });
  }
  return [
    { path: formatPath(issue.path), ...position(lc, locate(doc, issue.path, false)), message: issue.message },
  ];
}

function checkNotebook(
  data: unknown,
  baseDir: string,
  doc: Document,
  lc: LineCounter,
): ScenarioIssue | undefined {
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
  return message === undefined
    ? undefined
    : { path: formatPath(segments), ...position(lc, locate(doc, segments, false)), message };
}
