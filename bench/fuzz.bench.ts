// Fuzz throughput: random and mutated payloads through decodeMessage and Ingest.handle with a real
// SQLite store and dead-letter file (the same corpus and runner as test/fuzz/). Prints the count,
// the rate, what became of the payloads, and the heap. Usage: npm run bench:fuzz [-- <cases>]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogLevel } from '../common/logger.js';
import { fuzzCases } from '../test/fuzz/corpus.js';
import { runFuzz } from '../test/fuzz/run.js';
import { machineLine } from './machine.js';

// Every rejection is logged (sparsely) in production; here the log would only measure the terminal.
setLogLevel('silent');
const cases = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'edgewatt-bench-fuzz-'));
try {
  // Generating the corpus is not the system under test: timed apart, and subtracted.
  const genStart = performance.now();
  let bytes = 0;
  for (const fuzz of fuzzCases(cases)) bytes += fuzz.payload.length;
  const genMs = performance.now() - genStart;

  const report = await runFuzz(cases, dir);
  const handleMs = report.durationMs - genMs;
  const mib = (n: number) => (n / 2 ** 20).toFixed(1);
  console.log(`Measured on: ${machineLine()}`);
  console.log(`fuzz cases: ${report.cases.toLocaleString('en')} (${mib(bytes)} MiB of payloads)`);
  console.log(
    `accepted: ${report.accepted.toLocaleString('en')}, rejected: ${report.rejected.toLocaleString('en')} (all dead-lettered: ${report.deadLettered === report.rejected})`,
  );
  console.log(
    `decoder throws: ${report.decoderThrows}, handler rejections: ${report.handlerRejections}, unhandled rejections: ${report.unhandledRejections}`,
  );
  console.log(
    `total ${(report.durationMs / 1000).toFixed(1)} s, of which generating the corpus ${(genMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `decode + ingest (SQLite store and dead-letter): ${Math.round(report.cases / (handleMs / 1000)).toLocaleString('en')} payloads/s`,
  );
  console.log(`heap used, every 10,000 cases (MiB): ${report.heapSamples.map(mib).join(' ')}`);
  console.log('cases by kind:', report.byKind);
  // The red-team payloads of issue 12 (test/fuzz/hostile.ts: value-sharing DAGs, foreign tags,
  // nesting bombs), one in every 250 cases: all must be refused, none may stall the loop.
  console.log(
    `red-team payloads: ${report.byKind.hostile ?? 0}, accepted: ${report.hostileAccepted}; slowest case ${report.slowestCaseMs.toFixed(1)} ms (${report.slowestCaseKind})`,
  );
  console.log('outcomes:', report.byOutcome);
  if (report.problems.length > 0) console.log('PROBLEMS:', report.problems);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
