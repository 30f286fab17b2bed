// The write-ahead spool: what append() resolved is on disk and comes back after a crash (a new
// Spool on the same dir without close), commit() forgets it for good, a torn tail is cut, and a
// full spool makes append() wait instead of dropping. Batches are the bytes on disk: a chunk held in
// memory and the same chunk read back from disk give byte-identical bodies.

import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolBatch, type SpoolOptions } from '../../collector/sink/spool.js';
import { tempDir } from '../support/stack.js';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.remove();
});

function options(overrides: Partial<SpoolOptions> = {}): SpoolOptions {
  const dir = tempDir('edgewatt-spool-');
  dirs.push(dir);
  return { dir: dir.path, maxBytes: 1 << 20, segmentBytes: 1 << 16, fsync: true, ...overrides };
}

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i}`);

/** The entries of a batch, checking that its body is newline-terminated entries and its count matches. */
function entries(batch: SpoolBatch | undefined): string[] | undefined {
  if (batch === undefined) return undefined;
  const text = batch.body.toString('utf8');
  expect(text.endsWith('\n')).toBe(true);
  const result = text.slice(0, -1).split('\n');
  expect(batch.lines).toBe(result.length);
  return result;
}

describe('write-ahead spool', () => {
  it('reads back after a crash everything appended and not committed, in order', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(lines(0, 3));
    await first.append(lines(3, 3));
    await first.append(lines(6, 4));
    const head = first.peek(6);
    expect(entries(head)).toEqual(lines(0, 6));
    await first.commit(head?.end ?? { segment: 0, offset: 0 });
    // No close(): the process "died" here.
    const second = await Spool.open(opts);
    expect(second.recoveredLines).toBe(4);
    expect(entries(second.peek(100))).toEqual(lines(6, 4));
    await second.append(['after restart']);
    expect(entries(second.peek(100))).toEqual([...lines(6, 4), 'after restart']);
    await second.close();
  });

  it('shares one write between appends made in the same turn', async () => {
    const spool = await Spool.open(options());
    await Promise.all([spool.append(['a']), spool.append(['b', 'c']), spool.append(['d'])]);
    expect(entries(spool.peek(1))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cuts a torn last line left by a crash in the middle of a write', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(['whole one', 'whole two']);
    const segment = readdirSync(opts.dir).find((n) => n.endsWith('.spool')) as string;
    appendFileSync(join(opts.dir, segment), 'half a li');
    const second = await Spool.open(opts);
    expect(entries(second.peek(100))).toEqual(['whole one', 'whole two']);
  });

  it('rotates segments and deletes the ones fully committed', async () => {
    const opts = options({ segmentBytes: 200 });
    const spool = await Spool.open(opts);
    for (let i = 0; i < 20; i++) await spool.append(lines(i * 5, 5));
    expect(readdirSync(opts.dir).filter((n) => n.endsWith('.spool')).length).toBeGreaterThan(3);
    let batch = spool.peek(1000);
    let seen: string[] = [];
    while (batch !== undefined) {
      seen = seen.concat(entries(batch) ?? []);
      await spool.commit(batch.end);
      batch = spool.peek(1000);
    }
    expect(seen).toEqual(lines(0, 100));
    expect(readdirSync(opts.dir).filter((n) => n.endsWith('.spool')).length).toBeLessThanOrEqual(1);
    expect((await Spool.open(opts)).recoveredLines).toBe(0);
  });

  it('keeps only the newest entries in memory and reads older ones back from disk, equal', async () => {
    const spool = await Spool.open(options({ memoryBytes: 60 }));
    for (let i = 0; i < 10; i++) await spool.append(lines(i * 3, 3));
    expect(spool.memoryBytes).toBeLessThanOrEqual(60);
    const all: string[] = [];
    for (let batch = spool.peek(4); batch !== undefined; batch = spool.peek(4)) {
      all.push(...(entries(batch) ?? []));
      await spool.commit(batch.end);
    }
    expect(all).toEqual(lines(0, 30));
    expect(spool.memoryBytes).toBe(0);
  });

  it('makes append wait while the spool is full, and go on once a commit makes room', async () => {
    const spool = await Spool.open(options({ maxBytes: 100 }));
    await spool.append(['x'.repeat(80)]);
    let second = false;
    const pending = spool.append(['y'.repeat(50)]).then(() => {
      second = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBe(false);
    expect(spool.pendingLines).toBe(1);
    const head = spool.peek(10);
    await spool.commit(head?.end ?? { segment: 0, offset: 0 });
    await pending;
    expect(second).toBe(true);
    expect(entries(spool.peek(10))).toEqual(['y'.repeat(50)]);
  });

  it('gives byte-identical bodies for a chunk held in memory and the same chunk read back from disk', async () => {
    const opts = options();
    const points = [
      'inference,device=dev\\ 1,model=µnet energy_nj=1234i,duration_us=1500i 1763700000000000000',
      'inference,device=dev-2 label="a \\"quoted\\" value" 1763700000100000000',
      ...lines(0, 40),
    ];
    const memory = await Spool.open(opts);
    await Promise.all([memory.append(points.slice(0, 2)), memory.append(points.slice(2))]);
    await memory.append(['the last one, ünïcode']);
    expect(memory.memoryBytes).toBeGreaterThan(0);
    const fromMemory = memory.peek(1000);
    // No close(): a new spool on the same dir reads everything back from the segment file.
    const disk = await Spool.open(opts);
    expect(disk.memoryBytes).toBe(0);
    const fromDisk = disk.peek(1000);
    expect(fromDisk?.body.equals(fromMemory?.body ?? Buffer.alloc(0))).toBe(true);
    expect(fromDisk?.lines).toBe(points.length + 1);
    expect(fromMemory?.lines).toBe(points.length + 1);
    expect(entries(fromDisk)).toEqual([...points, 'the last one, ünïcode']);
    // And a spool that keeps nothing in memory reads the same bytes back.
    const noMemory = await Spool.open(options({ memoryBytes: 0 }));
    await noMemory.append(points);
    await noMemory.append(['the last one, ünïcode']);
    expect(noMemory.memoryBytes).toBe(0);
    expect(noMemory.peek(1000)?.body.equals(fromMemory?.body ?? Buffer.alloc(0))).toBe(true);
  });

  it('skips empty lines and lines holding NUL (a torn write) in chunks read back from disk', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(['one', 'two']);
    const segment = readdirSync(opts.dir).find((n) => n.endsWith('.spool')) as string;
    appendFileSync(join(opts.dir, segment), 'torn\0\0\0\n\nthree\n');
    const second = await Spool.open(opts);
    const batch = second.peek(100);
    expect(batch?.body.toString('utf8')).toBe('one\ntwo\nthree\n');
    expect(batch?.lines).toBe(3);
    await second.commit(batch?.end ?? { segment: 0, offset: 0 });
    expect(second.pendingLines).toBe(0);
    // A segment with nothing usable gives an empty batch, which still commits past it.
    writeFileSync(join(opts.dir, '0000000099.spool'), '\0\0\n\n');
    const third = await Spool.open(opts);
    const empty = third.peek(100);
    expect(empty?.lines).toBe(0);
    expect(empty?.body.length).toBe(0);
  });
});
