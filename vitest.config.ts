// Three test projects; `npm test` (what .ci/run runs) runs all of them.
// - `unit` (`npm run test:unit`): in-process and quick; starting another process fails there
//   (test/support/unit-set.ts). The script runs one worker per core (`--maxWorkers=100%`; vitest's
//   default leaves a core to its main process, which idles with forked workers: one worker on 2 cores).
//   Its files share those worker processes, each file with fresh modules of ours
//   (test/support/fresh-modules.ts): a new process per file cost half the run's CPU time.
// - `slow` (`npm run test:slow`): files named *.slow.test.ts, in-process too, but long: the
//   statistical honesty checks that repeat an analysis 50–500 times on simulated data (coverage,
//   A/A, false positives, power) and the long fuzz and training runs.
//   `unit` and `slow` keep their temporary files in a folder of the run's own that must be empty at
//   the end (test/support/temp-root.ts).
// - `integration`: files named *.int.test.ts, which start real processes (mosquitto, influxd,
//   bin/edgewatt.js...).
// Measured times are in the README's test section.

import { defineConfig } from 'vitest/config';

const INTEGRATION = ['test/**/*.int.test.ts'];
const SLOW = ['test/**/*.slow.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // expect.poll() waits for a condition; its 1 s default was a deadline too tight for a loaded
    // 2-core machine (a pty hang-up, a port opening, windows after an emulator: firmware.int's CI
    // failure of stop 20). A poll still ends as soon as its condition holds.
    expect: { poll: { timeout: 15_000 } },
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...INTEGRATION, ...SLOW],
          // Files share a worker process, each with fresh modules (test/support/fresh-modules.ts).
          isolate: false,
          globalSetup: ['test/support/temp-root.ts'],
          setupFiles: ['test/support/unit-set.ts', 'test/support/fresh-modules.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'slow',
          include: SLOW,
          globalSetup: ['test/support/temp-root.ts'],
          setupFiles: ['test/support/unit-set.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          // Real processes on a loaded 2-core CI machine: cases that take 5–8 s quiet (bridge-mlperf,
          // documented examples, profile, deploy) had less than 4× headroom under the 30 s default.
          // A case that needs longer still says so itself.
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // bin/edgewatt.js runs dist/: build it once so the processes run the current sources.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
