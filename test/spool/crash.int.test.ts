// The spool contract, the part that needs a real process: every implementation registered in
// agent/publish/spools.ts keeps what it reported sealed, and never reuses a sequence number, when
// the process sealing into it is killed with SIGKILL (test/spool/spool-writer.ts is that process).

import { describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../../agent/publish/spool.js';
import { SPOOL_KINDS } from '../../agent/publish/spools.js';
import { decodeMessage } from '../../protocol/index.js';
import { killWhenReady, linesAtLeast, sealedLines } from '../support/killed-writer.js';
import { spoolPerTest } from '../support/spool-per-test.js';
import { spoolRecords } from './records.js';

const DEVICE = 'spool-dev';

describe.each(SPOOL_KINDS)('spool contract, killed process: %s', (kind) => {
  const { dirPath, open } = spoolPerTest(kind, DEVICE);

  it.each(['always', 'never'] as FsyncPolicy[])(
    'survives kill -9 in the middle of sealing (fsync %s): every sealed batch is there or acknowledged, no seq reused',
    async (fsync) => {
      const out = await killWhenReady(
        'test/spool/spool-writer.ts',
        [kind, dirPath(), fsync],
        linesAtLeast(300),
      );
      const lines = sealedLines(out);
      const last = lines[lines.length - 1];
      if (last === undefined) throw new Error('no batch was reported sealed');

      const spool = open();
      const pending = new Map(spool.list().map((batch) => [batch.firstSeq, batch.count]));
      // Every batch reported sealed and not acknowledged is still there, whole.
      for (const batch of lines.filter((line) => line.state === 'pending')) {
        expect(pending.get(batch.firstSeq), `batch ${batch.firstSeq}`).toBe(batch.count);
      }
      for (const { firstSeq, count } of spool.list()) {
        const decoded = decodeMessage(spool.load(firstSeq, count)?.payload ?? new Uint8Array());
        expect(decoded.ok, `batch ${firstSeq} decodes`).toBe(true);
      }
      // A seal that was under way when the process died may or may not have landed; either way
      // the next number is past everything that was reported or is on disk.
      expect(spool.nextSeq).toBeGreaterThanOrEqual(last.firstSeq + last.count);
      const onDisk = Math.max(...spool.list().map((batch) => batch.firstSeq + batch.count));
      expect(spool.nextSeq).toBeGreaterThanOrEqual(onDisk);
      expect(spool.seal(spoolRecords(1)).firstSeq).toBe(spool.nextSeq - 1);
    },
    30_000,
  );
});
