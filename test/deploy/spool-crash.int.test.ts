// The collector spool, the part that needs a real process: a process appending to it is killed
// with SIGKILL mid-stream (test/deploy/spool-writer.ts is that process). On reopen, every append
// that had resolved — and was not committed — is there, whole; a torn tail is cut, nothing is
// read back twice, and every entry read back still becomes line protocol.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Spool } from '../../collector/sink/spool.js';
import { readMessageEntry, renderEntries } from '../../collector/store/influx-entries.js';
import { killWhenReady } from '../support/killed-writer.js';
import { tempDir } from '../support/stack.js';

describe('collector spool, killed process', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('edgewatt-collector-spool-');
  });
  afterEach(() => dir.remove());

  it.each(['true', 'false'])(
    'keeps every resolved append across kill -9 in the middle of appending (fsync %s)',
    async (fsync) => {
      const out = await killWhenReady(
        'test/deploy/spool-writer.ts',
        [dir.path, fsync],
        (written) => (written.match(/^durable/gm)?.length ?? 0) >= 400,
      );
      const reported = (word: string) =>
        out
          .split('\n')
          .filter((line) => line.startsWith(`${word} `))
          .map((line) => Number(line.split(' ')[1]));
      const durable = reported('durable');
      const committedThrough = Math.max(-1, ...reported('committing'));

      const spool = await Spool.open({
        dir: dir.path,
        maxBytes: 1 << 30,
        segmentBytes: 32 * 1024,
        fsync: true,
      });
      const batch = spool.peek(Number.MAX_SAFE_INTEGER);
      const entries = batch?.entries ?? [];
      const recovered = entries.map((e) => Number(readMessageEntry(e.bytes)?.device.slice(1)));
      // Nothing read back twice, nothing that was never appended.
      expect(new Set(recovered).size).toBe(recovered.length);
      expect(recovered.every((i) => Number.isInteger(i) && i >= 0 && i < durable.length + 8)).toBe(true);
      // Every append that resolved after the last commit is there.
      const kept = new Set(recovered);
      const missing = durable.filter((i) => i > committedThrough && !kept.has(i));
      expect(missing).toEqual([]);
      expect(spool.recoveredLines).toBe(entries.reduce((sum, e) => sum + e.lines, 0));
      // Whole entries: each one still becomes its 20 points and 1 inference_io point.
      const rendered = renderEntries(entries);
      expect(rendered.refused).toEqual([]);
      expect(rendered.lines).toBe(entries.length * 21);
      await spool.close();
    },
    30_000,
  );
});
