// The answers the agent gave, by record seq, so that a label arriving later (feedback) can be
// judged right or wrong on the device, which alone knows its answer. Bounded: the newest
// MAX_ANSWERS are kept; feedback for an older seq is refused as unknown.

import { EdgewattError } from '../../common/errors.js';

export const MAX_ANSWERS = 100_000;

export class UnknownRecordError extends EdgewattError {
  override readonly name = 'UnknownRecordError';
}

export class AnswerMemory {
  private readonly answers = new Map<number, number>();

  remember(seq: number, predictedClass: number): void {
    this.answers.set(seq, predictedClass);
    if (this.answers.size > MAX_ANSWERS) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
  }

  /** Whether the answer of `seq` was `label`; throws UnknownRecordError for a seq not (or no longer) known. */
  judge(seq: number, label: number): boolean {
    const predicted = this.answers.get(seq);
    if (predicted === undefined)
      throw new UnknownRecordError(`no answer with seq ${seq} is known to this agent`, {
        hint: `feedback is accepted for the last ${MAX_ANSWERS} answers of this agent process`,
      });
    return predicted === label;
  }
}

/**
 * Seqs given in answers that were sealed under another seq (given → stored), bounded like the
 * answers: only records that waited for the collector's cmd/seq answer are ever here.
 */
export class SeqAliases {
  private readonly stored = new Map<number, number>();

  set(given: number, stored: number): void {
    this.stored.set(given, stored);
    if (this.stored.size > MAX_ANSWERS) {
      const oldest = this.stored.keys().next().value;
      if (oldest !== undefined) this.stored.delete(oldest);
    }
  }

  get(given: number): number | undefined {
    return this.stored.get(given);
  }
}
