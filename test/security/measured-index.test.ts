// device.measured against a large SQLite store (issue 12, item 3): the measured-energy query names
// a device, often without its fleet, and the primary key (fleet, device, seq) cannot serve that,
// so every request scanned the whole table (20 s of CPU on 2 M rows). The query plan must use an
// index on the device; the answer is the same.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measure } from '../../collector/lifecycle/measured.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { INFERENCE_COLUMNS } from '../../collector/store/sqlite-inference.js';
import { recordsQuery } from '../../collector/store/sqlite-read.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { collectorRecord } from '../protocol/fixtures.js';
import { tempDir } from '../support/stack.js';

const record = (seq: number, energyJ: number): InferenceRecord =>
  collectorRecord(seq, { energyJ, sampleCount: 3, provenance: 'measured', sensor: 'ina219' });

describe('the measured-energy query', () => {
  const dir = tempDir('edgewatt-measured-index-');
  const path = join(dir.path, 'store.sqlite');
  let store: SqliteStore;

  beforeAll(async () => {
    store = new SqliteStore(path);
    await store.connect();
    for (const [fleet, device, energyJ] of [
      ['lab', 'pi-a', 0.004],
      ['lab', 'pi-b', 0.009],
      ['field', 'pi-c', 0.02],
    ] as const) {
      await store.writeBatch(
        fleet,
        device,
        Array.from({ length: 50 }, (_, seq) => record(seq, energyJ)),
      );
    }
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it.each([
    ['a device without its fleet', { device: 'pi-b', model: 'dense' }],
    ['a device and its fleet', { fleet: 'lab', device: 'pi-b', model: 'f'.repeat(64) }],
  ])('reads %s through an index, never scanning the table', (_label, filter) => {
    const db = new Database(path, { readonly: true });
    try {
      const q = recordsQuery(INFERENCE_COLUMNS, filter);
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(q.params) as { detail: string }[])
        .map((row) => row.detail)
        .join(' | ');
      expect(plan).not.toMatch(/^SCAN inference|\| SCAN inference/);
      expect(plan).toMatch(/SEARCH inference USING (COVERING )?INDEX|SEARCH inference USING PRIMARY KEY/);
      expect(plan).not.toMatch(/TEMP B-TREE/);
    } finally {
      db.close();
    }
  });

  it('answers for that device only, as before', async () => {
    const measured = await measure(store, { device: 'pi-b', model: 'dense' });
    expect(measured).toMatchObject({ fleet: 'lab', device: 'pi-b', records: 50 });
    expect(measured.energyJ.mean).toBeCloseTo(0.009, 9);
  });
});
