// The spool: records the broker has not acknowledged yet, bounded in bytes, on disk. Sequence
// numbers are handed out when a batch is sealed and are never reused or skipped, even when the
// spool is full and drops its oldest batch (the collector then sees a gap it can count).

import { EdgewattError } from '../../common/errors.js';
import type { InferenceRecord } from '../../protocol/index.js';

export type UnsequencedRecord = Omit<InferenceRecord, 'seq'>;

export interface SealedBatch {
  firstSeq: number;
  count: number;
  payload: Uint8Array;
}

export interface SealResult extends SealedBatch {
  records: InferenceRecord[];
}

export interface SpoolEntry {
  firstSeq: number;
  count: number;
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
