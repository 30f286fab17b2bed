// The sink interface: connect, write a batch of serialized entries (bytes), close — and say which errors
// are worth retrying. Batching, the bounded buffer, the write-ahead spool, retry and back-off
// live once in runtime.ts, not in each sink.

/** `retry`: the batch stays and is written again after a back-off (5xx, network, auth). `drop`: counted and skipped (bad data). */
export type FailureAction = 'retry' | 'drop';

/** Entries serialized once: `body` holds `lines` entries, each ending in a newline (the spool's bytes as on disk). */
export interface SinkBatch {
  body: Buffer;
  lines: number;
}

export interface Sink {
  /** Short name for logs and metrics, e.g. `influxdb`. */
  readonly name: string;
  /** Prepares the destination (e.g. creates the database). Must not fail just because it is down. */
  connect(): Promise<void>;
  /** Writes a batch of entries as it is (no re-encoding); resolves once the destination has them. */
  write(batch: SinkBatch): Promise<void>;
  classify(error: unknown): FailureAction;
  close(): Promise<void>;
}

export class SpoolError extends Error {
  override readonly name = 'SpoolError';
}
