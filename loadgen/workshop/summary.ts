import { readRecord } from '../record/reader.js';

/**
 * The hub's own message when it refused a cohort's server options (reason `profile-invalid`),
 * read back from the record; undefined when no user failed so.
 */
export function profileRefusal(recordDir: string): string | undefined {
  const { events } = readRecord(recordDir);
  const ev = events.find((e) => e.type === 'user-end' && e.reason === 'profile-invalid');
  if (ev?.type !== 'user-end') return undefined;
  const m = ev.message ?? '';
  return m.replace(/^.*failed to start: /, '');
}
