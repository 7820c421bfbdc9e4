import { resolve } from 'node:path';
import { ExitCode } from '../../core/errors.js';
import type { LocalAccess } from '../../loadgen/leftovers/cleanup.js';
import type { CliIO } from '../main.js';

/**
 * `rehearse cleanup [runs/<id> | runs]`: remove what runs that did not end normally left behind,
 * from their ledgers (loadgen/leftovers/). Exit 0 only when nothing is left; `--dry-run` changes
 * nothing and exits 1 when there is something to remove.
 */

export interface CleanupFlags {
  dryRun?: boolean;
  stateDir?: string;
}

export async function cleanup(io: CliIO, path: string | undefined, flags: CleanupFlags): Promise<number> {
  const [{ findLeftovers }, { cleanupRecords }] = await Promise.all([
    import('../../loadgen/leftovers/find.js'),
    import('../../loadgen/leftovers/cleanup.js'),
  ]);
  const where = resolve(path ?? 'runs');
  const records = findLeftovers(where);
  if (records.length === 0) {
    io.stdout.write(`nothing to clean up in ${where}: no record of a dead run lists anything live\n`);
    return ExitCode.ok;
  }
  const local = await localAccess(io, flags.stateDir);
  io.stderr.write(
    `${flags.dryRun ? 'dry run: ' : ''}${records.length} records with leftovers: ${records.map((r) => r.id).join(', ')}\n`,
  );
  const res = await cleanupRecords(records, {
    env: io.env,
    local,
    dryRun: flags.dryRun,
    say: (l) =>
      io.stdout.write(
        `${l.ok ? 'removed' : flags.dryRun ? 'to remove' : 'could not remove'}: ${l.what} (${l.record}): ${l.detail}\n${l.command ? `    ${l.command}\n` : ''}`,
      ),
  });
  io.stdout.write(
    res.left === 0
      ? 'nothing left.\n'
      : `${res.left} ${flags.dryRun ? 'entries to remove' : 'entries could not be removed (commands above)'}\n`,
  );
  return res.left === 0 ? ExitCode.ok : ExitCode.runtime;
}

/** The local target's state folder as cleanup and the dirty-hub check see it. */
export async function localAccess(io: CliIO, stateDir: string | undefined): Promise<LocalAccess> {
  const [{ defaultStateDir, readState, readToken }, { isAlive }, stack] = await Promise.all([
    import('../../provision/local/state.js'),
    import('../../provision/local/processes.js'),
    import('../../provision/local/stack.js'),
  ]);
  const dir = stateDir ?? defaultStateDir(io.env);
  return {
    find(hubUrl) {
      const state = readState(dir);
      if (!state || state.hubUrl !== hubUrl) return null;
      const running = state.processes.every((p) => isAlive(p.pid));
      let token: string | undefined;
      try {
        token = readToken(state);
      } catch {
        token = undefined;
      }
      return { stateDir: dir, stackId: state.stackId, running, ...(token ? { token } : {}) };
    },
    async down(d) {
      const r = await stack.down({ stateDir: d });
      return { leftovers: r.leftovers };
    },
  };
}
