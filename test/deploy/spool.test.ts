// The write-ahead spool: what append() resolved is on disk and comes back after a crash (a new
// Spool on the same dir without close), commit() forgets it for good, a torn tail is cut, and a
// full spool makes append() wait instead of dropping.

import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolOptions } from '../../collector/sink/spool.js';
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

describe('write-ahead spool', () => {
  it('reads back after a crash everything appended and not committed, in order', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(lines(0, 3));
    await first.append(lines(3, 3));
    await first.append(lines(6, 4));
    const head = first.peek(6);
    expect(head?.lines).toEqual(lines(0, 6));
    await first.commit(head?.end ?? { segment: 0, offset: 0 });
    // No close(): the process "died" here.
    const second = await Spool.open(opts);
    expect(second.recoveredLines).toBe(4);
    expect(second.peek(100)?.lines).toEqual(lines(6, 4));
    await second.append(['after restart']);
    expect(second.peek(100)?.lines).toEqual([...lines(6, 4), 'after restart']);
    await second.close();
  });

  it('shares one write between appends made in the same turn', async () => {
    const spool = await Spool.open(options());
    await Promise.all([spool.append(['a']), spool.append(['b', 'c']), spool.append(['d'])]);
    expect(spool.peek(1)?.lines).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cuts a torn last line left by a crash in the middle of a write', async () => {
    const opts = options();
    const first = await Spool.open(opts);
    await first.append(['whole one', 'whole two']);
    const segment = readdirSync(opts.dir).find((n) => n.endsWith('.spool')) as string;
    appendFileSync(join(opts.dir, segment), 'half a li');
    const second = await Spool.open(opts);
    expect(second.peek(100)?.lines).toEqual(['whole one', 'whole two']);
  });

  it('rotates segments and deletes the ones fully committed', async () => {
    const opts = options({ segmentBytes: 200 });
    const spool = await Spool.open(opts);
    for (let i = 0; i < 20; i++) await spool.append(lines(i * 5, 5));
    expect(readdirSync(opts.dir).filter((n) => n.endsWith('.spool')).length).toBeGreaterThan(3);
    let batch = spool.peek(1000);
    let seen: string[] = [];
    while (batch !== undefined) {
      seen = seen.concat(batch.lines);
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
      all.push(...batch.lines);
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
    expect(spool.peek(10)?.lines).toEqual(['y'.repeat(50)]);
  });
});
