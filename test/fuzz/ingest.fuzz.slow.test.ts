// 100,000 random and mutated payloads through decodeMessage and the collector's Ingest.handle with
// a real SQLite store: nothing throws, nothing rejects unhandled, memory stays bounded, and every
// payload is counted once as accepted or rejected (rejections dead-lettered). About a minute and
// a half on a quiet 2-core machine, so it runs in `npm test` only; the unit set runs 10,000
// (ingest.fuzz.test.ts).

import { describe, it } from 'vitest';
import { tempDir } from '../support/stack.js';
import { runFuzz } from './run.js';
import { expectSurvived } from './verdict.js';

const CASES = 100_000;

describe('fuzzing the decoder and the ingest handler (full run)', () => {
  it(`survives ${CASES.toLocaleString('en')} random and mutated payloads, counting each one`, async () => {
    const dir = tempDir('edgewatt-fuzz-');
    try {
      expectSurvived(await runFuzz(CASES, dir.path), CASES);
    } finally {
      dir.remove();
    }
  }, 600_000);
});
