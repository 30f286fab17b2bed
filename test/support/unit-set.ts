// Setup file of the `unit` test project (vitest.config.ts): unit tests stay inside the test
// process. Starting any other process (mosquitto, influxd, chromium, bin/edgewatt.js, a helper
// script) throws here, so a test that crosses a process boundary cannot slip into
// `npm run test:unit` by mistake: such a test goes in a file named `*.int.test.ts`.

import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { inject } from 'vitest';

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

// Temporary files go to this run's own folder (test/support/temp-root.ts: in memory where the
// machine has one, test/support/temp-place.ts), which must be empty again when the run ends.
const tempRoot = inject('edgewattTempRoot');
if (tempRoot === undefined) {
  throw new Error('test/support/temp-root.ts must be a globalSetup of every project that uses unit-set.ts');
}
process.env.TMPDIR = tempRoot;
