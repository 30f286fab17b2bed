// SeqRecovery (issue 12 item 7): a spool without a counter waits for the collector's answer to
// this birth, at most timeoutMs (fake clock, both sides of the deadline); any answer only ever
// raises the counter; an answer to an older birth (retained) raises it without ending the wait.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SeqRecovery } from '../../agent/publish/seq-recovery.js';
import { openSpool } from '../../agent/publish/spools.js';
import { encodeSeqAnswer } from '../../protocol/index.js';
import { spoolRecords } from '../spool/records.js';
import { tempDir } from '../support/stack.js';

const address = { fleet: 'lab', device: 'd1' };
const answer = (birth: number, highestSeq: number | null, device = 'd1') =>
  encodeSeqAnswer({ v: 1, device, birth, highestSeq });

describe('SeqRecovery', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('edgewatt-seq-recovery-');
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    dir.remove();
  });

  it('is settled at once when the spool found its counter', () => {
    const spool = openSpool('file', dir.path, 'd1', 'cbor');
    spool.seal(spoolRecords(3));
    const recovery = new SeqRecovery(openSpool('file', dir.path, 'd1', 'cbor'), address);
    expect(recovery.stats.settledBy).toBe('counter');
    expect(recovery.topic).toBe('edgewatt/v1/lab/d1/cmd/seq');
  });

  it('continues after the highest stored seq once the answer to this birth arrives', () => {
    const spool = openSpool('file', dir.path, 'd1', 'cbor');
    const recovery = new SeqRecovery(spool, address, 5_000);
    expect(recovery.isSettled).toBe(false);
    recovery.onAnswer(answer(6, 99), 7); // retained, of an older birth: raises, keeps waiting
    expect(spool.nextSeq).toBe(100);
    expect(recovery.isSettled).toBe(false);
    recovery.onAnswer(answer(7, 159, 'other'), 7); // another device's: ignored
    expect(recovery.isSettled).toBe(false);
    recovery.onAnswer(answer(7, 159), 7);
    expect(spool.nextSeq).toBe(160);
    expect(recovery.stats).toMatchObject({ settledBy: 'answer', answers: 2, advancedBy: 160 });
    recovery.onAnswer(answer(8, 10), 8); // never lowers
    expect(spool.nextSeq).toBe(160);
    recovery.close();
  });

  it('ends the wait at timeoutMs without an answer, not before', async () => {
    const spool = openSpool('sqlite', dir.path, 'd1', 'cbor');
    const recovery = new SeqRecovery(spool, address, 5_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(recovery.isSettled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(recovery.stats.settledBy).toBe('timeout');
    await expect(recovery.settled).resolves.toBeUndefined();
    // A null answer (the collector knows nothing) ends the wait too, and changes nothing.
    const other = new SeqRecovery(openSpool('file', `${dir.path}/b`, 'd1', 'cbor'), address, 5_000);
    other.onAnswer(answer(1, null), 1);
    expect(other.stats.settledBy).toBe('answer');
    spool.close();
  });
});
