// The file spool's off-loop seal (sealBatchDurably): records are numbered at once, the batch file,
// the counter and its backup are written through the thread pool in call order, a batch is listed
// only once durable, a full disk drops and counts as the synchronous seal does, and any other write
// error stops every later seal. Writes are held on a gate (an injected delayed promise), not timed.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { tempDir } from '../support/stack.js';
import { spoolOffloadRecord, spoolRecords } from './records.js';

/** Every off-loop write, in the order it began; a write may be held until released. */
const writes = vi.hoisted(() => ({
  log: [] as string[],
  hold: undefined as ((path: string) => boolean) | undefined,
  held: [] as { path: string; release: () => void }[],
  fail: undefined as ((path: string) => NodeJS.ErrnoException | undefined) | undefined,
}));

vi.mock('../../common/files.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../common/files.js')>();
  return {
    ...actual,
    writeFileAtomic: async (path: string, data: Uint8Array | string, options?: { fsync?: boolean }) => {
      writes.log.push(path);
      if (writes.hold?.(path)) {
        await new Promise<void>((release) => writes.held.push({ path, release }));
      }
      const failure = writes.fail?.(path);
      if (failure !== undefined) throw failure;
      await actual.writeFileAtomic(path, data, options);
    },
  };
});

const DEVICE = 'spool-dev';
let dir: ReturnType<typeof tempDir>;
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const counterOnDisk = (file = 'seq.json') =>
  (JSON.parse(readFileSync(join(dir.path, file), 'utf8')) as { nextSeq: number }).nextSeq;

async function until(condition: () => boolean): Promise<void> {
  await vi.waitFor(() => expect(condition()).toBe(true), { timeout: 20_000, interval: 2 });
}

beforeEach(() => {
  dir = tempDir('edgewatt-seal-durably-');
  writes.log.length = 0;
  writes.held.length = 0;
  writes.hold = undefined;
  writes.fail = undefined;
});
afterEach(() => dir.remove());

describe('file spool: sealBatchDurably', () => {
  it('numbers at once, lists the batch and resolves only once its file and counter are written', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    writes.hold = (path) => path.endsWith('.batch');
    let resolved = false;
    const sealing = spool.sealBatchDurably('inference', spoolRecords(4)).then((batch) => {
      resolved = true;
      return batch;
    });
    // The seqs are taken before anything is written: records held meanwhile number after them.
    expect(spool.nextSeq).toBe(4);
    await until(() => writes.held.length === 1);
    expect(spool.list()).toEqual([]);
    expect(readdirSync(join(dir.path, 'outbox'))).toEqual([]);
    expect(resolved).toBe(false);
    writes.held[0]?.release();
    const batch = await sealing;
    expect(batch).toMatchObject({ kind: 'inference', firstSeq: 0, count: 4 });
    expect(spool.list()).toEqual([expect.objectContaining({ firstSeq: 0, count: 4 })]);
    expect(counterOnDisk()).toBe(4);
    expect(counterOnDisk('seq.backup.json')).toBe(4);
    // Batch file first, counter and backup after it (a crash between them is repaired from the spool).
    expect(writes.log.map(base)).toEqual([expect.stringMatching(/\.batch$/), 'seq.json', 'seq.backup.json']);
    const onDisk = new Outbox(dir.path, DEVICE).load(0, 4)?.payload ?? new Uint8Array();
    expect(Buffer.from(onDisk).equals(Buffer.from(batch.payload))).toBe(true);
  });

  it('lands two seals in call order: the second write begins only after the first landed', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    writes.hold = (path) => path.endsWith('.batch') && writes.held.length === 0;
    const order: number[] = [];
    const first = spool.sealBatchDurably('inference', spoolRecords(3)).then((b) => order.push(b.firstSeq));
    const second = spool
      .sealBatchDurably('offload', [spoolOffloadRecord(0)])
      .then((b) => order.push(b.firstSeq));
    const third = spool.sealBatchDurably('inference', spoolRecords(2, 4)).then((b) => order.push(b.firstSeq));
    await until(() => writes.held.length === 1);
    // While the first batch's write is held, nothing of the later seals has begun.
    expect(writes.log).toHaveLength(1);
    writes.held[0]?.release();
    await Promise.all([first, second, third]);
    expect(order).toEqual([0, 3, 4]);
    const batchWrites = writes.log.map(base).filter((name) => name.endsWith('.batch'));
    expect(batchWrites.map((name) => name.slice(0, 18))).toEqual([
      '0000000000000000-3',
      '0000000000000003-1',
      '0000000000000004-2',
    ]);
    expect(counterOnDisk()).toBe(6);
    expect(spool.list().map((b) => [b.firstSeq, b.kind ?? 'inference'])).toEqual([
      [0, 'inference'],
      [3, 'offload'],
      [4, 'inference'],
    ]);
  });

  it('refuses a synchronous seal while off-loop writes are under way (it would land out of order)', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    writes.hold = () => true;
    const sealing = spool.sealBatchDurably('inference', spoolRecords(1));
    await until(() => writes.held.length === 1);
    expect(() => spool.seal(spoolRecords(1))).toThrow(/order/);
    writes.hold = undefined;
    writes.held[0]?.release();
    await sealing;
    await spool.idle();
    expect(spool.seal(spoolRecords(1, 1)).firstSeq).toBe(1);
  });

  it('saves a counter raised during a seal after that seal, so the disk never goes back', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    spool.seal(spoolRecords(2));
    writes.hold = (path) => path.endsWith('.batch');
    const sealing = spool.sealBatchDurably('inference', spoolRecords(2, 2));
    await until(() => writes.held.length === 1);
    expect(spool.advanceTo(100)).toBe(true);
    expect(spool.nextSeq).toBe(100);
    writes.held[0]?.release();
    await sealing;
    await spool.idle();
    expect(counterOnDisk()).toBe(100);
    expect(counterOnDisk('seq.backup.json')).toBe(100);
    expect(writes.log.map(base).slice(-2)).toEqual(['seq.json', 'seq.backup.json']);
    expect(new Outbox(dir.path, DEVICE).nextSeq).toBe(100);
  });

  it('on a full disk drops the oldest batches and counts them, as the synchronous seal does', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    const old = [spool.seal(spoolRecords(5)), spool.seal(spoolRecords(6, 5))];
    let refusals = 2; // the new batch's file is refused twice: both older batches make room
    writes.fail = (path) =>
      path.endsWith('.batch') && refusals-- > 0
        ? Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
        : undefined;
    const dropped: number[] = [];
    const reopenedDrops = () => new Outbox(dir.path, DEVICE).stats();
    const spoolWithDrops = new Outbox(dir.path, DEVICE, 'cbor', { onDrop: (b) => dropped.push(b.firstSeq) });
    const batch = await spoolWithDrops.sealBatchDurably('inference', spoolRecords(3, 11));
    expect(batch.firstSeq).toBe(11);
    expect(dropped).toEqual(old.map((b) => b.firstSeq));
    expect(spoolWithDrops.stats()).toMatchObject({
      pendingBatches: 1,
      droppedBatches: 2,
      droppedRecords: 11,
    });
    expect(reopenedDrops()).toMatchObject({ pendingBatches: 1, droppedBatches: 2, droppedRecords: 11 });
    expect(spoolWithDrops.list().map((b) => b.firstSeq)).toEqual([11]);
    expect(spool.nextSeq).toBe(11); // the first handle was not used meanwhile
  });

  it('with nothing left to drop on a full disk, drops the new batch and counts it, never throws', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    writes.fail = (path) =>
      path.endsWith('.batch') ? Object.assign(new Error('quota'), { code: 'EDQUOT' }) : undefined;
    const batch = await spool.sealBatchDurably('inference', spoolRecords(4));
    expect(batch.firstSeq).toBe(0);
    expect(spool.stats()).toMatchObject({ pendingBatches: 0, droppedBatches: 1, droppedRecords: 4 });
    expect(counterOnDisk()).toBe(4); // the seqs stay used: the collector sees the gap it can count
  });

  it('after a write error other than a full disk, rejects this and every later seal', async () => {
    const spool = new Outbox(dir.path, DEVICE);
    writes.fail = (path) =>
      path.endsWith('.batch') ? Object.assign(new Error('i/o error'), { code: 'EIO' }) : undefined;
    const first = spool.sealBatchDurably('inference', spoolRecords(2));
    const later = spool.sealBatchDurably('inference', spoolRecords(2, 2));
    await expect(first).rejects.toMatchObject({ code: 'EIO' });
    writes.fail = undefined;
    await expect(later).rejects.toMatchObject({ code: 'EIO' });
    await expect(spool.sealBatchDurably('inference', spoolRecords(1, 4))).rejects.toMatchObject({
      code: 'EIO',
    });
    expect(spool.list()).toEqual([]);
    await spool.idle();
  });
});
