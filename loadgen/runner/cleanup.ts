import type { CleanupLine } from './targets.js';

/**
 * One removal when a user leaves: run `fn` (which says what it did), and record the outcome as a
 * cleanup line, ok or not; never throws, so the next removal is still tried.
 */
export async function attemptCleanup(
  lines: CleanupLine[],
  what: string,
  fn: () => Promise<string>,
): Promise<void> {
  try {
    lines.push({ what, ok: true, detail: await fn() });
  } catch (err) {
    lines.push({ what, ok: false, detail: (err as Error).message });
  }
}
