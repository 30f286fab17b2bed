// Sends ground-truth feedback for answered records as `feedback` messages under the seq the record
// is stored under: feedback for a record not durable yet waits for its seal (a seq lost in a crash
// is reused), and an answer whose record was renumbered by the collector's counter is translated.

import { logger } from '../../common/logger.js';
import { buildTopic, type Encoding, encodeMessage, PROTOCOL_VERSION } from '../../protocol/index.js';
import { SeqAliases } from '../serve/answers.js';
import type { Publisher } from './publisher.js';

// The agent's own log lines, as they were before this moved here.
const log = logger('agent');

/** Feedback for a record not sealed yet: published with the seq the record is sealed under. */
export interface HeldFeedback {
  label: number;
  correct: boolean;
  atUs: number;
}

/** A sealed record as feedback sees it: the seq its answer gave, and the feedback held for it. */
interface SettledRecord {
  givenSeq: number;
  feedback?: HeldFeedback[];
}

export class FeedbackSender {
  /**
   * Answers' seqs that were sealed under another seq (the collector's answer raised the counter
   * while they waited, docs/reliability.md): given → stored, so that feedback names the record.
   */
  private readonly renumbered = new SeqAliases();

  constructor(
    private readonly publisher: Pick<Publisher, 'publishSide'>,
    private readonly address: { fleet: string; device: string; encoding: Encoding },
    /** Holds feedback on a record that is not durable yet; false when there is no such record. */
    private readonly holdUntilSealed: (givenSeq: number, feedback: HeldFeedback) => boolean,
  ) {}

  /** Feedback for the answer `givenSeq`: sent now, or once its record is durable. */
  send(givenSeq: number, feedback: HeldFeedback): void {
    // Not sealed yet: its stored seq is known once it is (the collector may still raise the counter).
    if (!this.holdUntilSealed(givenSeq, feedback))
      this.publish(this.renumbered.get(givenSeq) ?? givenSeq, feedback);
  }

  /**
   * After a run is sealed from `firstSeq`: remembers the answers whose seq moved (the counter was
   * raised under them by the collector's cmd/seq answer) and sends the feedback held for them.
   */
  settle(run: readonly SettledRecord[], firstSeq: number): void {
    const moved = firstSeq - (run[0]?.givenSeq ?? firstSeq);
    run.forEach((entry, index) => {
      const stored = firstSeq + index;
      if (stored !== entry.givenSeq) this.renumbered.set(entry.givenSeq, stored);
      for (const held of entry.feedback ?? []) this.publish(stored, held);
    });
    if (moved !== 0)
      log.warn(
        { answered: run[0]?.givenSeq, stored: firstSeq, count: run.length },
        'records answered while the collector was asked for our seqs are stored under higher seqs; feedback with the answered seq is translated',
      );
  }

  /** Sends a `feedback` message for the record stored under `seq`. */
  private publish(seq: number, feedback: HeldFeedback): void {
    const { fleet, device, encoding } = this.address;
    const message = {
      v: PROTOCOL_VERSION,
      type: 'feedback',
      device,
      seq,
      label: feedback.label,
      correct: feedback.correct,
      atUs: feedback.atUs,
    } as const;
    this.publisher.publishSide(
      buildTopic({ fleet, device, kind: 'feedback' }),
      encodeMessage(message, encoding),
    );
  }
}
