// Runs fuzz cases through the protocol decoder and the collector's Ingest.handle with a real
// SQLite store and dead-letter file, and tallies what became of each. Shared by the fuzz test
// and bench/fuzz.bench.ts; throws nothing itself: every problem is collected and returned.

import { join } from 'node:path';
import { SqliteDeadLetter } from '../../collector/ingest/dead-letter.js';
import { Ingest } from '../../collector/ingest/ingest.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { decodeMessage } from '../../protocol/index.js';
import { fuzzCases } from './corpus.js';

export interface FuzzReport {
  cases: number;
  accepted: number;
  rejected: number;
  byOutcome: Record<string, number>;
  byKind: Record<string, number>;
  decoderThrows: number;
  handlerRejections: number;
  unhandledRejections: number;
  problems: string[];
  storedRecords: number;
  deadLettered: number;
  durationMs: number;
  /** The longest one case took (decode and handle), in ms, and its kind: one message must not stall the loop. */
  slowestCaseMs: number;
  slowestCaseKind: string;
  /** Red-team payloads (test/fuzz/hostile.ts) that were not rejected: must stay 0. */
  hostileAccepted: number;
  /** heapUsed samples (bytes) every `sampleEvery` cases. */
  heapSamples: number[];
}

export async function runFuzz(
  count: number,
  dir: string,
  seed?: number,
  sampleEvery = 10_000,
): Promise<FuzzReport> {
  const store = new SqliteStore(join(dir, 'fuzz.sqlite'));
  await store.connect();
  const deadLetter = new SqliteDeadLetter(join(dir, 'dead-letter.sqlite'));
  // Rate limits are off here: 100,000 messages in seconds from 40 devices would be refused as a
  // flood, and the point is what the decoder and the handler do with every payload.
  const ingest = new Ingest(store, { deadLetter, rateLimit: { messagesPerS: 0, burst: 0 } });
  const report: FuzzReport = {
    cases: 0,
    accepted: 0,
    rejected: 0,
    byOutcome: {},
    byKind: {},
    decoderThrows: 0,
    handlerRejections: 0,
    unhandledRejections: 0,
    problems: [],
    storedRecords: 0,
    deadLettered: 0,
    durationMs: 0,
    slowestCaseMs: 0,
    slowestCaseKind: '',
    hostileAccepted: 0,
    heapSamples: [],
  };
  const onUnhandled = (reason: unknown) => {
    report.unhandledRejections++;
    report.problems.push(`unhandled rejection: ${String(reason)}`);
  };
  process.on('unhandledRejection', onUnhandled);
  const bump = (map: Record<string, number>, key: string) => {
    map[key] = (map[key] ?? 0) + 1;
  };
  const started = performance.now();
  try {
    for (const fuzz of fuzzCases(count, seed)) {
      report.cases++;
      bump(report.byKind, fuzz.kind);
      const caseStarted = performance.now();
      try {
        decodeMessage(fuzz.payload);
      } catch (error) {
        report.decoderThrows++;
        if (report.problems.length < 20)
          report.problems.push(
            `decodeMessage threw ${(error as Error).message} on ${Buffer.from(fuzz.payload).toString('hex').slice(0, 200)}`,
          );
      }
      try {
        const outcome = await ingest.handle(fuzz.topic, fuzz.payload);
        if (outcome.kind === 'rejected') {
          report.rejected++;
          bump(report.byOutcome, `rejected:${outcome.reason}`);
        } else {
          report.accepted++;
          bump(report.byOutcome, outcome.kind);
          if (fuzz.kind === 'hostile') report.hostileAccepted++;
        }
      } catch (error) {
        report.handlerRejections++;
        if (report.problems.length < 20)
          report.problems.push(`Ingest.handle rejected (${(error as Error).message}) on topic ${fuzz.topic}`);
      }
      const caseMs = performance.now() - caseStarted;
      if (caseMs > report.slowestCaseMs) {
        report.slowestCaseMs = caseMs;
        report.slowestCaseKind = fuzz.kind;
      }
      if (report.cases % sampleEvery === 0) report.heapSamples.push(process.memoryUsage().heapUsed);
    }
    // Give any stray promise two turns of the event loop to surface as an unhandled rejection
    // (Node reports them once the microtask queue of a turn has drained).
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  } finally {
    report.durationMs = performance.now() - started;
    process.off('unhandledRejection', onUnhandled);
    report.storedRecords = store.count();
    report.deadLettered = ingest.stats.deadLettered;
    deadLetter.close();
    await store.close();
  }
  return report;
}
