import type { CellHealth, HealthRecord, RepoCheck } from '../../loadgen/record/health.js';
import { writeHealthRecord } from '../../loadgen/record/health.js';
import { RecordWriter } from '../../loadgen/record/writer.js';

/**
 * Health records as `rehearse check` writes them, for pure tests: the bundled legacy-2022 notebook
 * as it runs on Debian 12 (every cell ok) and as it fails on Debian 13 with --keep-going.
 */
export const REPO = 'gh/rehearse-examples/legacy-2022/HEAD';
export const NOTEBOOK = 'notebooks/pandas-2022.ipynb';

const ok = (index: number, durationMs = 50): CellHealth => ({ index, outcome: 'ok', durationMs });
const err = (
  index: number,
  ename: string,
  evalue: string,
  line: number,
  lineText: string,
  consequence = false,
): CellHealth => ({
  index,
  outcome: 'error',
  durationMs: 30,
  ...(consequence ? { consequence } : {}),
  error: {
    ename,
    evalue,
    line,
    lineText,
    traceback: [`Cell In [${index + 1}], line ${line}`, `${ename}: ${evalue}`],
  },
});

export function legacyCheck(
  environment: string,
  broken: boolean,
  durations: Partial<Record<number, number>> = {},
): RepoCheck {
  const cells: CellHealth[] = broken
    ? [
        ok(0, durations[0]),
        err(
          1,
          'AttributeError',
          "'DataFrame' object has no attribute 'append'",
          3,
          'combined = readings.append(late, ignore_index=True)',
        ),
        err(
          2,
          'NameError',
          "name 'combined' is not defined",
          1,
          "combined['t_f'] = combined['t_c'] * 9 / 5 + 32",
          true,
        ),
        err(
          3,
          'AttributeError',
          '`np.NaN` was removed in the NumPy 2.0 release. Use `np.nan` instead.',
          1,
          'gaps = ...',
        ),
        err(
          4,
          'AttributeError',
          "'DataFrame' object has no attribute 'iteritems'",
          2,
          'for name, column in readings.iteritems():',
        ),
        err(
          5,
          'AttributeError',
          '`np.float_` was removed in the NumPy 2.0 release. Use `np.float64` instead.',
          1,
          'scale = np.float_(0.5)',
        ),
        ok(6, durations[6]),
      ]
    : [0, 1, 2, 3, 4, 5, 6].map((i) => ok(i, durations[i]));
  return {
    environment,
    target: 'local',
    repo: REPO,
    info: { versions: { python: '3.11.2', pandas: broken ? '2.2.3' : '1.5.3' } },
    notebooks: [
      { path: NOTEBOOK, status: broken ? 'failed' : 'passed', kernelName: 'python3', durationMs: 900, cells },
    ],
  };
}

export function health(...checks: RepoCheck[]): HealthRecord {
  return {
    version: 1,
    settings: { keepGoing: true, cellTimeoutMs: 120_000, notebookTimeoutMs: 900_000 },
    checks,
  };
}

/** A finished record folder with this health.json, written by the record's own writer. */
export function writeCheckRecord(runsDir: string, id: string, h: HealthRecord): string {
  const w = RecordWriter.create(runsDir, {
    id,
    tool: { name: 'rehearse', version: '0.0.0-test' },
    scenario: { name: 'check-legacy', hash: 'h', source: 'rehearse check', normalized: {} },
    seed: 0,
    target: { kind: 'local' },
    host: { hostname: 'h', platform: 'linux', arch: 'x64', node: 'v20', cpus: 2, memoryGiB: 4 },
    intervalMs: 10_000,
    plannedUsers: 1,
    startedAt: '2026-12-03T10:00:00.000Z',
  });
  writeHealthRecord(w.dir, h);
  w.finish(
    {
      id,
      scenario: 'check-legacy',
      partial: false,
      status: 'completed',
      startedAt: '2026-12-03T10:00:00.000Z',
      durationMs: 1000,
      users: { planned: 1, arrived: 1, late: 0, completed: 1, failed: 0 },
      trends: {},
      rates: {},
      failures: {},
      thresholds: [],
      verdict: 'pass',
      leftovers: [],
    },
    'completed',
  );
  w.close();
  return w.dir;
}
