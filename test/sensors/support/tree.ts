// Copies a golden sysfs tree from test/fixtures/sysfs into a fresh temp dir, so that a test can
// change files (counters moving, a rail's current) without touching the fixture. A file that
// copies trees removes them when it ends: `afterAll(removeCopiedTrees)`.

import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SYSFS_FIXTURES = fileURLToPath(new URL('../../fixtures/sysfs/', import.meta.url));

const copied: string[] = [];

export function copyTree(name: string): string {
  const root = mkdtempSync(join(tmpdir(), `edgewatt-${name}-`));
  copied.push(root);
  cpSync(join(SYSFS_FIXTURES, name), root, { recursive: true });
  return root;
}

/** Removes every tree copied so far. */
export function removeCopiedTrees(): void {
  for (const root of copied.splice(0)) rmSync(root, { recursive: true, force: true });
}

export function expected<T>(name: string): T {
  return JSON.parse(readFileSync(join(SYSFS_FIXTURES, name, 'expected.json'), 'utf8')) as T;
}
