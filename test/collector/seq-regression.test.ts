// Issue 12 item 7, collector side: a device whose birth numbers at or below a seq this collector
// already stored has lost its counter; the records it sends under used seqs would be dropped as
// duplicates without a word. The collector flags it (log + /metrics counter), and only for a new
// connection's `online` birth, never for a will or a retained birth delivered again.

import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { renderMetrics } from '../../collector/api/metrics.js';
import { Ingest } from '../../collector/ingest/ingest.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, type InferenceRecord } from '../../protocol/index.js';
import { spoolRecords } from '../spool/records.js';
import { tempDir } from '../support/stack.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
beforeEach(async () => {
  dir = tempDir('edgewatt-seq-regression-');
  store = new SqliteStore(join(dir.path, 'store.sqlite'));
  await store.connect();
});
afterEach(async () => {
  await store.close();
  dir.remove();
});

const topic = (kind: 'inference' | 'status') => buildTopic({ fleet: 'lab', device: 'pi', kind });
const batch = (from: number, count: number) =>
  encodeMessage({
    v: 1,
    type: 'inference',
    device: 'pi',
    records: spoolRecords(count, from).map((r, i) => ({ ...r, seq: from + i }) as InferenceRecord),
  });
const status = (state: 'online' | 'offline', birth: number, seq: number) =>
  encodeMessage({ v: 1, type: 'status', device: 'pi', state, seq, atUs: 1, birth });

it('flags a birth whose next seq is at or below the highest stored, in the log counter and /metrics', async () => {
  const ingest = new Ingest(store);
  await ingest.handle(topic('status'), status('online', 1, 0));
  await ingest.handle(topic('inference'), batch(0, 10));
  await ingest.handle(topic('status'), status('online', 2, 10)); // restarted, counter intact
  expect(ingest.stats.seqRegressions).toBe(0);
  await ingest.handle(topic('status'), status('online', 3, 0)); // state directory lost
  expect(ingest.stats.seqRegressions).toBe(1);
  const duplicates = await ingest.handle(topic('inference'), batch(0, 5));
  expect(duplicates).toMatchObject({ kind: 'stored', inserted: 0, duplicates: 5 });
  expect(renderMetrics({ ingest: ingest.stats, lastSeenUs: ingest.lastSeenUs })).toContain(
    'edgewatt_seq_regressions_total 1',
  );
});

it('does not flag a last will or a retained birth delivered again, which carry an older seq', async () => {
  const ingest = new Ingest(store);
  await ingest.handle(topic('status'), status('online', 4, 0));
  await ingest.handle(topic('inference'), batch(0, 20));
  await ingest.handle(topic('status'), status('online', 4, 0)); // retained birth, resubscribed
  await ingest.handle(topic('status'), status('offline', 4, 0)); // its will, built at connect
  await ingest.handle(topic('status'), status('online', 5, 20));
  expect(ingest.stats.seqRegressions).toBe(0);
});
