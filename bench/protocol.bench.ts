// `npm run bench:protocol`: bytes per record on the wire (CBOR and JSON; batches of 1, 10, 100)
// and encode / decode throughput in records per second. Target: ≤ 32 B/record at batch 100.

import {
  decodeMessage,
  type Encoding,
  encodeMessage,
  type InferenceBatch,
  PROTOCOL_VERSION,
} from '../protocol/index.js';
import { machineLine } from './machine.js';
import { realisticRecords } from './records.js';

const BATCH_SIZES = [1, 10, 100] as const;
const ENCODINGS: Encoding[] = ['cbor', 'json'];
const MIN_RUN_MS = 1_000;

function batchOf(size: number, seed: number): InferenceBatch {
  return {
    v: PROTOCOL_VERSION,
    type: 'inference',
    device: 'pi4-kitchen',
    records: realisticRecords(size, seed),
  };
}

/** Runs `work` (which handles `recordsPerCall` records) for at least MIN_RUN_MS; returns records per second. */
function throughput(recordsPerCall: number, work: () => void): number {
  for (let i = 0; i < 200; i++) work(); // warm up the JIT
  let calls = 0;
  const start = performance.now();
  while (performance.now() - start < MIN_RUN_MS) {
    for (let i = 0; i < 50; i++) work();
    calls += 50;
  }
  return (calls * recordsPerCall) / ((performance.now() - start) / 1000);
}

const rows: string[] = [];
for (const encoding of ENCODINGS) {
  for (const size of BATCH_SIZES) {
    // Bytes: mean over 20 different batches, so one lucky batch does not set the figure.
    const payloads = Array.from({ length: 20 }, (_, seed) =>
      encodeMessage(batchOf(size, seed + 1), encoding),
    );
    const bytesPerRecord = payloads.reduce((sum, p) => sum + p.length, 0) / (payloads.length * size);
    const batch = batchOf(size, 99);
    const payload = encodeMessage(batch, encoding);
    const encodePerS = throughput(size, () => encodeMessage(batch, encoding));
    const decodePerS = throughput(size, () => {
      if (!decodeMessage(payload).ok) throw new Error('benchmark payload failed to decode');
    });
    rows.push(
      `| ${encoding} | ${size} | ${bytesPerRecord.toFixed(1)} | ${Math.round(encodePerS).toLocaleString('en')} | ${Math.round(decodePerS).toLocaleString('en')} |`,
    );
  }
}

console.log(`machine: ${machineLine()}\n`);
console.log(
  '| encoding | records/batch | bytes/record on the wire | encode records/s | decode+validate records/s |',
);
console.log('|---|---|---|---|---|');
for (const row of rows) console.log(row);
