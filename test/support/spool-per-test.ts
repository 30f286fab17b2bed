// The spool contract suites' set-up: each test gets a fresh state directory, and every spool it
// opens there is closed after it (as a process exit would), before the directory is removed.

import { afterEach, beforeEach } from 'vitest';
import type { Spool, SpoolOptions } from '../../agent/publish/spool.js';
import { openSpool } from '../../agent/publish/spools.js';
import { tempDir } from './stack.js';

/** Call inside a describe block: registers the hooks, and opens spools of `kind` for `device` in this test's directory. */
export function spoolPerTest(kind: string, device: string) {
  let dir: ReturnType<typeof tempDir> | undefined;
  const opened: Spool[] = [];
  const closeAll = () => {
    for (const spool of opened.splice(0)) spool.close();
  };
  beforeEach(() => {
    dir = tempDir('edgewatt-spool-');
  });
  afterEach(() => {
    closeAll();
    dir?.remove();
  });
  const dirPath = (): string => {
    if (dir === undefined) throw new Error('spoolPerTest: no test is running');
    return dir.path;
  };
  const open = (options: SpoolOptions = {}): Spool => {
    const spool = openSpool(kind, dirPath(), device, 'cbor', options);
    opened.push(spool);
    return spool;
  };
  return {
    /** This test's state directory. */
    dirPath,
    open,
    /** Closes every open handle first, as a process exit would, then opens again. */
    reopen: (options: SpoolOptions = {}): Spool => {
      closeAll();
      return open(options);
    },
  };
}
