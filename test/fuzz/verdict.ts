// What a fuzz run must show, whatever its size: shared by the quick run in the unit set
// (ingest.fuzz.test.ts) and the full 100,000-payload run (ingest.fuzz.slow.test.ts).

import { expect } from 'vitest';
import type { FuzzReport } from './run.js';

export function expectSurvived(report: FuzzReport, cases: number): void {
  expect(report.problems).toEqual([]);
  expect(report.decoderThrows).toBe(0);
  expect(report.handlerRejections).toBe(0);
  expect(report.unhandledRejections).toBe(0);
  expect(report.cases).toBe(cases);
  expect(report.accepted + report.rejected).toBe(cases);
  expect(report.deadLettered).toBe(report.rejected);
  // The corpus is not a pushover in either direction: both outcomes are common.
  expect(report.accepted).toBeGreaterThan(cases * 0.1);
  expect(report.rejected).toBeGreaterThan(cases * 0.5);
  expect(report.storedRecords).toBeGreaterThan(0);
  for (const kind of ['random', 'mutated-bytes', 'mutated-fields', 'valid']) {
    expect(report.byKind[kind], kind).toBeGreaterThan(cases * 0.1);
  }
  // The red-team payloads are in every run, all refused, none stalling the loop (a value-sharing
  // DAG took seconds to minutes each before tags were refused: issue 12, item 1).
  expect(report.byKind.hostile).toBeGreaterThanOrEqual(Math.floor(cases / 250));
  expect(report.hostileAccepted).toBe(0);
  expect(report.slowestCaseMs, `slowest case: ${report.slowestCaseKind}`).toBeLessThan(2_000);
  // Memory is bounded: the heap after the second half is not growing with the number of cases.
  const samples = report.heapSamples;
  expect(samples.length).toBeGreaterThanOrEqual(7);
  const early = Math.max(...samples.slice(1, 4));
  const late = Math.max(...samples.slice(-3));
  expect(late).toBeLessThan(early + 64 * 1024 * 1024);
}
