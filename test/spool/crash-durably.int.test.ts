// kill -9 of a process whose seals are in flight off the event loop (sealBatchDurably, several at
// once): every batch reported sealed is on disk whole or was acknowledged, the counter is past
// everything reported or on disk, and no seq is reused (test/spool/spool-writer-durably.ts).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Outbox } from '../../agent/publish/outbox.js';
import type { FsyncPolicy } from '../../agent/publish/spool.js';
import { decodeMessage } from '../../protocol/index.js';
import { killWhenReady, linesAtLeast, sealedLines } from '../support/killed-writer.js';
import { tempDir } from '../support/stack.js';

describe('file spool, seals in flight off the event loop, killed process', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('edgewatt-spool-durably-');
  });
  afterEach(() => dir.remove());

  it.each(['always', 'never'] as FsyncPolicy[])(
    'keeps every batch reported sealed and reuses no seq (fsync %s)',
    async (fsync) => {
      const out = await killWhenReady(
        'test/spool/spool-writer-durably.ts',
        [dir.path, fsync],
        linesAtLeast(300),
      );
      const lines = sealedLines(out);
      expect(lines.length).toBeGreaterThanOrEqual(300);
      // Resolved in the order they were numbered: the seals land in call order.
      const firsts = lines.map((line) => line.firstSeq);
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b));

      const spool = new Outbox(dir.path, 'kill-me');
      const pending = new Map(spool.list().map((batch) => [batch.firstSeq, batch.count]));
      for (const batch of lines.filter((line) => line.state === 'pending')) {
        expect(pending.get(batch.firstSeq), `batch ${batch.firstSeq}`).toBe(batch.count);
      }
      for (const { firstSeq, count } of spool.list()) {
        const decoded = decodeMessage(spool.load(firstSeq, count)?.payload ?? new Uint8Array());
        expect(decoded.ok, `batch ${firstSeq} decodes`).toBe(true);
      }
      const reported = Math.max(...lines.map((line) => line.firstSeq + line.count));
      const onDisk = Math.max(0, ...spool.list().map((batch) => batch.firstSeq + batch.count));
      expect(spool.nextSeq).toBeGreaterThanOrEqual(Math.max(reported, onDisk));
      // Batches on disk never overlap: no seq was handed out twice.
      const batches = spool.list();
      for (let i = 1; i < batches.length; i++) {
        const before = batches[i - 1];
        const batch = batches[i];
        if (before === undefined || batch === undefined) continue;
        expect(batch.firstSeq).toBeGreaterThanOrEqual(before.firstSeq + before.count);
      }
    },
    30_000,
  );
});
