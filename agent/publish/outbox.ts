// The file spool (historically "the outbox"): one file per sealed batch, written atomically (temp
// file, rename) before it is offered to MQTT and deleted once the broker has acknowledged it. Its
// name carries a digest of its bytes: a batch corrupted on disk is counted and never sent.
// Bounded in bytes: past the bound, or when the disk is full, the oldest batches are dropped,
// counted and logged; a full disk never stops the agent. After a crash or reboot, what is on disk
// is sent again, and the next sequence number is recovered from the highest of the counter file,
// its backup and the spool: numbers are never reused and never skipped.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isDiskFull, TEMP_SUFFIX, writeFileAtomic, writeFileAtomicSync } from '../../common/files.js';
import { logger } from '../../common/logger.js';
import { decodeAs, type Encoding } from '../../protocol/index.js';
import {
  DEFAULT_SPOOL_MAX_BYTES,
  type DroppedBatch,
  type FsyncPolicy,
  type KindSealResult,
  type SealedBatch,
  type SealResult,
  type Spool,
  SpoolError,
  type SpooledKind,
  type SpoolOptions,
  type SpoolStats,
  sealInference,
  startSeal,
  type Unsequenced,
  type UnsequencedRecord,
} from './spool.js';

export type { SealedBatch, SealResult, UnsequencedRecord } from './spool.js';

const log = logger('agent.spool');

/**
 * `<firstSeq>-<count>-<digest>[.<kind>].batch`; an inference batch has no kind in its name (as
 * before other kinds existed); files of older versions have no digest (read, not checked).
 */
const FILE_PATTERN = /^(\d{16})-(\d+)(?:-([0-9a-f]{16}))?(?:\.(offload))?\.batch$/;
const SEQ_FILE = 'seq.json';
/** A second copy of the counter: one lost or truncated file does not make the agent reuse seqs. */
const SEQ_BACKUP_FILE = 'seq.backup.json';
const DROPPED_FILE = 'dropped.json';

interface Pending {
  firstSeq: number;
  count: number;
  bytes: number;
  file: string;
  /** Undefined for a batch written by a version without digests. */
  digest: string | undefined;
  kind: SpooledKind;
}

type Losses = Pick<SpoolStats, 'droppedBatches' | 'droppedRecords' | 'corruptBatches' | 'corruptRecords'>;
const LOSS_KEYS = ['droppedBatches', 'droppedRecords', 'corruptBatches', 'corruptRecords'] as const;

export class Outbox implements Spool {
  private nextSeqValue = 0;
  private counterFoundValue = false;
  private readonly dir: string;
  private readonly batchesDir: string;
  private readonly maxBytes: number;
  private readonly fsync: FsyncPolicy;
  /** Pending batches oldest first, mirrored in memory so the bound costs no directory scan. */
  private pending: Pending[];
  private pendingBytes = 0;
  private losses: Losses = { droppedBatches: 0, droppedRecords: 0, corruptBatches: 0, corruptRecords: 0 };
  /**
   * The off-loop writes (sealBatchDurably, a counter raised meanwhile), chained so that they land in
   * call order; `writing` counts those not landed yet.
   */
  private writes: Promise<void> = Promise.resolve();
  private writing = 0;
  /** The first write error that was not a full disk: every later off-loop seal fails with it. */
  private writeFailure: unknown;

  constructor(
    stateDir: string,
    readonly device: string,
    readonly encoding: Encoding = 'cbor',
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
    // Temp files of writes a crash or a full disk interrupted: never complete, only taking room.
    for (const dir of [this.dir, this.batchesDir]) sweepTempFiles(dir);
    this.pending = this.scan();
    for (const batch of this.pending) this.pendingBytes += batch.bytes;
    this.losses = this.readLosses();
    this.nextSeqValue = this.recoverNextSeq();
  }

  /** The sequence number the next record will get. */
  get nextSeq(): number {
    return this.nextSeqValue;
  }

  private recoverNextSeq(): number {
    // Either copy of the counter may be missing or torn (an SD card, an operator's rm); the spool
    // bounds it from below too. A counter lost as a whole is recovered from the collector's answer
    // to the birth (counterFound false), and the collector flags a device whose seq goes backwards.
    const saved = [readCounter(join(this.dir, SEQ_FILE)), readCounter(join(this.dir, SEQ_BACKUP_FILE))];
    this.counterFoundValue = saved.some((value) => value !== undefined) || this.pending.length > 0;
    let next = Math.max(...saved.map((value) => value ?? 0));
    for (const { firstSeq, count } of this.pending) next = Math.max(next, firstSeq + count);
    return next;
  }

  get counterFound(): boolean {
    return this.counterFoundValue;
  }

  advanceTo(nextSeq: number): boolean {
    if (!(Number.isSafeInteger(nextSeq) && nextSeq > this.nextSeqValue)) return false;
    this.nextSeqValue = nextSeq;
    if (this.writing > 0) {
      // Behind the seals under way: written now, their later rename could lower the counter on disk.
      this.chain(async () => {
        const dropped: DroppedBatch[] = [];
        await this.saveCounterDurably(nextSeq, dropped);
        await this.countDroppedDurably(dropped);
      }).catch((error: unknown) => log.error({ err: error, nextSeq }, 'raised sequence counter not saved'));
      return true;
    }
    const dropped: DroppedBatch[] = [];
    this.saveCounter(dropped);
    this.countDropped(dropped);
    return true;
  }

  private readLosses(): Losses {
    const losses: Losses = { droppedBatches: 0, droppedRecords: 0, corruptBatches: 0, corruptRecords: 0 };
    try {
      const parsed = JSON.parse(readFileSync(join(this.dir, DROPPED_FILE), 'utf8')) as Record<
        string,
        unknown
      >;
      for (const key of LOSS_KEYS) {
        const value = parsed[key];
        if (typeof value === 'number' && Number.isSafeInteger(value)) losses[key] = value;
      }
    } catch {
      // none yet, or the file was lost: counting restarts from 0
    }
    return losses;
  }

  private scan(): Pending[] {
    return readdirSync(this.batchesDir)
      .map((file) => FILE_PATTERN.exec(file))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({
        firstSeq: Number(match[1]),
        count: Number(match[2]),
        bytes: statSync(join(this.batchesDir, match[0])).size,
        file: match[0],
        digest: match[3],
        kind: (match[4] ?? 'inference') as SpooledKind,
      }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
  }

  /** Batches on disk, oldest first. */
  list(): { firstSeq: number; count: number; file: string; kind?: SpooledKind }[] {
    return this.pending.map(({ firstSeq, count, file, kind }) =>
      kind === 'inference' ? { firstSeq, count, file } : { firstSeq, count, file, kind },
    );
  }

  /** `never`: the same atomic rename without fsync; the page cache survives the process, not the power. */
  private write(path: string, data: Uint8Array | string): void {
    writeFileAtomicSync(path, data, { fsync: this.fsync === 'always' });
  }

  /** Takes the oldest pending batch out of the spool's count into `dropped`; its file is the caller's to remove (sync or not). */
  private dropOldest(dropped: DroppedBatch[]): Pending | undefined {
    const oldest = this.pending.shift();
    if (oldest === undefined) return undefined;
    this.pendingBytes -= oldest.bytes;
    dropped.push(oldest);
    return oldest;
  }

  /**
   * Writes a file; on a full disk drops the oldest pending batch (counted) and tries again, until
   * it fits or nothing is left to drop. Returns false then: a full disk never throws from here.
   */
  private writeMakingRoom(path: string, data: Uint8Array | string, dropped: DroppedBatch[]): boolean {
    for (;;) {
      try {
        this.write(path, data);
        return true;
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        const oldest = this.dropOldest(dropped);
        if (oldest === undefined) return false;
        rmSync(join(this.batchesDir, oldest.file), { force: true });
      }
    }
  }

  /**
   * Numbers the records, encodes them as one batch and makes it durable; drops the oldest past the
   * bound or when the disk is full (the new batch too, when nothing older is left to make room).
   */
  seal(records: readonly UnsequencedRecord[]): SealResult {
    return sealInference(this, records);
  }

  sealBatch<K extends SpooledKind>(kind: K, records: readonly Unsequenced<K>[]): KindSealResult<K> {
    if (this.writing > 0) {
      throw new SpoolError(
        'sealBatch() while sealBatchDurably() writes are under way would break their order',
      );
    }
    const { batch, payload, records: sequenced } = this.number(kind, records);
    const firstSeq = batch.firstSeq;
    const dropped: DroppedBatch[] = [];
    // Batch file first, counter second: a crash between the two is repaired by recoverNextSeq.
    if (this.writeMakingRoom(join(this.batchesDir, batch.file), payload, dropped)) {
      this.pending.push(batch);
      this.pendingBytes += batch.bytes;
    } else {
      dropped.push(batch);
    }
    this.nextSeqValue = firstSeq + records.length;
    this.saveCounter(dropped);
    while (this.pendingBytes > this.maxBytes && this.pending.length > 1) {
      const oldest = this.dropOldest(dropped) as Pending;
      rmSync(join(this.batchesDir, oldest.file), { force: true });
    }
    this.countDropped(dropped);
    return { kind, firstSeq, count: records.length, payload, records: sequenced };
  }

  /** Numbers and encodes a batch (nothing written yet). */
  private number<K extends SpooledKind>(kind: K, records: readonly Unsequenced<K>[]) {
    const { firstSeq, payload, records: sequenced } = startSeal(this, kind, records);
    const digest = digestOf(payload);
    const batch: Pending = {
      firstSeq,
      count: records.length,
      bytes: payload.length,
      file: fileName(firstSeq, records.length, digest, kind),
      digest,
      kind,
    };
    return { batch, payload, records: sequenced };
  }

  /**
   * The same steps as sealBatch, in the same order (batch file, counter and its backup, the bound,
   * the loss counters), with the writes and fsyncs in libuv's thread pool: a seal took 44–59 ms of
   * main thread under load (more on an SD card), and no inference was served meanwhile. The records
   * are numbered now; the batch is listed (load, acknowledge) only once its file is durable.
   */
  sealBatchDurably<K extends SpooledKind>(
    kind: K,
    records: readonly Unsequenced<K>[],
  ): Promise<KindSealResult<K>> {
    let numbered: ReturnType<typeof this.number<K>>;
    try {
      numbered = this.number(kind, records);
    } catch (error) {
      return Promise.reject(error); // a record that breaks the contract: nothing numbered
    }
    const { batch, payload, records: sequenced } = numbered;
    this.nextSeqValue = batch.firstSeq + batch.count;
    return this.chain(async () => {
      const dropped: DroppedBatch[] = [];
      if (await this.writeMakingRoomDurably(join(this.batchesDir, batch.file), payload, dropped)) {
        this.pending.push(batch);
        this.pendingBytes += batch.bytes;
      } else {
        dropped.push(batch);
      }
      // Never more than this batch's end: a crash must not leave the counter past batches not written.
      await this.saveCounterDurably(batch.firstSeq + batch.count, dropped);
      while (this.pendingBytes > this.maxBytes && this.pending.length > 1) {
        const oldest = this.dropOldest(dropped) as Pending;
        await rm(join(this.batchesDir, oldest.file), { force: true });
      }
      await this.countDroppedDurably(dropped);
      return { kind, firstSeq: batch.firstSeq, count: batch.count, payload, records: sequenced };
    });
  }

  idle(): Promise<void> {
    return this.writes;
  }

  /** Runs `step` after every write chained before it; after a failed step, no later one runs. */
  private chain<T>(step: () => Promise<T>): Promise<T> {
    this.writing++;
    const result = this.writes.then(async () => {
      if (this.writeFailure !== undefined) throw this.writeFailure;
      try {
        return await step();
      } catch (error) {
        this.writeFailure ??= error;
        throw error;
      }
    });
    this.writes = result.then(
      () => {
        this.writing--;
      },
      () => {
        this.writing--;
      },
    );
    return result;
  }

  private writeDurably(path: string, data: Uint8Array | string): Promise<void> {
    return writeFileAtomic(path, data, { fsync: this.fsync === 'always' });
  }

  /** writeMakingRoom off the event loop. */
  private async writeMakingRoomDurably(
    path: string,
    data: Uint8Array | string,
    dropped: DroppedBatch[],
  ): Promise<boolean> {
    for (;;) {
      try {
        await this.writeDurably(path, data);
        return true;
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        const oldest = this.dropOldest(dropped);
        if (oldest === undefined) return false;
        await rm(join(this.batchesDir, oldest.file), { force: true });
      }
    }
  }

  private async saveCounterDurably(nextSeq: number, dropped: DroppedBatch[]): Promise<void> {
    const counter = JSON.stringify({ nextSeq });
    for (const file of [SEQ_FILE, SEQ_BACKUP_FILE]) {
      if (!(await this.writeMakingRoomDurably(join(this.dir, file), counter, dropped))) {
        log.warn(
          { file, nextSeq },
          'disk full: sequence counter not saved (recovered from the spool and the collector at the next start)',
        );
      }
    }
  }

  private async countDroppedDurably(dropped: DroppedBatch[]): Promise<void> {
    if (dropped.length === 0) return;
    this.losses.droppedBatches += dropped.length;
    this.losses.droppedRecords += dropped.reduce((sum, batch) => sum + batch.count, 0);
    try {
      await this.writeDurably(join(this.dir, DROPPED_FILE), JSON.stringify(this.losses));
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      log.warn({ ...this.losses }, 'disk full: loss counters not saved this time');
    }
    for (const batch of dropped) reportDrop(batch, this.stats(), this.options.onDrop);
  }

  private saveCounter(dropped: DroppedBatch[]): void {
    const counter = JSON.stringify({ nextSeq: this.nextSeqValue });
    for (const file of [SEQ_FILE, SEQ_BACKUP_FILE]) {
      if (!this.writeMakingRoom(join(this.dir, file), counter, dropped)) {
        log.warn(
          { file, nextSeq: this.nextSeqValue },
          'disk full: sequence counter not saved (recovered from the spool and the collector at the next start)',
        );
      }
    }
  }

  private countDropped(dropped: DroppedBatch[]): void {
    if (dropped.length === 0) return;
    this.losses.droppedBatches += dropped.length;
    this.losses.droppedRecords += dropped.reduce((sum, batch) => sum + batch.count, 0);
    this.saveLosses();
    for (const batch of dropped) reportDrop(batch, this.stats(), this.options.onDrop);
  }

  private saveLosses(): void {
    try {
      this.write(join(this.dir, DROPPED_FILE), JSON.stringify(this.losses));
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      // Counted in memory, in stats() and in the log line of each loss; the file catches up later.
      log.warn({ ...this.losses }, 'disk full: loss counters not saved this time');
    }
  }

  /** The batch's bytes; throws SpoolError when it is not pending (acknowledged or dropped). */
  read(firstSeq: number, count: number): SealedBatch {
    const batch = this.load(firstSeq, count);
    if (batch === undefined) {
      throw new SpoolError(`batch ${firstSeq}+${count} is not in the spool ${this.batchesDir}`);
    }
    return batch;
  }

  /**
   * The batch's bytes, checked against the digest in its name (or, for a file of an older version,
   * decoded). A corrupted batch is removed, counted and logged, and undefined is returned: it is
   * never sent.
   */
  load(firstSeq: number, count: number): SealedBatch | undefined {
    const batch = this.find(firstSeq, count);
    if (batch === undefined) return undefined;
    let payload: Buffer;
    try {
      payload = readFileSync(join(this.batchesDir, batch.file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const problem = corruption(batch, payload);
    if (problem === undefined) return { firstSeq, count, payload };
    this.forget(batch);
    this.losses.corruptBatches++;
    this.losses.corruptRecords += batch.count;
    this.saveLosses();
    log.error(
      { firstSeq, records: count, file: batch.file, problem, corruptRecords: this.losses.corruptRecords },
      'corrupted batch in the spool: removed and counted, not sent',
    );
    return undefined;
  }

  private find(firstSeq: number, count: number): Pending | undefined {
    return this.pending.find((batch) => batch.firstSeq === firstSeq && batch.count === count);
  }

  private forget(batch: Pending): void {
    const index = this.pending.indexOf(batch);
    if (index >= 0) {
      this.pendingBytes -= batch.bytes;
      this.pending.splice(index, 1);
    }
    rmSync(join(this.batchesDir, batch.file), { force: true });
  }

  /** The broker has the batch: forget it. */
  acknowledge(firstSeq: number, count: number): void {
    const batch = this.find(firstSeq, count);
    if (batch !== undefined) this.forget(batch);
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
      ...this.losses,
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

function fileName(firstSeq: number, count: number, digest: string, kind: SpooledKind): string {
  return `${String(firstSeq).padStart(16, '0')}-${count}-${digest}${kind === 'inference' ? '' : `.${kind}`}.batch`;
}

/** 64 bits of SHA-256: enough to tell a damaged file, cheap next to the fsync. */
function digestOf(payload: Uint8Array): string {
  return createHash('sha256').update(payload).digest('hex').slice(0, 16);
}

/** Why the bytes on disk are not the batch that was sealed, or undefined when they are. */
function corruption(batch: Pending, payload: Uint8Array): string | undefined {
  if (batch.digest !== undefined) {
    return digestOf(payload) === batch.digest ? undefined : 'digest mismatch';
  }
  const decoded = decodeAs('inference', payload);
  if (!decoded.ok) return `does not decode: ${decoded.error.reason}`;
  const seqs = decoded.value.records.map((record) => record.seq);
  const expected = Array.from({ length: batch.count }, (_, i) => batch.firstSeq + i);
  return seqs.join() === expected.join() ? undefined : 'sequence numbers differ from the file name';
}

/** A counter file's value, or undefined when it is missing, torn or not a whole number. */
function readCounter(path: string): number | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { nextSeq?: unknown };
    return typeof parsed.nextSeq === 'number' && Number.isSafeInteger(parsed.nextSeq) && parsed.nextSeq >= 0
      ? parsed.nextSeq
      : undefined;
  } catch {
    return undefined;
  }
}

function sweepTempFiles(dir: string): void {
  for (const file of readdirSync(dir)) {
    if (file.endsWith(TEMP_SUFFIX)) rmSync(join(dir, file), { force: true });
  }
}
