// Global setup of the in-process test projects (`unit`, `slow`; vitest.config.ts): every temporary
// file of this run goes under one folder of its own (TMPDIR, set by test/support/unit-set.ts), and
// at the end of the run that folder must hold nothing a test made. Tests clean up after
// themselves (afterEach/afterAll); a leftover fails the run here, listed by name, so a leak into
// /dev/shm (memory) cannot quietly return. The folder itself is then removed either way.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { isWritableDir, MEMORY_TMP, useDiskTmp } from './temp-place.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's own temporary folder (one per project and run). */
    edgewattTempRoot: string;
  }
}

/**
 * Files that libraries make in the temporary folder by themselves, not leaks of a test:
 * onnxruntime-node's empty `mat-debug-<pid>.log` and its `.ses` (a timestamp and a session id),
 * and tsx's transform cache (`tsx-<euid>`, a link to the shared one, below).
 */
const BY_LIBRARIES = [/^mat-debug-\d+\.log$/, /^\.ses$/, /^tsx-/];

/** A run killed before its teardown leaves its folder behind; one older than this is removed. */
const STALE_RUN_MS = 24 * 3600_000;

export class TempLeakError extends Error {
  override name = 'TempLeakError';
}

export default function setup(project: TestProject): () => void {
  const base = !useDiskTmp() && isWritableDir(MEMORY_TMP) ? MEMORY_TMP : tmpdir();
  const shared = join(base, `edgewatt-unit-${process.getuid?.() ?? 'user'}`);
  mkdirSync(shared, { recursive: true });
  removeStaleRuns(shared);
  const root = mkdtempSync(join(shared, `run-${project.name}-`));
  // tsx keeps its transform cache in TMPDIR: point this run's at the one all runs share, so the
  // worker threads (sampler, compare runner) do not transform their modules again every run.
  const tsxCache = `tsx-${process.geteuid?.() ?? 'user'}`;
  mkdirSync(join(shared, tsxCache), { recursive: true });
  symlinkSync(join(shared, tsxCache), join(root, tsxCache));
  project.provide('edgewattTempRoot', root);
  return () => {
    const leftovers = readdirSync(root).filter((name) => !BY_LIBRARIES.some((known) => known.test(name)));
    rmSync(root, { recursive: true, force: true });
    if (leftovers.length > 0) {
      // vitest reports an error thrown here ("error during close") but keeps exit code 0.
      process.exitCode = 1;
      throw new TempLeakError(
        `the ${project.name} tests left ${leftovers.length} temporary entries in ${root} (now removed): ` +
          `${leftovers.sort().join(', ')}. Remove each test's temporary folder: testTempDir() ` +
          '(test/support/temp.ts) inside a test, or tempDir() (test/support/stack.ts) with remove() in afterAll.',
      );
    }
  };
}

export function removeStaleRuns(shared: string): void {
  for (const name of readdirSync(shared)) {
    if (!name.startsWith('run-')) continue;
    const path = join(shared, name);
    // Runs start and end at once on a shared machine: a folder listed may be gone by now.
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat !== undefined && Date.now() - stat.mtimeMs > STALE_RUN_MS)
      rmSync(path, { recursive: true, force: true });
  }
}
