// 100,000 random and mutated payloads through decodeMessage and the collector's Ingest.handle with
// a real SQLite store: nothing throws, nothing rejects unhandled, memory stays bounded, and every
// payload is counted once as accepted or rejected (rejections dead-lettered).

import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/stack.js';
import { runFuzz } from './run.js';

const CASES = 100_000;

describe('fuzzing the decoder and the ingest handler', () => {
  it(`survives ${CASES.toLocaleString('en')} random and mutated payloads, counting each one`, async () => {
    const dir = tempDir('edgewatt-fuzz-');
    try {
      const report = await runFuzz(CASES, dir.path);
      expect(report.problems).toEqual([]);
      expect(report.decoderThrows).toBe(0);
      expect(report.handlerRejections).toBe(0);
      expect(report.unhandledRejections).toBe(0);
      expect(report.cases).toBe(CASES);
      expect(report.accepted + report.rejected).toBe(CASES);
      expect(report.deadLettered).toBe(report.rejected);
      // The corpus is not a pushover in either direction: both outcomes are common.
      expect(report.accepted).toBeGreaterThan(CASES * 0.1);
      expect(report.rejected).toBeGreaterThan(CASES * 0.5);
      expect(report.storedRecords).toBeGreaterThan(0);
      for (const kind of ['random', 'mutated-bytes', 'mutated-fields', 'valid']) {
        expect(report.byKind[kind], kind).toBeGreaterThan(CASES * 0.1);
      }
      // Memory is bounded: the heap after the second half is not growing with the number of cases.
      const samples = report.heapSamples;
      const early = Math.max(...samples.slice(1, 4));
      const late = Math.max(...samples.slice(-3));
      expect(late).toBeLessThan(early + 64 * 1024 * 1024);
    } finally {
      dir.remove();
    }
  }, 180_000);
});
