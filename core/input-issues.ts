/**
 * Input text (YAML or JSON) → a value checked by a zod schema, with every problem reported at once
 * as `<file>:<line>:<col> <path>: <message>`. The one formatter of zod issues: scenarios, sizing
 * plans, jetstream2.yaml, worker configs and Terraform's show-json output all go through it.
 */
import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { type ErrorCode, InputError } from './errors.js';

export interface InputIssue {
  /** Where in the input, e.g. `cohorts[0].arrival.over`; '' for the whole input. */
  path: string;
  /** 1-based; null when the input has no such position (e.g. an empty file). */
  line: number | null;
  column: number | null;
  message: string;
}

/**
 * `<file>:<line>:<col> <path>: <message>`; position left out when unknown, and an empty path shown
 * as `whole` (`(scenario)`, `(config)`).
 */
export function formatIssue(sourceName: string, issue: InputIssue, whole = '(input)'): string {
  const where = issue.line === null ? sourceName : `${sourceName}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path === '' ? whole : issue.path}: ${issue.message}`;
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

/** An input whose issues are listed one a line in the message; `issues` keeps them for callers. */
export class InputIssuesError extends InputError {
  readonly issues: readonly InputIssue[];
  readonly sourceName: string;

  constructor(
    code: ErrorCode,
    sourceName: string,
    issues: readonly InputIssue[],
    opts: { whole?: string; hint?: string } = {},
  ) {
    super(code, issues.map((issue) => formatIssue(sourceName, issue, opts.whole)).join('\n'), {
      ...(opts.hint === undefined ? {} : { hint: opts.hint }),
    });
    this.name = 'InputIssuesError';
    this.sourceName = sourceName;
    this.issues = issues;
  }
}

/** A parsed YAML (or JSON) text that can say where a path of its value is written. */
export class SourceText {
  private constructor(
    readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  /** Parse `text`; syntax errors come back as issues (a half-parsed document would only mislead). */
  static parse(text: string): { source: SourceText; data: unknown } | { issues: InputIssue[] } {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false });
    const source = new SourceText(doc, lineCounter);
    if (doc.errors.length > 0) {
      return {
        issues: doc.errors.map((err) => ({ path: '', ...source.position(err.pos[0]), message: err.message })),
      };
    }
    try {
      return { source, data: doc.toJS() };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return { issues: [{ path: '', line: null, column: null, message }] };
    }
  }

  /** An issue at `segments` (the value's position; with `atKey`, the key's). */
  issueAt(segments: readonly PropertyKey[], message: string, atKey = false): InputIssue {
    return { path: formatPath(segments), ...this.position(locate(this.doc, segments, atKey)), message };
  }

  /** zod's issues, placed; an unknown key becomes one issue per key, at that key. */
  issues(zodIssues: readonly z.core.$ZodIssue[]): InputIssue[] {
    return zodIssues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => this.issueAt([...issue.path, key], `unknown key "${key}"`, true))
        : [this.issueAt(issue.path, issue.message)],
    );
  }

  private position(offset: number | undefined): { line: number | null; column: number | null } {
    if (offset === undefined) return { line: null, column: null };
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }
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

/** Issues sorted by position in the file (stable: same position keeps schema order); unplaced last. */
export function inFileOrder(issues: readonly InputIssue[]): InputIssue[] {
  const line = (i: InputIssue) => i.line ?? Number.POSITIVE_INFINITY;
  return [...issues].sort((a, b) => line(a) - line(b) || (a.column ?? 0) - (b.column ?? 0));
}

const EXPECTED: Record<string, string> = { int: 'a whole number', object: 'a mapping', array: 'a list' };
const yamlType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`;

/**
 * Messages for the issues a schema leaves to zod: a missing key says so, a wrong type names what
 * was found in YAML terms. Schema-level messages take precedence over this map.
 */
export const yamlErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  return `expected ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}, got ${yamlType(issue.input)}`;
};

export interface ParseInputOptions {
  /** The error's code (SCENARIO_INVALID, CONFIG_INVALID …). */
  code: ErrorCode;
  /** How an issue about the whole input names it: `(config)`. */
  whole: string;
  hint?: string;
  /** What an empty text stands for (`{}` for an all-optional config); default: null. */
  empty?: unknown;
}

/**
 * Parse YAML or JSON text and check it against `schema`. Throws InputIssuesError (exit 2) with
 * every syntax or schema issue, in file order, each with its line and column.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  text: string,
  sourceName: string,
  opts: ParseInputOptions,
): z.output<S> {
  const parsed = SourceText.parse(text);
  const fail = (issues: readonly InputIssue[]) =>
    new InputIssuesError(opts.code, sourceName, inFileOrder(issues), {
      whole: opts.whole,
      ...(opts.hint === undefined ? {} : { hint: opts.hint }),
    });
  if ('issues' in parsed) throw fail(parsed.issues);
  const data = parsed.data ?? opts.empty ?? null;
  const result = schema.safeParse(data, { error: yamlErrorMap });
  if (!result.success) throw fail(parsed.source.issues(result.error.issues));
  return result.data;
}

/**
 * zod's issues about a value parsed from `text`, formatted one a line with their positions in it.
 * For inputs read with JSON.parse for speed (large machine-written JSON): the text is parsed again
 * for positions only when there is something to report.
 */
export function describeIssues(
  text: string,
  zodIssues: readonly z.core.$ZodIssue[],
  sourceName: string,
  whole = '(input)',
): string[] {
  const parsed = SourceText.parse(text);
  const issues =
    'issues' in parsed
      ? zodIssues.map((i) => ({ path: formatPath(i.path), line: null, column: null, message: i.message }))
      : parsed.source.issues(zodIssues);
  return inFileOrder(issues).map((issue) => formatIssue(sourceName, issue, whole));
}
