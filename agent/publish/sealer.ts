// Holds the agent's records of both kinds until they are sealed into the spool: numbers them from
// the spool's one seq counter, lets the spool write them off the event loop, and offers each batch
// to the broker once it is durable. At most one seal runs at a time; a failed one stops all seals.

import { logger } from '../../common/logger.js';
import type { InferenceRecord } from '../../protocol/index.js';
import type { OffloadRecordDraft } from '../offload/record.js';
import type { HeldFeedback } from './feedback-sender.js';
import type { UnsequencedRecord } from './outbox.js';
import type { Publisher } from './publisher.js';
import type { Spool } from './spool.js';

// The agent's own log lines, as they were before sealing moved here.
const log = logger('agent');

/** Batches held in memory at most while the counter is recovered from the collector (seq-recovery.ts). */
export const SEQ_WAIT_MAX_BATCHES = 20;

/** A record to seal, of either kind. */
export type HeldRecord =
  | { kind: 'inference'; record: UnsequencedRecord }
  | { kind: 'offload'; record: OffloadRecordDraft };

/**
 * A record waiting to be sealed, with the seq its answer gave (the seq it is expected to be sealed
 * under: a counter raised by the collector meanwhile moves it; see seal()).
 */
export type PendingRecord = HeldRecord & { givenSeq: number; feedback?: HeldFeedback[] };

export class Sealer {
  /** Records of both kinds in seq order: they share the device's one seq space. */
  private pending: PendingRecord[] = [];
  /** The seal under way (at most one; it never rejects), and whether another is due after it. */
  private sealing: Promise<void> | undefined;
  private sealAgain: { force: boolean } | undefined;
  /** Set by kill(): a seal landing afterwards is left on disk (sent at the next start), not offered. */
  private killed = false;
  /** Runs numbered and being written (sealHeld): feedback for them waits until they are durable. */
  private readonly sealingRuns = new Set<PendingRecord[]>();
  /** Set when a seal failed other than on a full disk: no seal is tried again. */
  private broken = false;
  /** Rejects when a seal failed other than on a full disk (the agent's finished() reports it). */
  readonly failure: Promise<never>;
  private fail: (error: unknown) => void = () => undefined;
  private readonly batchListeners: ((records: readonly InferenceRecord[]) => void)[] = [];
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: Spool,
    private readonly publisher: Pick<Publisher, 'enqueue' | 'seq'>,
    private readonly batchMax: number,
    /** Called when a run is durable from `firstSeq` (not after kill()): its held feedback can go. */
    private readonly onDurable: (run: readonly PendingRecord[], firstSeq: number) => void,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failure.catch(() => undefined); // logged where it happens; finished() reports it
  }

  /** Seals every `flushMs`, and as soon as the collector answered about seqs. */
  startFlushing(flushMs: number): void {
    this.flushTimer = setInterval(() => this.seal(), flushMs);
    void this.publisher.seq.settled.then(() => this.seal());
  }

  stopFlushing(): void {
    clearInterval(this.flushTimer);
  }

  /** The seq the next held record will be sealed under (unless the collector raises the counter). */
  get nextSeq(): number {
    return this.outbox.nextSeq + this.pending.length;
  }

  /**
   * Queues a record for the next batch (sealing when a batch is full); returns the seq it will be
   * sealed under. `givenSeq`: the seq an answer already gave it, reserved from nextSeq before the
   * record was built (agent.infer() answers first); a counter raised meanwhile moves it like any.
   */
  hold(held: HeldRecord, givenSeq?: number): number {
    // seal() numbers pending records in order from the outbox's next seq.
    const seq = givenSeq ?? this.nextSeq;
    this.pending.push({ ...held, givenSeq: seq });
    if (this.pending.length >= this.batchMax) this.seal();
    return seq;
  }

  /** Attaches feedback to the record answered under `givenSeq` while it is not durable; false when it is. */
  holdFeedback(givenSeq: number, feedback: HeldFeedback): boolean {
    const entry =
      this.pending.find((candidate) => candidate.givenSeq === givenSeq) ?? this.sealingRecord(givenSeq);
    if (entry === undefined) return false;
    entry.feedback = [...(entry.feedback ?? []), feedback];
    return true;
  }

  /** The record answered under `seq` when it is numbered but not durable yet. */
  private sealingRecord(seq: number): PendingRecord | undefined {
    for (const run of this.sealingRuns) {
      const entry = run.find((candidate) => candidate.givenSeq === seq);
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  /** Calls `listener` with every batch of records once it is durable, before it is sent. */
  onBatch(listener: (records: readonly InferenceRecord[]) => void): void {
    this.batchListeners.push(listener);
  }

  /**
   * Number and persist what is pending, then offer it to the broker. While the counter is being
   * recovered from the collector (publisher.seq), records wait in memory — up to
   * SEQ_WAIT_MAX_BATCHES batches, then they are sealed anyway rather than held without bound.
   */
  seal(force = false): void {
    if (this.broken) return; // the spool takes no more seals: records stay held, the agent stops
    if (this.sealing !== undefined) {
      // One seal in flight at a time (the spool lands them in order anyway); the next one takes
      // everything that arrived meanwhile.
      this.sealAgain = { force: force || (this.sealAgain?.force ?? false) };
      return;
    }
    if (this.pending.length === 0) return;
    if (!force && !this.publisher.seq.isSettled && this.pending.length < this.batchMax * SEQ_WAIT_MAX_BATCHES)
      return;
    this.sealing = this.sealHeld().then(
      () => {
        this.sealing = undefined;
        const again = this.sealAgain;
        this.sealAgain = undefined;
        if (again !== undefined) this.seal(again.force);
      },
      (error: unknown) => {
        // Not a full disk (that is dropped and counted in the spool): the spool takes no more seals.
        this.sealing = undefined;
        this.broken = true;
        log.error({ err: error }, 'sealing records into the spool failed');
        this.fail(error);
      },
    );
  }

  /**
   * Numbers every held record now (their seqs were promised from nextSeq + position), then lets the
   * spool write them off the event loop; each batch is offered to the broker once it is durable.
   */
  private async sealHeld(): Promise<void> {
    const landed: Promise<void>[] = [];
    // Held records leave in batches of the usual size, one kind per batch, in seq order.
    while (this.pending.length > 0) {
      const kind = this.pending[0]?.kind;
      let count = 0;
      while (count < this.batchMax && this.pending[count]?.kind === kind) count++;
      const run = this.pending.splice(0, count);
      // Numbered now (before the await): records held meanwhile get the seqs after these.
      const firstSeq = this.outbox.nextSeq;
      this.sealingRuns.add(run);
      const sealing =
        kind === 'offload'
          ? this.sealOffload(run.map((entry) => entry.record as OffloadRecordDraft))
          : this.outbox
              .sealBatchDurably(
                'inference',
                run.map((entry) => entry.record as UnsequencedRecord),
              )
              .then((batch) => {
                if (this.killed) return;
                this.publisher.enqueue(batch.firstSeq, batch.count);
                for (const listener of this.batchListeners) listener(batch.records);
              });
      // Feedback for these records waits until they are durable: a seq lost in a crash is reused.
      landed.push(
        sealing.then(() => {
          this.sealingRuns.delete(run);
          if (!this.killed) this.onDurable(run, firstSeq);
        }),
      );
    }
    await Promise.all(landed);
  }

  /** Seals offload records as one `offload` batch, numbered from the same counter. */
  private async sealOffload(records: readonly OffloadRecordDraft[]): Promise<void> {
    const batch = await this.outbox.sealBatchDurably('offload', records);
    if (!this.killed) this.publisher.enqueue(batch.firstSeq, batch.count, 'offload');
  }

  /** Waits for the seal under way and any due after it. */
  async landed(): Promise<void> {
    while (this.sealing !== undefined) await this.sealing;
  }

  /** As on power loss: what is held is lost, and a seal landing afterwards is not offered. */
  kill(): void {
    this.pending = [];
    this.killed = true;
  }
}
