// Builds dist/ once before the suite, so the tests that run `bin/edgewatt.js` as a real process
// exercise the current sources, not a stale build.

import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
