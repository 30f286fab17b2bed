// Copies a golden sysfs tree from test/fixtures/sysfs into a fresh temp dir, so that a test can
// change files (counters moving, a rail's current) without touching the fixture.

import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYSFS_FIXTURES = fileURLToPath(new URL('../../fixtures/sysfs/', import.meta.url));

export function copyTree(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `edgewatt-${name}-`));
  cpSync(join(SYSFS_FIXTURES, name), root, { recursive: true });
  return root;
}

export function expected<T>(name: string): T {
  return JSON.parse(readFileSync(join(SYSFS_FIXTURES, name, 'expected.json'), 'utf8')) as T;
}
