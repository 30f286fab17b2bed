// Setup file of the `unit` test project (vitest.config.ts): unit tests stay inside the test
// process. Starting any other process (mosquitto, influxd, chromium, bin/edgewatt.js, a helper
// script) throws here, so a test that crosses a process boundary cannot slip into
// `npm run test:unit` by mistake: such a test goes in a file named `*.int.test.ts`.

import childProcess from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

export class ProcessInUnitTestError extends Error {
  override name = 'ProcessInUnitTestError';
}

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

for (const starter of STARTERS) {
  Object.defineProperty(childProcess, starter, {
    configurable: true,
    writable: true,
    value: (command: unknown) => {
      throw new ProcessInUnitTestError(
        `a unit test started a process (child_process.${starter} ${String(command)}): unit tests stay in ` +
          'this process; move the test to a file named *.int.test.ts (run by npm test, not npm run test:unit)',
      );
    },
  });
}
// Named imports of node:child_process (`import { spawn } from ...`) see the replacements too.
syncBuiltinESMExports();

// Temporary files of in-process tests go to memory (tmpfs, /dev/shm) where the machine has one:
// the code under test runs unchanged (its fsyncs included), but a sync there costs no disk
// round trip. SQLite at synchronous=FULL made the 10,000-case fuzz run wait on the disk for over
// a third of its time (29 s against 18 s on tmpfs, on a busy machine). What durability means on
// a real disk is for the integration and crash tests, which keep the default TMPDIR; so does a
// unit run with EDGEWATT_TEST_TMPDIR=default.
const MEMORY_TMP = '/dev/shm';
if (process.env.EDGEWATT_TEST_TMPDIR !== 'default' && isWritableDir(MEMORY_TMP)) {
  const dir = join(MEMORY_TMP, `edgewatt-unit-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true });
  process.env.TMPDIR = dir;
}

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
