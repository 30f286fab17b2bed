// Temporary folders for tests, each removed when its test ends, so that a run leaves nothing in
// TMPDIR (test/support/temp-root.ts fails a run that does).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/** A fresh temporary folder, removed when the calling test finishes (call it inside a test). */
export function testTempDir(prefix = 'edgewatt-test-'): string {
  const path = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(path, { recursive: true, force: true }));
  return path;
}
