// Issue 12 item 8: a batch damaged on disk is detected by the digest in its file name, removed,
// counted and never sent; files of the older format (no digest) are still read, and checked by
// decoding them; temp files left by interrupted writes are swept at start.

import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { tempDir } from '../support/stack.js';
import { spoolRecords } from './records.js';

const DEVICE = 'spool-dev';
let dir: ReturnType<typeof tempDir>;
const outboxDir = () => join(dir.path, 'outbox');
const files = () => readdirSync(outboxDir()).sort();

beforeEach(() => {
  dir = tempDir('edgewatt-corrupt-');
});
afterEach(() => dir.remove());

/** Flips one byte in the middle of the only batch file whose name starts with the seq. */
function damage(firstSeq: number): void {
  const file = files().find((name) => name.startsWith(String(firstSeq).padStart(16, '0')));
  if (file === undefined) throw new Error(`no batch file for ${firstSeq}`);
  const bytes = readFileSync(join(outboxDir(), file));
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
  writeFileSync(join(outboxDir(), file), bytes);
}

describe('file spool: damaged batches', () => {
  it('does not hand out a batch whose bytes changed on disk; counts it and removes it', () => {
    const spool = new Outbox(dir.path, DEVICE);
    const good = spool.seal(spoolRecords(5));
    const bad = spool.seal(spoolRecords(7, 5));
    damage(bad.firstSeq);
    const reopened = new Outbox(dir.path, DEVICE);
    expect(reopened.load(bad.firstSeq, bad.count)).toBeUndefined();
    expect(
      Buffer.from(reopened.load(good.firstSeq, good.count)?.payload ?? []).equals(Buffer.from(good.payload)),
    ).toBe(true);
    expect(reopened.stats()).toMatchObject({ corruptBatches: 1, corruptRecords: 7, pendingBatches: 1 });
    expect(reopened.list().map((batch) => batch.firstSeq)).toEqual([0]);
    expect(files()).toHaveLength(1);
    // Counted across restarts, and the seqs of the lost batch are not reused.
    const again = new Outbox(dir.path, DEVICE);
    expect(again.stats()).toMatchObject({ corruptBatches: 1, corruptRecords: 7 });
    expect(again.nextSeq).toBe(12);
  });

  it('reads a batch file of the older format (no digest in its name) and sends it', () => {
    const sealed = new Outbox(dir.path, DEVICE).seal(spoolRecords(3));
    const [file] = files();
    renameSync(join(outboxDir(), file ?? ''), join(outboxDir(), '0000000000000000-3.batch'));
    const reopened = new Outbox(dir.path, DEVICE);
    expect(reopened.list()).toMatchObject([{ firstSeq: 0, count: 3 }]);
    expect(Buffer.from(reopened.load(0, 3)?.payload ?? []).equals(Buffer.from(sealed.payload))).toBe(true);
    expect(reopened.stats()).toMatchObject({ corruptBatches: 0 });
  });

  it.each([
    ['truncated', (bytes: Buffer) => bytes.subarray(0, bytes.length - 9)],
    ['empty', () => Buffer.alloc(0)],
  ])('counts an older-format batch file that is %s as corrupt', (_what, cut) => {
    new Outbox(dir.path, DEVICE).seal(spoolRecords(4));
    const [file] = files();
    const bytes = readFileSync(join(outboxDir(), file ?? ''));
    writeFileSync(join(outboxDir(), '0000000000000000-4.batch'), cut(bytes));
    renameSync(join(outboxDir(), file ?? ''), join(dir.path, 'moved-away'));
    const reopened = new Outbox(dir.path, DEVICE);
    expect(reopened.load(0, 4)).toBeUndefined();
    expect(reopened.stats()).toMatchObject({ corruptBatches: 1, corruptRecords: 4, pendingBatches: 0 });
  });

  it('removes the temp files of interrupted writes at start', () => {
    new Outbox(dir.path, DEVICE).seal(spoolRecords(2));
    writeFileSync(join(outboxDir(), '0000000000000002-3-00000000000000ab.batch.1a2b3c4d.tmp'), '');
    writeFileSync(join(dir.path, 'seq.json.5e6f7a8b.tmp'), '');
    new Outbox(dir.path, DEVICE);
    expect(files().filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readdirSync(dir.path).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
