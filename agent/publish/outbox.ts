// The file spool (historically "the outbox"): one file per sealed batch, written atomically (temp
// file, rename) before it is offered to MQTT and deleted once the broker has acknowledged it.
// Bounded in bytes: past the bound the oldest batches are dropped, counted and logged. After a
// crash or reboot, what is on disk is sent again, and the next sequence number is recovered from
// the counter file and the spool, whichever is higher: numbers are never reused and never skipped.

import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/files.js';
import { logger } from '../../common/logger.js';
import {
  type Encoding,
  encodeMessage,
  type InferenceRecord,
  PROTOCOL_VERSION,
} from '../../protocol/index.js';
import {
  DEFAULT_SPOOL_MAX_BYTES,
  type DroppedBatch,
  type FsyncPolicy,
  type SealedBatch,
  type SealResult,
  type Spool,
  SpoolError,
  type SpoolOptions,
  type SpoolStats,
  type UnsequencedRecord,
} from './spool.js';

export type { SealedBatch, SealResult, UnsequencedRecord } from './spool.js';

const log = logger('agent.spool');

const FILE_PATTERN = /^(\d{16})-(\d+)\.batch$/;
const SEQ_FILE = 'seq.json';
const DROPPED_FILE = 'dropped.json';

interface Pending {
  firstSeq: number;
  count: number;
  bytes: number;
}

export class Outbox implements Spool {
  private nextSeqValue = 0;
  private readonly dir: string;
  private readonly batchesDir: string;
  private readonly maxBytes: number;
  private readonly fsync: FsyncPolicy;
  /** Pending batches oldest first, mirrored in memory so the bound costs no directory scan. */
  private pending: Pending[];
  private pendingBytes = 0;
  private dropped = { droppedBatches: 0, droppedRecords: 0 };

  constructor(
    stateDir: string,
    private readonly device: string,
    private readonly encoding: Encoding = 'cbor',
    private readonly options: SpoolOptions = {},
  ) {
    this.dir = stateDir;
    this.batchesDir = join(stateDir, 'outbox');
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    this.fsync = options.fsync ?? 'always';
    if (!(Number.isSafeInteger(this.maxBytes) && this.maxBytes > 0)) {
      throw new SpoolError(`spool maxBytes is ${this.maxBytes}; give a positive whole number of bytes`);
    }
    mkdirSync(this.batchesDir, { recursive: true });
    this.pending = this.scan();
    for (const batch of this.pending) this.pendingBytes += batch.bytes;
    this.dropped = this.readDropped();
    this.nextSeqValue = this.recoverNextSeq();
  }

  /** The sequence number the next record will get. */
  get nextSeq(): number {
    return this.nextSeqValue;
  }

  private recoverNextSeq(): number {
    let next = 0;
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, SEQ_FILE), 'utf8')) as { nextSeq?: unknown };
      if (typeof parsed.nextSeq === 'number' && Number.isSafeInteger(parsed.nextSeq)) next = parsed.nextSeq;
    } catch {
      // first start, or a counter file lost with the SD card: the outbox below still bounds it
    }
    for (const { firstSeq, count } of this.pending) next = Math.max(next, firstSeq + count);
    return next;
  }

  private readDropped(): { droppedBatches: number; droppedRecords: number } {
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, DROPPED_FILE), 'utf8')) as Record<
        string,
        unknown
      >;
      const whole = (value: unknown) =>
        typeof value === 'number' && Number.isSafeInteger(value) ? value : 0;
      return { droppedBatches: whole(parsed.droppedBatches), droppedRecords: whole(parsed.droppedRecords) };
    } catch {
      return { droppedBatches: 0, droppedRecords: 0 };
    }
  }

  private scan(): Pending[] {
    return readdirSync(this.batchesDir)
      .map((file) => FILE_PATTERN.exec(file))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({
        firstSeq: Number(match[1]),
        count: Number(match[2]),
        bytes: statSync(join(this.batchesDir, match[0])).size,
      }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
  }

  /** Batches on disk, oldest first. */
  list(): { firstSeq: number; count: number; file: string }[] {
    return this.pending.map(({ firstSeq, count }) => ({ firstSeq, count, file: fileName(firstSeq, count) }));
  }

  private write(path: string, data: Uint8Array | string): void {
    if (this.fsync === 'always') {
      writeFileAtomicSync(path, data);
      return;
    }
    // Same atomic rename, no fsync: the page cache survives the process, not the power.
    const temp = `${path}.tmp`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  }

  /** Numbers the records, encodes them as one batch and makes it durable; drops the oldest past the bound. */
  seal(records: readonly UnsequencedRecord[]): SealResult {
    const firstSeq = this.nextSeqValue;
    const sequenced = records.map(
      (record, index) => ({ ...record, seq: firstSeq + index }) as InferenceRecord,
    );
    const payload = encodeMessage(
      { v: PROTOCOL_VERSION, type: 'inference', device: this.device, records: sequenced },
      this.encoding,
    );
    // Batch file first, counter second: a crash between the two is repaired by recoverNextSeq.
    this.write(join(this.batchesDir, fileName(firstSeq, records.length)), payload);
    this.nextSeqValue = firstSeq + records.length;
    this.write(join(this.dir, SEQ_FILE), JSON.stringify({ nextSeq: this.nextSeqValue }));
    this.pending.push({ firstSeq, count: records.length, bytes: payload.length });
    this.pendingBytes += payload.length;
    this.enforceBound();
    return { firstSeq, count: records.length, payload, records: sequenced };
  }

  private enforceBound(): void {
    const dropped: DroppedBatch[] = [];
    while (this.pendingBytes > this.maxBytes && this.pending.length > 1) {
      const oldest = this.pending.shift() as Pending;
      this.pendingBytes -= oldest.bytes;
      rmSync(join(this.batchesDir, fileName(oldest.firstSeq, oldest.count)), { force: true });
      dropped.push(oldest);
    }
    if (dropped.length === 0) return;
    this.dropped.droppedBatches += dropped.length;
    this.dropped.droppedRecords += dropped.reduce((sum, batch) => sum + batch.count, 0);
    this.write(join(this.dir, DROPPED_FILE), JSON.stringify(this.dropped));
    for (const batch of dropped) reportDrop(batch, this.stats(), this.options.onDrop);
  }

  /** The batch's bytes; throws SpoolError when it is not pending (acknowledged or dropped). */
  read(firstSeq: number, count: number): SealedBatch {
    const batch = this.load(firstSeq, count);
    if (batch === undefined) {
      throw new SpoolError(`batch ${firstSeq}+${count} is not in the spool ${this.batchesDir}`);
    }
    return batch;
  }

  load(firstSeq: number, count: number): SealedBatch | undefined {
    try {
      return { firstSeq, count, payload: readFileSync(join(this.batchesDir, fileName(firstSeq, count))) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** The broker has the batch: forget it. */
  acknowledge(firstSeq: number, count: number): void {
    const index = this.pending.findIndex((batch) => batch.firstSeq === firstSeq && batch.count === count);
    if (index >= 0) {
      this.pendingBytes -= this.pending[index]?.bytes ?? 0;
      this.pending.splice(index, 1);
    }
    rmSync(join(this.batchesDir, fileName(firstSeq, count)), { force: true });
  }

  get pendingBatches(): number {
    return this.pending.length;
  }

  stats(): SpoolStats {
    return {
      pendingBatches: this.pending.length,
      pendingRecords: this.pending.reduce((sum, batch) => sum + batch.count, 0),
      pendingBytes: this.pendingBytes,
      maxBytes: this.maxBytes,
      ...this.dropped,
    };
  }

  close(): void {}
}

/** The file spool under its interface name. */
export { Outbox as FileSpool };

/** Every drop is loud: it is data the device measured and nobody will ever see. */
export function reportDrop(
  batch: DroppedBatch,
  stats: SpoolStats,
  onDrop: ((dropped: DroppedBatch) => void) | undefined,
): void {
  log.warn(
    {
      firstSeq: batch.firstSeq,
      records: batch.count,
      bytes: batch.bytes,
      droppedRecords: stats.droppedRecords,
      maxBytes: stats.maxBytes,
    },
    'spool full: dropped the oldest batch (raise --spool-max-bytes, or the broker has been unreachable too long)',
  );
  onDrop?.(batch);
}

function fileName(firstSeq: number, count: number): string {
  return `${String(firstSeq).padStart(16, '0')}-${count}.batch`;
}
