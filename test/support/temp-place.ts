// Where the in-process tests keep their temporary files. In memory (tmpfs, /dev/shm) where the
// machine has one: the code under test runs unchanged (its fsyncs included), but a sync there
// costs no disk round trip. SQLite at synchronous=FULL made the 10,000-case fuzz run wait on the
// disk for over a third of its time (29 s against 18 s on tmpfs, on a busy machine). What
// durability means on a real disk is for the integration and crash tests, which keep the default
// TMPDIR; so does an in-process run with EDGEWATT_TEST_TMPDIR=default.

import { accessSync, constants, statSync } from 'node:fs';

export const MEMORY_TMP = '/dev/shm';

export function useDiskTmp(): boolean {
  return process.env.EDGEWATT_TEST_TMPDIR === 'default';
}

export function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
