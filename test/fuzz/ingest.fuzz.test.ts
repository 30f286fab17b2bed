// The quick fuzz run of the unit set: 10,000 random and mutated payloads (a tenth of the full run
// in ingest.fuzz.slow.test.ts, same seed, same verdict) through decodeMessage and the collector's
// Ingest.handle with a real SQLite store.

import { describe, it } from 'vitest';
import { tempDir } from '../support/stack.js';
import { runFuzz } from './run.js';
import { expectSurvived } from './verdict.js';

const CASES = 10_000;

describe('fuzzing the decoder and the ingest handler', () => {
  it(`survives ${CASES.toLocaleString('en')} random and mutated payloads, counting each one`, async () => {
    const dir = tempDir('edgewatt-fuzz-');
    try {
      expectSurvived(await runFuzz(CASES, dir.path, undefined, 1_000), CASES);
    } finally {
      dir.remove();
    }
  }, 120_000);
});
