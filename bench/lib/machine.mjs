// The machine a bench ran on: cores, memory and its limits, open-file limit, Node, load.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

const read = (p) => {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return null;
  }
};
const sh = (cmd) => spawnSync('sh', ['-c', cmd], { encoding: 'utf8' }).stdout.trim();

export function machine() {
  const fd = sh('ulimit -n');
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? null,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    limits: {
      rss: sh('ulimit -m'),
      virtual: sh('ulimit -v'),
      cgroupMemoryMax:
        read('/sys/fs/cgroup/memory.max') ?? read('/sys/fs/cgroup/memory/memory.limit_in_bytes'),
      cgroupCpuMax: read('/sys/fs/cgroup/cpu.max'),
      openFiles: fd,
    },
    fdLimit: fd === 'unlimited' ? 1_000_000 : Number(fd),
    node: process.version,
    loadAvgBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** The commit the benches ran on, and whether the work tree differed from it (dist/ is built from it). */
export function gitState() {
  const root = new URL('../../', import.meta.url).pathname;
  const git = (args) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' }).stdout.trim();
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
  };
}

/** Busy and total CPU time of the whole host so far (/proc/stat, clock ticks); null off Linux. */
export function hostCpu() {
  const line = read('/proc/stat')?.split('\n')[0];
  if (!line?.startsWith('cpu ')) return null;
  const f = line.split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}
