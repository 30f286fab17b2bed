// The unit/slow runs' temp folders (test/support/temp-root.ts) share one folder per user, and
// several runs start and end at once on a shared machine: removing stale run folders must not fail
// a run's set-up when a folder it listed is gone before it looks at it (another run's teardown).

import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testTempDir } from './temp.js';
import { removeStaleRuns } from './temp-root.js';

describe('removeStaleRuns', () => {
  it('removes run folders older than a day, keeps newer ones, and skips one that vanished', () => {
    const shared = testTempDir('edgewatt-temp-root-');
    const old = join(shared, 'run-unit-old');
    const fresh = join(shared, 'run-unit-fresh');
    mkdirSync(old);
    mkdirSync(fresh);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    // Listed, but gone by the time it is looked at (as when another run's teardown removes it).
    const gone = mkdtempSync(join(tmpdir(), 'edgewatt-gone-'));
    symlinkSync(gone, join(shared, 'run-unit-gone'));
    rmSync(gone, { recursive: true });
    expect(() => removeStaleRuns(shared)).not.toThrow();
    expect(() => removeStaleRuns(shared)).not.toThrow();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });
});
