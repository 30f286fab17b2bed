// The deployment journal's writes: durable before they resolve (a new store reading the file, as
// after kill -9, sees each change), made in call order, off the event loop (the agent serves while
// a transition is synced), and acknowledgements leave the outbox in memory at once and on disk
// with one write for those that arrive together.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOY_DIR, JOURNAL_FILE, JournalStore } from '../../agent/deploy/journal.js';

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

const stateDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatt-journal-'));
  dirs.push(dir);
  return dir;
};

const message = (deploymentId: string) => ({
  atUs: 1,
  deploymentId,
  modelId: 'a'.repeat(64),
  release: 1,
  state: 'downloading' as const,
  attempt: 1,
});

const onDisk = (dir: string) =>
  JSON.parse(readFileSync(join(dir, DEPLOY_DIR, JOURNAL_FILE), 'utf8')) as {
    nextSeq: number;
    finished: string[];
    outbox: { seq: number }[];
  };

describe('deployment journal', () => {
  it('lets the event loop run while a write is synced, and has it on disk when it resolves', async () => {
    const dir = stateDir();
    const journal = new JournalStore(dir);
    let turned = false;
    setImmediate(() => {
      turned = true;
    });
    // A synchronous write (writeFileSync + fsyncSync) would resolve before the loop turns.
    await journal.update((j) => {
      j.finished.push('d-1');
    });
    expect(turned).toBe(true);
    expect(new JournalStore(dir).journal.finished).toEqual(['d-1']);
  });

  it('changes the journal in memory only once the write is done', async () => {
    const journal = new JournalStore(stateDir());
    const written = journal.update((j) => {
      j.finished.push('d-1');
    });
    expect(journal.journal.finished).toEqual([]);
    await written;
    expect(journal.journal.finished).toEqual(['d-1']);
  });

  it('writes updates in call order, each applied to what the one before left', async () => {
    const dir = stateDir();
    const journal = new JournalStore(dir);
    const sent = await Promise.all(
      Array.from({ length: 20 }, (_, i) => journal.announce(message(`d-${i}`), 'pi-01')),
    );
    expect(sent.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const disk = onDisk(dir);
    expect(disk.nextSeq).toBe(20);
    expect(disk.outbox.map((m) => m.seq)).toEqual(sent.map((m) => m.seq));
  });

  it('drops acknowledged messages from memory at once and from disk with one write for a burst', async () => {
    const dir = stateDir();
    const journal = new JournalStore(dir);
    for (let i = 0; i < 5; i++) await journal.announce(message(`d-${i}`), 'pi-01');
    // Two acknowledgements while a transition is being written: neither may come back in memory.
    const announced = journal.announce(message('d-5'), 'pi-01');
    const acks = [journal.acknowledge(0), journal.acknowledge(1)];
    expect(journal.journal.outbox.map((m) => m.seq)).toEqual([2, 3, 4]);
    await announced;
    expect(journal.journal.outbox.map((m) => m.seq)).toEqual([2, 3, 4, 5]);
    acks.push(journal.acknowledge(2), journal.acknowledge(3), journal.acknowledge(3));
    await Promise.all(acks);
    expect(journal.journal.outbox.map((m) => m.seq)).toEqual([4, 5]);
    expect(onDisk(dir).outbox.map((m) => m.seq)).toEqual([4, 5]);
    // A restart before that write would have sent them again (the collector keeps (device, seq) once).
    expect(new JournalStore(dir).journal.outbox.map((m) => m.seq)).toEqual([4, 5]);
  });
});
