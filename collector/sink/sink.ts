// The sink interface: connect, write a batch of spooled entries, close — and say which errors
// are worth retrying. Batching, the bounded buffer, the write-ahead spool, retry and back-off
// live once in runtime.ts, not in each sink; what an entry holds is between the store that
// appends it and the sink that turns it into its destination's format.

import { EdgewattError } from '../../common/errors.js';
import type { SpoolEntry } from './spool-frames.js';

/** `retry`: the batch stays and is written again after a back-off (5xx, network, auth). `drop`: counted and skipped (bad data). */
export type FailureAction = 'retry' | 'drop';

/** Entries as the spool holds them, oldest first, and the lines (destination points) they stand for. */
export interface SinkBatch {
  entries: readonly SpoolEntry[];
  lines: number;
}

/**
 * Lines the destination refused (or the sink could not build), with the data itself: handed to
 * the sink's owner to be kept (dead-lettered), never dropped silently.
 */
export interface RefusedLines {
  reason: string;
  /** The refused points (line protocol, newline-terminated), or the spooled entry they came from. */
  bytes: Uint8Array;
  lines: number;
}

/** What a write did with a batch's lines: confirmed by the destination, or refused before sending. */
export interface SinkWriteResult {
  written: number;
  /** Lines of entries the sink could not turn into its format (bad data): dropped and counted. */
  dropped: number;
}

export interface Sink {
  /** Short name for logs and metrics, e.g. `influxdb`. */
  readonly name: string;
  /** Prepares the destination (e.g. creates the database). Must not fail just because it is down. */
  connect(): Promise<void>;
  /** Writes a batch; resolves once the destination has it. */
  write(batch: SinkBatch): Promise<SinkWriteResult>;
  classify(error: unknown): FailureAction;
  close(): Promise<void>;
}

export class SpoolError extends EdgewattError {
  override readonly name = 'SpoolError';
}
