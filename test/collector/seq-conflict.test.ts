// Inference and offload records share a device's one seq space, so (fleet, device, seq) names one
// record across both SQLite tables: a record whose seq already names a record of the other kind is
// refused — counted, logged, the message dead-lettered whole with reason `seq-conflict` — while the
// rest of its message is stored. It happens without a bug: a device that lost its counter and got
// no cmd/seq answer reuses seqs, and two boards given one device id share them.

import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { renderMetrics } from '../../collector/api/metrics.js';
import { MemoryDeadLetter } from '../../collector/ingest/dead-letter.js';
import { Ingest } from '../../collector/ingest/ingest.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { DEVICE } from '../protocol/fixtures.js';
import { makeOffloadBatch, makeOffloadRecord } from '../protocol/offload-fixtures.js';
import { spoolRecords } from '../spool/records.js';
import { tempDir } from '../support/stack.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(async () => {
  dir = tempDir('edgewatt-seq-conflict-');
  store = new SqliteStore(join(dir.path, 'store.sqlite'));
  await store.connect();
});
afterEach(async () => {
  await store.close();
  dir.remove();
});

const topic = (kind: 'inference' | 'offload') => buildTopic({ fleet: 'lab', device: DEVICE, kind });
const inference = (from: number, count: number) =>
  encodeMessage({
    v: 1,
    type: 'inference',
    device: DEVICE,
    records: spoolRecords(count, from).map((r, i) => ({ ...r, seq: from + i }) as InferenceRecord),
  });
const offload = (from: number, count: number) =>
  encodeMessage(makeOffloadBatch(Array.from({ length: count }, (_, i) => makeOffloadRecord(from + i))));

it('refuses an offload record whose seq names an inference record, and the reverse; stores the rest', async () => {
  const deadLetter = new MemoryDeadLetter();
  const ingest = new Ingest(store, { deadLetter });
  await ingest.handle(topic('inference'), inference(0, 5)); // 0..4
  // Offload 3..6: 3 and 4 are inference records already.
  expect(await ingest.handle(topic('offload'), offload(3, 4))).toMatchObject({
    kind: 'stored',
    inserted: 2,
    duplicates: 0,
    seqConflicts: [3, 4],
  });
  // Inference 6..7: 6 is an offload record now.
  expect(await ingest.handle(topic('inference'), inference(6, 2))).toMatchObject({
    inserted: 1,
    duplicates: 0,
    seqConflicts: [6],
  });
  const seqs = async (read: AsyncIterable<{ seq: number }> | Iterable<{ seq: number }>) => {
    const out: number[] = [];
    for await (const r of read) out.push(r.seq);
    return out.sort((a, b) => a - b);
  };
  expect(await seqs(store.records({ device: DEVICE }))).toEqual([0, 1, 2, 3, 4, 7]);
  expect(await seqs(store.readOffload({ device: DEVICE }))).toEqual([5, 6]);
  expect(ingest.stats.seqConflicts).toBe(3);
  expect(ingest.stats.rejected['seq-conflict']).toBe(2);
  const entries = deadLetter.recent(10);
  expect(entries.map((e) => e.reason)).toEqual(['seq-conflict', 'seq-conflict']);
  expect(entries[1]?.detail).toMatch(
    /^2 offload records of lab\/.* not stored: seqs 3, 4 already name inference records/,
  );
  expect(entries[0]?.payloadHead.length).toBe(entries[0]?.payloadBytes); // kept whole, to store by hand
  expect(renderMetrics({ ingest: ingest.stats, lastSeenUs: ingest.lastSeenUs })).toContain(
    'edgewatt_seq_conflicts_total 3',
  );
});

it('a redelivered message is still a duplicate, not a conflict; other devices are not concerned', async () => {
  const ingest = new Ingest(store);
  await ingest.handle(topic('inference'), inference(0, 3));
  await ingest.handle(topic('offload'), offload(3, 2));
  expect(await ingest.handle(topic('offload'), offload(3, 2))).toMatchObject({ inserted: 0, duplicates: 2 });
  expect(await ingest.handle(topic('inference'), inference(0, 3))).toMatchObject({
    inserted: 0,
    duplicates: 3,
  });
  const other = buildTopic({ fleet: 'lab', device: 'other', kind: 'offload' });
  const otherBatch = encodeMessage(makeOffloadBatch([makeOffloadRecord(0)], 'other'));
  const stored = await ingest.handle(other, otherBatch);
  expect(stored).toMatchObject({ inserted: 1 });
  expect(stored).not.toHaveProperty('seqConflicts');
  expect(ingest.stats.seqConflicts).toBe(0);
});
