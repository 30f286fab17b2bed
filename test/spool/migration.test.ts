// Switching a device from the file spool to the SQLite spool loses nothing: unsent batches move
// into the database, and numbering continues after the file spool's counter.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import { SqliteSpool } from '../../agent/publish/sqlite-spool.js';
import { tempDir } from '../support/stack.js';
import { spoolRecords } from './records.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir('edgewatt-migrate-');
});
afterEach(() => dir.remove());

it('moves unsent file-spool batches into the SQLite spool and continues the numbering', () => {
  const files = new Outbox(dir.path, 'dev');
  const a = files.seal(spoolRecords(3));
  const b = files.seal(spoolRecords(4, 3));
  files.seal(spoolRecords(2, 7));
  files.acknowledge(a.firstSeq, a.count);
  const sqlite = new SqliteSpool(dir.path, 'dev');
  try {
    expect(sqlite.list()).toEqual([
      { firstSeq: 3, count: 4 },
      { firstSeq: 7, count: 2 },
    ]);
    expect(Buffer.from(sqlite.load(3, 4)?.payload ?? []).equals(Buffer.from(b.payload))).toBe(true);
    expect(sqlite.nextSeq).toBe(9);
    expect(readdirSync(join(dir.path, 'outbox')).filter((f) => f.endsWith('.batch'))).toEqual([]);
    expect(sqlite.seal(spoolRecords(1)).firstSeq).toBe(9);
  } finally {
    sqlite.close();
  }
  expect(existsSync(join(dir.path, 'spool.sqlite'))).toBe(true);
});
