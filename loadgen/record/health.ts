import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../../core/errors.js';
import { readJsonPart, writeJsonPart } from './json-part.js';
import { assertNoSecrets } from './writer.js';

/**
 * `health.json` in a run record: notebook health (`rehearse check`), per environment (a local
 * stack or a hub), per repo, per notebook, per code cell. A versioned part of the record of its
 * own (HEALTH_RECORD_VERSION), validated on reading by the zod schema below, which is also the
 * type. Read by reports/ (health grid, failing cells, JUnit per notebook) and by `compare`.
 *
 * Times are milliseconds. Tracebacks are stored with ANSI colour codes stripped, last frames only.
 */
export const HEALTH_FILE = 'health.json';
export const HEALTH_RECORD_VERSION = 1;

export const CELL_OUTCOMES = ['ok', 'error', 'timeout', 'not-run'] as const;

const cellError = z.object({
  ename: z.string(),
  evalue: z.string(),
  /** The traceback's last frames, ANSI codes stripped. */
  traceback: z.array(z.string()),
  /** 1-based line of the cell's source that raised (from the traceback's `Cell In[n], line L`). */
  line: z.number().int().positive().optional(),
  /** That line's text, as in the notebook. */
  lineText: z.string().optional(),
});

const cellHealth = z.object({
  /** Index among the notebook's (non-empty) code cells, 0-based. */
  index: z.number().int().nonnegative(),
  outcome: z.enum(CELL_OUTCOMES),
  /** Send → complete (absent for cells not run). */
  durationMs: z.number().nonnegative().optional(),
  /** An error that follows an earlier one and names what that cell should have defined. */
  consequence: z.boolean().optional(),
  error: cellError.optional(),
  /** Why a cell was not run, or what the timeout did to the kernel. */
  note: z.string().optional(),
});

const notebookHealth = z.object({
  /** Path inside the repo, e.g. notebooks/pandas-2022.ipynb. */
  path: z.string(),
  /** passed: every cell ok; failed: a cell erred or timed out; could-not-run: see reason. */
  status: z.enum(['passed', 'failed', 'could-not-run']),
  reason: z.string().optional(),
  kernelName: z.string().optional(),
  durationMs: z.number().nonnegative(),
  cells: z.array(cellHealth),
});

const environmentInfo = z.object({
  /** The kernel's `language_info` (kernel_info_reply). */
  languageInfo: z.record(z.string(), z.unknown()).optional(),
  /** Package → version, as the kernel's environment reports them (importlib.metadata). */
  versions: z.record(z.string(), z.string()).optional(),
});

const repoCheck = z.object({
  /** The environment's name: a stack (debian12) or a hub label. */
  environment: z.string(),
  /** How the target was reached, e.g. "local debian12" or a BinderHub URL (no credentials). */
  target: z.string(),
  /** The repo spec launched, e.g. gh/rehearse-examples/legacy-2022/HEAD. */
  repo: z.string(),
  /** Set when no notebook of this repo could be run at all (launch refused, no notebook). */
  reason: z.string().optional(),
  info: environmentInfo,
  notebooks: z.array(notebookHealth),
});

export const healthRecordSchema = z.object({
  version: z.literal(HEALTH_RECORD_VERSION),
  settings: z.object({
    keepGoing: z.boolean(),
    cellTimeoutMs: z.number().positive(),
    notebookTimeoutMs: z.number().positive(),
  }),
  checks: z.array(repoCheck),
});

export type CellOutcome = (typeof CELL_OUTCOMES)[number];
export type CellError = z.infer<typeof cellError>;
export type CellHealth = z.infer<typeof cellHealth>;
export type NotebookHealth = z.infer<typeof notebookHealth>;
export type RepoCheck = z.infer<typeof repoCheck>;
export type HealthRecord = z.infer<typeof healthRecordSchema>;

/** Write health.json into the record folder (tmp + rename: never half a file). */
export function writeHealthRecord(dir: string, record: HealthRecord): string {
  assertNoSecrets(record, 'health');
  return writeJsonPart(join(dir, HEALTH_FILE), record);
}

/**
 * health.json of a record, or null when the run was no `rehearse check`. A file that is there but
 * does not match the schema (or has another version) is an InputError (exit 2) naming every issue.
 */
export function readHealthRecord(dir: string): HealthRecord | null {
  const file = join(dir, HEALTH_FILE);
  if (!existsSync(file)) return null;
  const hint = `${HEALTH_FILE} is written by \`rehearse check\`; move the damaged file away to read the rest of the record.`;
  const data = readJsonPart(file, hint);
  const version = typeof data === 'object' && data !== null && 'version' in data ? data.version : undefined;
  if (version !== HEALTH_RECORD_VERSION) {
    throw new InputError(
      'RECORD_INVALID',
      `${file} has health record version ${String(version)}; this rehearse reads ${HEALTH_RECORD_VERSION}`,
      { hint },
    );
  }
  const parsed = healthRecordSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new InputError('RECORD_INVALID', `${file} is not a health record: ${issues.join('; ')}`, { hint });
  }
  return parsed.data;
}
