// The spool contract: the same behaviour from every implementation registered in agent/publish/
// spools.ts: sequence numbers never reused or skipped, durable across reopen and kill -9, bounded
// in bytes with the oldest dropped first and every drop counted. Durable across kill -9 of a real
// process: test/spool/crash.int.test.ts.

import { describe, expect, it } from 'vitest';
import type { DroppedBatch, Spool } from '../../agent/publish/spool.js';
import { SPOOL_KINDS } from '../../agent/publish/spools.js';
import { decodeAs, decodeMessage, type InferenceBatch } from '../../protocol/index.js';
import { spoolPerTest } from '../support/spool-per-test.js';
import { spoolOffloadRecord, spoolRecords } from './records.js';

const DEVICE = 'spool-dev';

describe.each(SPOOL_KINDS)('spool contract: %s', (kind) => {
  const { open, reopen } = spoolPerTest(kind, DEVICE);

  it('numbers records consecutively from 0 and says which seq comes next', () => {
    const spool = open();
    expect(spool.nextSeq).toBe(0);
    const a = spool.seal(spoolRecords(3));
    const b = spool.seal(spoolRecords(2, 3));
    expect([a.firstSeq, a.count, b.firstSeq, b.count]).toEqual([0, 3, 3, 2]);
    expect(a.records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(spool.nextSeq).toBe(5);
  });

  it('says whether it found a counter, and raises (never lowers) it durably on advanceTo', () => {
    const fresh = open();
    expect(fresh.counterFound).toBe(false);
    expect(fresh.advanceTo(40)).toBe(true);
    expect(fresh.nextSeq).toBe(40);
    expect(fresh.advanceTo(39)).toBe(false);
    expect(fresh.advanceTo(40)).toBe(false);
    expect(fresh.seal(spoolRecords(2)).firstSeq).toBe(40);
    const again = reopen();
    expect(again.counterFound).toBe(true);
    expect(again.nextSeq).toBe(42);
    expect(again.advanceTo(100)).toBe(true);
    expect(reopen().nextSeq).toBe(100);
  });

  it('lists pending batches oldest first and loads the exact bytes it sealed', () => {
    const spool = open();
    const sealed = [1, 4, 2, 7].map((n, i) => spool.seal(spoolRecords(n, i * 10)));
    expect(spool.list().map(({ firstSeq, count }) => ({ firstSeq, count }))).toEqual(
      sealed.map(({ firstSeq, count }) => ({ firstSeq, count })),
    );
    for (const batch of sealed) {
      const loaded = spool.load(batch.firstSeq, batch.count);
      expect(Buffer.from(loaded?.payload ?? []).equals(Buffer.from(batch.payload))).toBe(true);
    }
    const decoded = decodeMessage(sealed[1]?.payload ?? new Uint8Array());
    expect(decoded.ok && (decoded.value as InferenceBatch).records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });

  it('forgets an acknowledged batch, never reuses its seqs, and ignores a second acknowledgement', () => {
    const spool = open();
    const a = spool.seal(spoolRecords(3));
    spool.acknowledge(a.firstSeq, a.count);
    expect(spool.load(a.firstSeq, a.count)).toBeUndefined();
    expect(() => spool.acknowledge(a.firstSeq, a.count)).not.toThrow();
    expect(spool.list()).toEqual([]);
    expect(spool.stats()).toMatchObject({ pendingBatches: 0, pendingRecords: 0, pendingBytes: 0 });
    expect(spool.seal(spoolRecords(1)).firstSeq).toBe(3);
    expect(reopen().nextSeq).toBe(4);
  });

  it('keeps pending batches and the counter across a reopen (process restart)', () => {
    const spool = open();
    const a = spool.seal(spoolRecords(2));
    const b = spool.seal(spoolRecords(3, 2));
    spool.acknowledge(a.firstSeq, a.count);
    const again = reopen();
    expect(again.nextSeq).toBe(5);
    expect(again.list().map(({ firstSeq, count }) => ({ firstSeq, count }))).toEqual([
      { firstSeq: 2, count: 3 },
    ]);
    expect(Buffer.from(again.load(b.firstSeq, b.count)?.payload ?? []).equals(Buffer.from(b.payload))).toBe(
      true,
    );
    expect(again.seal(spoolRecords(1)).firstSeq).toBe(5);
  });

  it('seals offload batches from the same seq counter, lists them with their kind, and keeps that across a reopen', () => {
    const spool = open();
    const a = spool.seal(spoolRecords(2));
    const b = spool.sealBatch('offload', [
      spoolOffloadRecord(0),
      spoolOffloadRecord(1),
      spoolOffloadRecord(2),
    ]);
    const c = spool.sealBatch('inference', spoolRecords(1, 5));
    expect([b.kind, b.firstSeq, b.count, c.kind, c.firstSeq]).toEqual(['offload', 2, 3, 'inference', 5]);
    expect(b.records.map((r) => r.seq)).toEqual([2, 3, 4]);
    const decoded = decodeAs('offload', b.payload);
    expect(decoded.ok && decoded.value.records).toEqual(b.records);
    const expected = [
      { firstSeq: a.firstSeq, count: 2 },
      { firstSeq: 2, count: 3, kind: 'offload' },
      { firstSeq: 5, count: 1 },
    ];
    const listed = (s: Spool) => s.list().map(({ firstSeq, count, kind }) => ({ firstSeq, count, kind }));
    const withKind = expected.map((e) => ({ kind: undefined, ...e }));
    expect(listed(spool)).toEqual(withKind);
    const again = reopen();
    expect(listed(again)).toEqual(withKind);
    expect(again.nextSeq).toBe(6);
    expect(Buffer.from(again.load(2, 3)?.payload ?? []).equals(Buffer.from(b.payload))).toBe(true);
  });

  it('refuses an offload record that breaks the contract before numbering or writing anything', () => {
    const spool = open();
    const failed = { ...spoolOffloadRecord(0), outcome: 'timeout' as const };
    expect(() => spool.sealBatch('offload', [failed])).toThrow(/outcome is "timeout" but serverId/);
    expect(spool.nextSeq).toBe(0);
    expect(spool.list()).toEqual([]);
  });

  it('counts pending bytes as the sum of the payloads', () => {
    const spool = open();
    const sealed = [5, 1, 9].map((n) => spool.seal(spoolRecords(n)));
    const bytes = sealed.reduce((sum, batch) => sum + batch.payload.length, 0);
    expect(spool.stats()).toMatchObject({ pendingBatches: 3, pendingRecords: 15, pendingBytes: bytes });
    expect(reopen().stats().pendingBytes).toBe(bytes);
  });

  it('drops the oldest batches past maxBytes, counts and reports them, and still never reuses a seq', () => {
    const one = open().seal(spoolRecords(10)).payload.length;
    const dropped: DroppedBatch[] = [];
    // Room for about three batches of ten records.
    const spool = reopen({ maxBytes: Math.floor(one * 3.5), onDrop: (batch) => dropped.push(batch) });
    const sealed = [spool.load(0, 10) ?? { firstSeq: 0, count: 10 }];
    for (let i = 1; i < 8; i++) sealed.push(spool.seal(spoolRecords(10, i * 10)));
    const pending = spool.list().map((batch) => batch.firstSeq);
    expect(pending).toEqual([50, 60, 70]);
    expect(dropped.map((batch) => batch.firstSeq)).toEqual([0, 10, 20, 30, 40]);
    expect(spool.stats()).toMatchObject({ droppedBatches: 5, droppedRecords: 50, pendingRecords: 30 });
    expect(spool.stats().pendingBytes).toBeLessThanOrEqual(Math.floor(one * 3.5));
    expect(spool.load(0, 10)).toBeUndefined();
    expect(spool.nextSeq).toBe(80);
    const again = reopen({ maxBytes: Math.floor(one * 3.5) });
    expect(again.stats()).toMatchObject({ droppedBatches: 5, droppedRecords: 50 });
    expect(again.seal(spoolRecords(1)).firstSeq).toBe(80);
  });

  it('keeps the newest batch even when it alone is larger than the bound', () => {
    const spool = open({ maxBytes: 64 });
    spool.seal(spoolRecords(5));
    const big = spool.seal(spoolRecords(50, 5));
    expect(spool.list().map((batch) => batch.firstSeq)).toEqual([big.firstSeq]);
    expect(spool.stats()).toMatchObject({ droppedBatches: 1, droppedRecords: 5 });
  });

  it('refuses a bound that is not a positive whole number of bytes', () => {
    expect(() => open({ maxBytes: 0 })).toThrow(/maxBytes is 0/);
    expect(() => open({ maxBytes: 1.5 })).toThrow(/positive whole number/);
  });
});
