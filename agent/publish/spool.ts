// The spool: records the broker has not acknowledged yet, bounded in bytes, on disk. Sequence
// numbers are handed out when a batch is sealed and are never reused or skipped, even when the
// spool is full and drops its oldest batch (the collector then sees a gap it can count).

import { EdgewattError } from '../../common/errors.js';
import {
  type Encoding,
  encodeMessage,
  type InferenceRecord,
  type OffloadRecord,
  PROTOCOL_VERSION,
} from '../../protocol/index.js';

/**
 * The record kinds a spool carries. Each batch holds one kind; every kind is numbered from the
 * device's one seq counter, so (device, seq) is unique across kinds.
 */
export interface SpooledRecords {
  inference: InferenceRecord;
  offload: OffloadRecord;
}
export type SpooledKind = keyof SpooledRecords;
export const SPOOLED_KINDS: readonly SpooledKind[] = ['inference', 'offload'];

export type UnsequencedRecord = Omit<InferenceRecord, 'seq'>;
/** A record of `kind` before the spool numbers it. */
export type Unsequenced<K extends SpooledKind> = Omit<SpooledRecords[K], 'seq'>;

export interface SealedBatch {
  firstSeq: number;
  count: number;
  payload: Uint8Array;
}

export interface SealResult extends SealedBatch {
  records: InferenceRecord[];
}

/** What sealBatch() made: the batch of one kind, its bytes and its numbered records. */
export interface KindSealResult<K extends SpooledKind> extends SealedBatch {
  kind: K;
  records: SpooledRecords[K][];
}

export interface SpoolEntry {
  firstSeq: number;
  count: number;
  /** The batch's record kind; absent means `inference` (the only kind before offload records). */
  kind?: SpooledKind;
}

/** Numbers records from `firstSeq` and encodes them as one batch of `kind`. */
export function encodeSpooled<K extends SpooledKind>(
  kind: K,
  device: string,
  encoding: Encoding,
  firstSeq: number,
  records: readonly Unsequenced<K>[],
): { payload: Uint8Array; records: SpooledRecords[K][] } {
  const sequenced: unknown[] = records.map((record, index) => ({ ...record, seq: firstSeq + index }));
  const payload =
    kind === 'offload'
      ? encodeMessage(
          { v: PROTOCOL_VERSION, type: 'offload', device, records: sequenced as OffloadRecord[] },
          encoding,
        )
      : encodeMessage(
          { v: PROTOCOL_VERSION, type: 'inference', device, records: sequenced as InferenceRecord[] },
          encoding,
        );
  return { payload, records: sequenced as SpooledRecords[K][] };
}

/** What a spool numbers from and encodes with: the start of every seal. */
export interface SealOrigin {
  readonly device: string;
  readonly encoding: Encoding;
  readonly nextSeq: number;
}

/** Starts a seal: numbers `records` from the spool's next seq and encodes them as one batch of `kind`. */
export function startSeal<K extends SpooledKind>(
  spool: SealOrigin,
  kind: K,
  records: readonly Unsequenced<K>[],
): { firstSeq: number; payload: Uint8Array; records: SpooledRecords[K][] } {
  const firstSeq = spool.nextSeq;
  return { firstSeq, ...encodeSpooled(kind, spool.device, spool.encoding, firstSeq, records) };
}

/** Spool.seal() on top of sealBatch(): an inference batch, its kind left out of the result. */
export function sealInference(
  spool: Pick<Spool, 'sealBatch'>,
  records: readonly UnsequencedRecord[],
): SealResult {
  const { kind: _kind, ...result } = spool.sealBatch('inference', records);
  return result;
}

/**
 * `always`: every sealed batch (and its counter) is fsync'ed before seal() returns: survives power
 * loss. `never`: written to the page cache only: survives `kill -9` of the agent, not a power cut
 * (the last seconds of batches may vanish; sequence numbers are still never reused).
 */
export type FsyncPolicy = 'always' | 'never';
export const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'never'];

export interface SpoolStats {
  pendingBatches: number;
  pendingRecords: number;
  /** Payload bytes held (what the bound counts). */
  pendingBytes: number;
  maxBytes: number;
  /** Since the state directory was created, across restarts: past the byte bound or on a full disk. */
  droppedBatches: number;
  droppedRecords: number;
  /** Batches found damaged on disk (digest mismatch, undecodable): removed, never sent. */
  corruptBatches: number;
  corruptRecords: number;
}

export interface DroppedBatch extends SpoolEntry {
  bytes: number;
}

export interface SpoolOptions {
  /**
   * Upper bound of pending payload bytes; the oldest batches are dropped past it (the newest always
   * stays), and also when the disk is full.
   */
  maxBytes?: number;
  fsync?: FsyncPolicy;
  /** Told about every batch dropped to stay under maxBytes (after it is counted and logged). */
  onDrop?: (dropped: DroppedBatch) => void;
}

export const DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

export interface Spool {
  /** The sequence number the next record will get. */
  readonly nextSeq: number;
  /**
   * Whether opening found anything to number from (a saved counter or a pending batch). False for a
   * new state directory — or one that lost its counter: then the collector's answer to the birth
   * (cmd/seq) is awaited before sealing (agent/publish/seq-recovery.ts).
   */
  readonly counterFound: boolean;
  /**
   * Raises the counter to `nextSeq` (durably) when it is higher: the collector has stored seqs at
   * or above ours. Never lowers it. Returns whether it moved.
   */
  advanceTo(nextSeq: number): boolean;
  /** Numbers the records, encodes them as one batch, makes it durable, then enforces the bound. */
  seal(records: readonly UnsequencedRecord[]): SealResult;
  /**
   * seal() for any record kind: an `offload` batch is numbered from the same counter as inference
   * batches and sent on the device's `offload` topic (the entry's `kind`). seal(r) is
   * sealBatch('inference', r). Throws ProtocolError (before anything is numbered or written) on
   * records that break the contract.
   */
  sealBatch<K extends SpooledKind>(kind: K, records: readonly Unsequenced<K>[]): KindSealResult<K>;
  /**
   * sealBatch() without blocking the event loop: the records are numbered before it returns
   * (`nextSeq` moves at once, so the seqs of records held meanwhile stay right), the batch and its
   * counter are made durable off the event loop, and the promise resolves only once they are (the
   * same promise sealBatch's return makes). Seals land in call order: a later one never before an
   * earlier one. After a write failure other than a full disk, this and every later seal reject.
   * Do not mix with sealBatch() while one is under way (SpoolError).
   */
  sealBatchDurably<K extends SpooledKind>(
    kind: K,
    records: readonly Unsequenced<K>[],
  ): Promise<KindSealResult<K>>;
  /** Resolves when every sealBatchDurably() and counter write begun so far has landed (or failed). */
  idle(): Promise<void>;
  /** Pending batches, oldest first. */
  list(): SpoolEntry[];
  /** A pending batch's bytes, or undefined when it was acknowledged or dropped meanwhile. */
  load(firstSeq: number, count: number): SealedBatch | undefined;
  /** The broker has the batch: forget it. Acknowledging a batch that is gone is a no-op. */
  acknowledge(firstSeq: number, count: number): void;
  stats(): SpoolStats;
  close(): void;
}

export class SpoolError extends EdgewattError {
  override readonly name = 'SpoolError';
}
