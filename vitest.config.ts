// Two test projects. `unit`: everything in this process, quick (`npm run test:unit`, 67 s on
// this 2-core machine); starting another process fails there (test/support/unit-set.ts). `integration`: files
// named *.int.test.ts, which start real processes (mosquitto, influxd, bin/edgewatt.js...), and
// *.slow.test.ts, the long in-process runs. `npm test` (what .ci/run runs) runs both.

import { defineConfig } from 'vitest/config';

const INTEGRATION = ['test/**/*.int.test.ts', 'test/**/*.slow.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: INTEGRATION,
          setupFiles: ['test/support/unit-set.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          // bin/edgewatt.js runs dist/: build it once so the processes run the current sources.
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
    ],
  },
});
