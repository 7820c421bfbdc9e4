import { readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { RehearseError } from '../../core/errors.js';

/**
 * Running a program inside a Debian root (a folder holding a whole Debian system) without leaving
 * anything behind on the host.
 *
 * Each process tree starts in a private mount namespace (`unshare --mount --propagation private`):
 * /proc, /sys, /dev (with /dev/shm) and the host folders it needs (the stack's state folder, the
 * bundled repos) are mounted into the root *inside that namespace only*, then `chroot` enters the
 * root and execs the program, keeping its PID. When the last process of the namespace exits, the
 * kernel drops its mounts: a killed hub cannot leave a bind mount on the host. No mount is ever
 * made in the host's namespace, so a recursive delete of the root from the host cannot follow a
 * bind mount into the host's files — and `removeRootDir` still refuses while anything is mounted
 * under the folder or any process has its root there.
 */

/**
 * The shell step between `unshare` and `chroot`: $1 is the root, then the host folders to make
 * visible at the same path, then `--`, then the program and its arguments. Mount points for those
 * folders are created inside the root (empty folders; the mounts themselves live and die with the
 * namespace).
 */
const ENTER_SH = [
  'set -eu',
  'root=$1; shift',
  'mount -t proc proc "$root/proc"',
  'mount --rbind /sys "$root/sys"',
  'mount --rbind /dev "$root/dev"',
  'while [ "$1" != "--" ]; do mkdir -p "$root$1"; mount --bind "$1" "$root$1"; shift; done',
  'shift',
  'exec chroot "$root" "$@"',
].join('\n');

/**
 * The command line that runs `argv` inside `root` in a private mount namespace, with `hostPaths`
 * (absolute folders) visible at the same paths inside.
 */
export function inRoot(
  root: string,
  argv: string[],
  hostPaths: string[],
): { command: string; args: string[] } {
  for (const p of hostPaths) {
    if (!p.startsWith('/')) throw new Error(`inRoot: ${p} is not an absolute path`);
  }
  return {
    command: 'unshare',
    args: [
      '--mount',
      '--propagation',
      'private',
      '--',
      '/bin/sh',
      '-c',
      ENTER_SH,
      'rehearse-enter',
      root,
      ...hostPaths,
      '--',
      ...argv,
    ],
  };
}

/** Mount points in this (the host's) mount namespace at or under `dir`. */
export function mountsUnder(dir: string, mountsText = readMounts()): string[] {
  const base = resolve(dir);
  return mountsText
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((m): m is string => m !== undefined && m !== '')
    .map(unescapeMountPath)
    .filter((m) => m === base || m.startsWith(base + sep));
}

function readMounts(): string {
  try {
    return readFileSync('/proc/self/mounts', 'utf8');
  } catch {
    return '';
  }
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** PIDs of live processes whose root directory is `dir` or inside it (Linux /proc). */
export function processesRootedIn(dir: string): number[] {
  const base = resolve(dir);
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let rootLink: string;
    try {
      rootLink = readlinkSync(`/proc/${e}/root`);
    } catch {
      continue; // exited meanwhile
    }
    if (rootLink === base || rootLink.startsWith(base + sep)) found.push(Number(e));
  }
  return found;
}

/**
 * Delete a root folder, but only when nothing is mounted under it in this namespace and no
 * process runs inside it: a recursive delete would otherwise follow a bind mount into the host.
 */
export function removeRootDir(dir: string): void {
  const mounts = mountsUnder(dir);
  if (mounts.length > 0) {
    throw new RehearseError('ROOT_MOUNTED', `refusing to delete ${dir}: ${mounts.length} mount(s) under it`, {
      hint: `Something is still mounted inside it (${mounts.slice(0, 3).join(', ')}). Stop what uses it (rehearse down local), then unmount: umount -R ${mounts[0]}`,
    });
  }
  const pids = processesRootedIn(dir);
  if (pids.length > 0) {
    throw new RehearseError(
      'ROOT_BUSY',
      `refusing to delete ${dir}: processes ${pids.join(' ')} run inside it`,
      {
        hint: 'Stop the local target first: rehearse down local',
      },
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
