// Issue 12 item 7, the rest: the collector's answer to a birth (the highest seq stored for the
// device) comes from the store, so a collector restarted since the device last sent still knows
// it. SQLite answers with an index lookup; ingest takes the higher of the store and what it stored
// itself, says "unknown" (not "none") when the store cannot answer, and flags a device whose counter
// went backwards also after a restart.

import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Ingest } from '../../collector/ingest/ingest.js';
import type { RecordStore } from '../../collector/store/index.js';
import { HIGHEST_SEQ_QUERY, SqliteStore } from '../../collector/store/sqlite.js';
import { buildTopic, encodeMessage, PROTOCOL_VERSION } from '../../protocol/index.js';
import { constantRecords, fullStatus } from '../protocol/fixtures.js';
import { tempDir } from '../support/stack.js';

const dir = tempDir('edgewatt-seq-answer-');
const opened: SqliteStore[] = [];

async function open(name: string): Promise<SqliteStore> {
  const store = new SqliteStore(join(dir.path, `${name}.sqlite`));
  await store.connect();
  opened.push(store);
  return store;
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close();
});
afterAll(() => dir.remove());

const batch = (device: string, firstSeq: number, count: number) =>
  Buffer.from(
    encodeMessage({
      v: PROTOCOL_VERSION,
      type: 'inference',
      device,
      records: constantRecords(count, firstSeq),
    }),
  );
const birth = (device: string, nextSeq: number, birthNo: number) =>
  Buffer.from(encodeMessage(fullStatus({ device, seq: nextSeq, birth: birthNo, state: 'online' })));
const topic = (device: string, kind: 'inference' | 'status', fleet = 'lab') =>
  buildTopic({ fleet, device, kind });

describe('SQLite store: highest seq of a device', () => {
  it('is null for a device with nothing stored, then the highest seq, per fleet and device', async () => {
    const store = await open('per-device');
    expect(await store.highestSeq('lab', 'd1')).toBeNull();
    await store.writeBatch('lab', 'd1', constantRecords(10, 100));
    await store.writeBatch('lab', 'd1', constantRecords(5, 3)); // an older batch, arriving late
    await store.writeBatch('other', 'd1', constantRecords(1, 5_000)); // same device id, other fleet
    await store.writeBatch('lab', 'd2', constantRecords(1, 7_000));
    expect(await store.highestSeq('lab', 'd1')).toBe(109);
    expect(await store.highestSeq('other', 'd1')).toBe(5_000);
    expect(await store.highestSeq('lab', 'd2')).toBe(7_000);
    expect(await store.highestSeq('lab', 'd3')).toBeNull();
  });

  it('is read from the file: a store opened again (a restarted collector) answers the same', async () => {
    const first = await open('reopened');
    await first.writeBatch('lab', 'd1', constantRecords(40, 0));
    await first.close();
    const again = await open('reopened');
    expect(await again.highestSeq('lab', 'd1')).toBe(39);
  });

  it('is an index lookup, not a scan of the device table', async () => {
    const store = await open('plan');
    // biome-ignore lint/complexity/useLiteralKeys: the private handle, only to ask SQLite for its plan
    const db = store['open'];
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${HIGHEST_SEQ_QUERY}`)
      .all({ fleet: 'lab', device: 'd1' }) as {
      detail: string;
    }[];
    const details = plan.map((step) => step.detail).join('\n');
    expect(details).toMatch(/SEARCH inference USING (PRIMARY KEY|COVERING INDEX)/);
    expect(details).not.toMatch(/SCAN inference/);
  });
});

describe('ingest: the highest seq answered at a birth', () => {
  it('comes from the store after a restart, and a counter gone back is flagged', async () => {
    const store = await open('restart');
    const before = new Ingest(store);
    expect(await before.handle(topic('d1', 'inference'), batch('d1', 0, 40))).toMatchObject({
      kind: 'stored',
    });
    // A new process on the same file: its memory is empty, the file is not.
    const after = new Ingest(store);
    const outcome = await after.handle(topic('d1', 'status'), birth('d1', 0, 2));
    expect(outcome).toEqual({ kind: 'status', highestSeq: 39 });
    expect(after.stats.seqRegressions).toBe(1);
    // A device with nothing stored: null, an answer ("none"), and no regression.
    expect(await after.handle(topic('d2', 'status'), birth('d2', 0, 1))).toEqual({
      kind: 'status',
      highestSeq: null,
    });
    expect(after.stats.seqRegressions).toBe(1);
    // A last will (offline) is not a birth: nothing to answer.
    const will = Buffer.from(encodeMessage(fullStatus({ device: 'd1', seq: 0, birth: 2, state: 'offline' })));
    expect(await after.handle(topic('d1', 'status'), will)).toEqual({ kind: 'status' });
  });

  it('takes the higher of the store and what it stored itself; unknown (not none) when the store fails', async () => {
    const sqlite = await open('lagging');
    let storeAnswer: () => Promise<number | null> = async () => null;
    // A store that has not made the last writes readable yet (InfluxDB's spool), then one that is down.
    const lagging: RecordStore = {
      connect: async () => {},
      close: async () => {},
      writeStatus: async () => {},
      writeFeedback: async () => {},
      writeBatch: (fleet, device, records) => sqlite.writeBatch(fleet, device, records),
      writeOffload: (fleet, device, records) => sqlite.writeOffload(fleet, device, records),
      highestSeq: () => storeAnswer(),
    };
    const ingest = new Ingest(lagging);
    expect(await ingest.highestSeq('lab', 'd1')).toBeNull();
    await ingest.handle(topic('d1', 'inference'), batch('d1', 10, 5));
    expect(await ingest.highestSeq('lab', 'd1')).toBe(14);
    storeAnswer = async () => 99;
    expect(await ingest.highestSeq('lab', 'd1')).toBe(99);
    storeAnswer = () => Promise.reject(new Error('cannot reach the store'));
    expect(await ingest.highestSeq('lab', 'd1')).toBe(14);
    expect(await ingest.highestSeq('lab', 'never-seen')).toBeUndefined();
    expect(await ingest.handle(topic('never-seen', 'status'), birth('never-seen', 0, 1))).toEqual({
      kind: 'status',
      highestSeq: undefined,
    });
  });
});
