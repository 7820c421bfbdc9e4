import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { InputError } from '../../core/errors.js';

/**
 * The optional JSON parts of a run record (cluster.json, health.json): written whole (tmp +
 * rename: never half a file), read with a damaged file reported as RECORD_INVALID (exit 2).
 */
export function writeJsonPart(file: string, value: unknown): string {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, file);
  return file;
}

export function readJsonPart(file: string, hint: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError('RECORD_INVALID', `${file} is not valid JSON: ${(err as Error).message}`, {
      hint,
      cause: err,
    });
  }
}
