// A full disk for real (a 256 KiB tmpfs, issue 12 item 8): a short write must not be saved as a
// complete file, a failed write leaves no temp file, and the agent's spool drops its oldest
// batches and counts them instead of crashing.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { writeFileAtomicSync } from '../../common/files.js';
import { mountTmpfs, type Tmpfs, tmpfsRequirement } from '../support/tmpfs.js';
import { describeIf } from '../support/tools.js';

let disk: Tmpfs | undefined;

beforeAll(() => {
  if (tmpfsRequirement().met) disk = mountTmpfs(256 * 1024);
});
afterAll(() => disk?.unmount());

const root = () => disk?.path ?? '';
const entries = (dir = root()) => readdirSync(dir).sort();

describeIf(tmpfsRequirement(), 'writeFileAtomicSync on a full disk (real tmpfs)', () => {
  beforeEach(() => {
    for (const file of entries()) writeFileSync(join(root(), file), ''); // empty, then removed below
  });

  it('throws ENOSPC on a short write, keeps the old content and leaves no temp file', () => {
    const target = join(root(), 'batch-a');
    writeFileAtomicSync(target, Buffer.alloc(1000, 1));
    disk?.fill(8 * 1024, 'filler-a');
    const big = Buffer.alloc(40 * 1024, 2); // more than is free: the first write is short
    expect(() => writeFileAtomicSync(target, big)).toThrow(/ENOSPC/);
    expect(readFileSync(target)).toEqual(Buffer.alloc(1000, 1));
    expect(entries().filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });
});
