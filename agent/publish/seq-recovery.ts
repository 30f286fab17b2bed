// Recovering the sequence counter from the collector (issue 12 item 7). The spool numbers from the
// highest of its counter, the counter's backup and its pending batches; when it found none of them
// (a new device, or one whose state directory was lost) it cannot tell "new" from "lost", so the
// publisher asks: it subscribes to its `cmd/seq` with its birth, and the collector answers that
// birth with the highest seq it stored for the device. Sealing waits for the answer
// to this birth, at most `timeoutMs` from the start (broker unreachable, no collector answering, an
// older collector): then the spool's own number stands. Any answer, also a retained one of an
// older birth or a later one, only ever raises the counter.

import { logger } from '../../common/logger.js';
import { buildTopic, decodeSeqAnswer, SEQ_COMMAND } from '../../protocol/index.js';
import type { Spool } from './spool.js';

const log = logger('agent.seq');

/** How long from the start sealing waits for the collector's answer. */
export const DEFAULT_SEQ_ANSWER_TIMEOUT_MS = 5_000;

export interface SeqRecoveryStats {
  /** Answers received (retained ones included). */
  answers: number;
  /** Seqs skipped because the collector had stored them: what would have been dropped as duplicates. */
  advancedBy: number;
  /** How sealing was released: the counter was on disk, the collector answered, or the wait ran out. */
  settledBy?: 'counter' | 'answer' | 'timeout' | 'stop';
}

export class SeqRecovery {
  readonly topic: string;
  readonly stats: SeqRecoveryStats = { answers: 0, advancedBy: 0 };
  /** Resolves once sealing may go on. */
  readonly settled: Promise<void>;
  private release: () => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spool: Spool,
    private readonly address: { fleet: string; device: string },
    timeoutMs = DEFAULT_SEQ_ANSWER_TIMEOUT_MS,
  ) {
    this.topic = buildTopic({ ...address, kind: 'cmd', command: SEQ_COMMAND });
    this.settled = new Promise((resolve) => {
      this.release = resolve;
    });
    if (spool.counterFound) {
      this.settle('counter');
      return;
    }
    // Info, not a warning: every new device starts so.
    log.info(
      { nextSeq: spool.nextSeq, waitMs: timeoutMs },
      'no sequence counter and no pending batch in the state directory: waiting for the collector to say which seqs it has',
    );
    this.timer = setTimeout(() => this.settle('timeout'), timeoutMs);
  }

  get isSettled(): boolean {
    return this.stats.settledBy !== undefined;
  }

  settle(by: NonNullable<SeqRecoveryStats['settledBy']>): void {
    if (this.isSettled) return;
    clearTimeout(this.timer);
    this.stats.settledBy = by;
    if (by === 'timeout')
      log.warn(
        { nextSeq: this.spool.nextSeq },
        'no answer from a collector about our seqs; numbering from the spool (if the counter was lost, the collector drops reused seqs as duplicates and flags the device)',
      );
    this.release();
  }

  /** A message on our cmd/seq: raise the counter past what is stored; the answer to `birth` releases sealing. */
  onAnswer(payload: Uint8Array, birth: number): void {
    const decoded = decodeSeqAnswer(payload);
    if (!decoded.ok || decoded.value.device !== this.address.device) {
      log.warn({ err: decoded.ok ? 'another device' : decoded.error.message }, 'seq answer ignored');
      return;
    }
    const answer = decoded.value;
    this.stats.answers++;
    const before = this.spool.nextSeq;
    if (answer.highestSeq !== null && this.spool.advanceTo(answer.highestSeq + 1)) {
      this.stats.advancedBy += this.spool.nextSeq - before;
      log.warn(
        { from: before, to: this.spool.nextSeq, highestStored: answer.highestSeq },
        'the collector has stored seqs at or above ours (counter lost?): numbering continues after them',
      );
    }
    // The answer to this very birth, live or retained (our subscription may come after it).
    if (answer.birth === birth) this.settle('answer');
  }

  /** The publisher stops: nothing more will answer, so whoever waits goes on. */
  close(): void {
    this.settle('stop');
  }
}
