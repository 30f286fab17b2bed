// The write-ahead spool: what append() resolved is on disk and comes back after a crash (a new
// Spool on the same dir without close), commit() forgets it for good, a torn tail is cut, a
// damaged stretch is skipped without losing the frames after it, and a full spool makes append()
// wait instead of dropping. Entries are opaque bytes with a line weight: a chunk held in memory
// and the same chunk read back from disk give byte-identical entries.

import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolBatch, type SpoolEntry, type SpoolOptions } from '../../collector/sink/spool.js';
import { FRAME_HEADER_BYTES, scanFrames } from '../../collector/sink/spool-frames.js';
import { tempDir, waitFor } from '../support/stack.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function options(overrides: Partial<SpoolOptions> = {}): SpoolOptions {
  const dir = tempDir('edgewatt-spool-');
  dirs.push(dir);
  return { dir: dir.path, maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: true, ...overrides };
}

const entry = (text: string, lines = 1): SpoolEntry => ({ bytes: Buffer.from(text, 'utf8'), lines });
const entries = (from: number, n: number) => Array.from({ length: n }, (_, i) => entry(`entry ${from + i}`));
const texts = (from: number, n: number) => Array.from({ length: n }, (_, i) => `entry ${from + i}`);

/** The entries of a batch as text, checking that its line count is the sum of its entries' weights. */
function read(batch: SpoolBatch | undefined): string[] | undefined {
  if (batch === undefined) return undefined;
  expect(batch.lines).toBe(batch.entries.reduce((sum, e) => sum + e.lines, 0));
  return batch.entries.map((e) => Buffer.from(e.bytes).toString('utf8'));
}

const segmentOf = (dir: string) => join(dir, readdirSync(dir).find((n) => n.endsWith('.spool2')) as string);

describe('write-ahead spool', () => {
  it('reads back after a crash everything appended and not committed, in order', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(entries(0, 3));
    await first.append(entries(3, 3));
    await first.append(entries(6, 4));
    const head = first.peek(6);
    expect(read(head)).toEqual(texts(0, 6));
    await first.commit(head?.end ?? { segment: 0, offset: 0 });
    // No close(): the process "died" here.
    const second = await Spool.open(opts);
    expect(second.recoveredLines).toBe(4);
    expect(read(second.peek(100))).toEqual(texts(6, 4));
    await second.append([entry('after restart')]);
    expect(read(second.peek(100))).toEqual([...texts(6, 4), 'after restart']);
    await second.close();
  });

  it('counts lines by the weight of each entry, in batches, pending and after recovery', async () => {
    const opts = options();
    const spool = await Spool.open(opts);
    await spool.append([entry('fifty-one points', 51), entry('one point')]);
    await spool.append([entry('another fifty-one', 51)]);
    expect(spool.pendingLines).toBe(103);
    expect(spool.peek(60)?.lines).toBe(52);
    expect((await Spool.open(opts)).recoveredLines).toBe(103);
  });

  it('shares one write between appends made in the same turn', async () => {
    const spool = await Spool.open(options());
    await Promise.all([spool.append([entry('a')]), spool.append(entries(0, 2)), spool.append([entry('d')])]);
    expect(read(spool.peek(1))).toEqual(['a', 'entry 0', 'entry 1', 'd']);
  });

  it('writes each entry as its bytes plus a 12-byte frame header, binary content intact', async () => {
    const opts = options();
    const spool = await Spool.open(opts);
    // Binary like a CBOR payload: newlines, NULs and every byte value inside an entry.
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await spool.append([{ bytes: binary, lines: 3 }, entry('\n\n\0')]);
    expect(statSync(segmentOf(opts.dir)).size).toBe(256 + 3 + 2 * FRAME_HEADER_BYTES);
    const back = (await Spool.open(opts)).peek(100);
    expect(Buffer.from(back?.entries[0]?.bytes ?? []).equals(binary)).toBe(true);
    expect(read(back)?.[1]).toBe('\n\n\0');
  });

  it('cuts a torn last frame left by a crash in the middle of a write', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append([entry('whole one'), entry('whole two')]);
    const segment = segmentOf(opts.dir);
    const whole = statSync(segment).size;
    // The first 20 bytes of a frame: its header and part of its body.
    const torn = Buffer.alloc(FRAME_HEADER_BYTES + 30);
    torn.writeUInt32LE(30, 0);
    torn.writeUInt32LE(1, 4);
    appendFileSync(segment, torn.subarray(0, 20));
    const second = await Spool.open(opts);
    expect(read(second.peek(100))).toEqual(['whole one', 'whole two']);
    expect(second.recoveredLines).toBe(2);
    expect(statSync(segment).size).toBe(whole);
  });

  it('cuts a tail of zeros (a power cut after the file grew, before its data landed)', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append([entry('kept')]);
    appendFileSync(segmentOf(opts.dir), Buffer.alloc(4096));
    const second = await Spool.open(opts);
    expect(read(second.peek(100))).toEqual(['kept']);
    expect(second.recoveredLines).toBe(1);
  });

  it('skips a damaged stretch between whole frames and keeps the frames after it', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append([entry('before')]);
    await first.append([entry('damaged')]);
    await first.append([entry('after', 2)]);
    const segment = segmentOf(opts.dir);
    const data = readFileSync(segment);
    // Flip a byte in the middle frame's body: its CRC no longer matches.
    const middle = data.indexOf('damaged');
    data[middle] = 0x44;
    writeFileSync(segment, data);
    const second = await Spool.open(opts);
    expect(read(second.peek(100))).toEqual(['before', 'after']);
    expect(second.recoveredLines).toBe(3);
    const scan = scanFrames(data);
    expect(scan.skipped).toBe(FRAME_HEADER_BYTES + 'damaged'.length);
  });

  it('rotates segments and deletes the ones fully committed', async () => {
    const opts = options({ segmentBytes: 200 });
    const spool = await Spool.open(opts);
    for (let i = 0; i < 20; i++) await spool.append(entries(i * 5, 5));
    expect(readdirSync(opts.dir).filter((n) => n.endsWith('.spool2')).length).toBeGreaterThan(3);
    let batch = spool.peek(1000);
    let seen: string[] = [];
    while (batch !== undefined) {
      seen = seen.concat(read(batch) ?? []);
      await spool.commit(batch.end);
      batch = spool.peek(1000);
    }
    expect(seen).toEqual(texts(0, 100));
    expect(readdirSync(opts.dir).filter((n) => n.endsWith('.spool2')).length).toBeLessThanOrEqual(1);
    expect((await Spool.open(opts)).recoveredLines).toBe(0);
  });

  it('keeps only the newest entries in memory and reads older ones back from disk, equal', async () => {
    const spool = await Spool.open(options({ memoryBytes: 100 }));
    for (let i = 0; i < 10; i++) await spool.append(entries(i * 3, 3));
    expect(spool.memoryBytes).toBeLessThanOrEqual(100);
    expect(spool.memoryBytes).toBeGreaterThan(0);
    const all: string[] = [];
    for (let batch = spool.peek(4); batch !== undefined; batch = spool.peek(4)) {
      all.push(...(read(batch) ?? []));
      await spool.commit(batch.end);
    }
    expect(all).toEqual(texts(0, 30));
    expect(spool.memoryBytes).toBe(0);
  });

  it('makes append wait while the spool is full, and go on once a commit makes room', async () => {
    const spool = await Spool.open(options({ maxBytes: 100 }));
    await spool.append([entry('x'.repeat(70))]);
    let second = false;
    const pending = spool.append([entry('y'.repeat(50))]).then(() => {
      second = true;
    });
    await waitFor('the append to wait for room', () => spool.full);
    expect(second).toBe(false);
    expect(spool.pendingLines).toBe(1);
    const head = spool.peek(10);
    await spool.commit(head?.end ?? { segment: 0, offset: 0 });
    await pending;
    expect(second).toBe(true);
    expect(spool.full).toBe(false);
    expect(read(spool.peek(10))).toEqual(['y'.repeat(50)]);
  });

  it('gives byte-identical entries for a chunk held in memory and the same chunk read back from disk', async () => {
    const opts = options();
    const mixed = [
      entry('ünïcode', 2),
      { bytes: Buffer.from([0xd9, 0xd9, 0xf7, 0x0a, 0x00]), lines: 51 },
      ...entries(0, 40),
    ];
    const memory = await Spool.open(opts);
    await Promise.all([memory.append(mixed.slice(0, 2)), memory.append(mixed.slice(2))]);
    await memory.append([entry('the last one')]);
    expect(memory.memoryBytes).toBeGreaterThan(0);
    const fromMemory = memory.peek(1000);
    // No close(): a new spool on the same dir reads everything back from the segment file.
    const disk = await Spool.open(opts);
    expect(disk.memoryBytes).toBe(0);
    const fromDisk = disk.peek(1000);
    const bytes = (batch: SpoolBatch | undefined) =>
      (batch?.entries ?? []).map((e) => Buffer.from(e.bytes).toString('hex'));
    expect(bytes(fromDisk)).toEqual(bytes(fromMemory));
    expect(fromDisk?.lines).toBe(2 + 51 + 40 + 1);
    expect(fromMemory?.lines).toBe(2 + 51 + 40 + 1);
    // And a spool that keeps nothing in memory reads the same bytes back.
    const noMemory = await Spool.open(options({ memoryBytes: 0 }));
    await noMemory.append(mixed);
    await noMemory.append([entry('the last one')]);
    expect(noMemory.memoryBytes).toBe(0);
    expect(bytes(noMemory.peek(1000))).toEqual(bytes(fromMemory));
  });

  it('keeps the memo of an entry with it in memory, up to memoBytes, and never on disk', async () => {
    const opts = options({ memoBytes: 500 });
    const spool = await Spool.open(opts);
    const memo = { decoded: 'once' };
    await spool.append([{ ...entry('first', 3), memo, memoBytes: 300 }]);
    // Past the cap (300 + 300 > 500 bytes): kept without its memo, bytes as ever.
    await spool.append([{ ...entry('second', 3), memo, memoBytes: 300 }]);
    const batch = spool.peek(100);
    expect(read(batch)).toEqual(['first', 'second']);
    expect(batch?.entries.map((e) => e.memo)).toEqual([memo, undefined]);
    // Committed, the first makes room for a memo again.
    const [first] = spool.peekBatches(3, 1);
    await spool.commit(first?.end ?? { segment: 0, offset: 0 });
    await spool.append([{ ...entry('third', 2), memo, memoBytes: 200 }]);
    expect(spool.peek(100)?.entries.map((e) => e.memo)).toEqual([undefined, memo]);
    // Read back from disk (a new spool on the same dir): the bytes, no memo.
    const disk = await Spool.open(opts);
    const back = disk.peek(100);
    expect(read(back)).toEqual(['second', 'third']);
    expect(back?.entries.map((e) => e.memo)).toEqual([undefined, undefined]);
  });

  it('refuses an entry that cannot be framed, and only its own round', async () => {
    const opts = options();
    const spool = await Spool.open(opts);
    await spool.append([entry('one')]);
    await expect(spool.append([{ bytes: Buffer.from('bad'), lines: 0 }])).rejects.toThrow(/lines/);
    await spool.append([entry('two')]);
    expect(read((await Spool.open(opts)).peek(100))).toEqual(['one', 'two']);
  });

  it('after a write that failed halfway, starts a new segment so later entries are read back whole', async () => {
    // Nothing kept in memory: every batch is read from disk at the offsets the spool recorded.
    const opts = options({ memoryBytes: 0 });
    const spool = await Spool.open(opts);
    await spool.append([entry('one')]);
    // The segment's file handle writes part of the next round, then fails (a full disk, say).
    const handle = (
      spool as unknown as { handle: { write: (b: Buffer, o: number, n: number) => Promise<unknown> } }
    ).handle;
    const write = handle.write.bind(handle);
    handle.write = async (buffer, offset) => {
      await write(buffer, offset, 7);
      throw new Error('ENOSPC: no space left on device');
    };
    await expect(spool.append([entry('lost, never acknowledged')])).rejects.toThrow(/ENOSPC/);
    await spool.append([entry('two')]);
    await spool.append([entry('three')]);
    expect(read(spool.peek(100))).toEqual(['one', 'two', 'three']);
    expect(read((await Spool.open(opts)).peek(100))).toEqual(['one', 'two', 'three']);
  });

  it('ignores files of the previous format (spool-v1.ts reads those)', async () => {
    const opts = options();
    writeFileSync(join(opts.dir, '0000000001.spool'), 'inference,device=a seq=1i 1\n');
    writeFileSync(join(opts.dir, 'checkpoint.json'), JSON.stringify({ segment: 1, offset: 0 }));
    const spool = await Spool.open(opts);
    expect(spool.recoveredLines).toBe(0);
    await spool.append([entry('new')]);
    expect(read((await Spool.open(opts)).peek(100))).toEqual(['new']);
  });
});
