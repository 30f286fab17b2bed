// A small real file system that can be filled up: `mount -t tmpfs -o size=…` in a temp dir (needs
// root, or CAP_SYS_ADMIN). Used to test what a full disk does to the agent's files for real.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Requirement } from './tools.js';

export interface Tmpfs {
  path: string;
  /** Bytes a new file may still take. */
  freeBytes(): number;
  /** Writes a filler file so that about `leaveBytes` stay free (tmpfs counts whole 4 KiB pages). */
  fill(leaveBytes: number, name?: string): void;
  unmount(): void;
}

export function mountTmpfs(sizeBytes: number): Tmpfs {
  const path = mkdtempSync(join(tmpdir(), 'edgewatt-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', path], { stdio: 'pipe' });
  const freeBytes = () => {
    const stats = statfsSync(path);
    return stats.bavail * stats.bsize;
  };
  return {
    path,
    freeBytes,
    fill(leaveBytes, name = 'filler') {
      writeFileSync(join(path, name), Buffer.alloc(Math.max(0, freeBytes() - leaveBytes)));
    },
    unmount() {
      execFileSync('umount', [path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}

let probed: Requirement | undefined;

/** Whether this process may mount a tmpfs (tried once, on a 64 KiB one). */
export function tmpfsRequirement(): Requirement {
  if (probed !== undefined) return probed;
  try {
    mountTmpfs(64 * 1024).unmount();
    probed = { met: true, reason: '' };
  } catch (error) {
    probed = {
      met: false,
      reason: `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]}); run the tests as root`,
    };
  }
  return probed;
}
