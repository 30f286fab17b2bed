// Write-ahead spool: entries (opaque bytes, each standing for a number of lines) are appended to
// segment files as CRC-checked frames (spool-frames.ts) and made durable (write + fdatasync,
// grouped: every append waiting during one sync shares the next one) before append() resolves;
// the runtime acknowledges MQTT messages only after that. A checkpoint file records how far the
// sink has the data; on start, everything after it is read back. Bounded in bytes: a full spool
// makes append() wait (back-pressure up to the broker), it never drops. Only the newest part of
// what is pending stays in memory (memoryBytes), as the very bytes written to disk; older entries
// are read back from disk when due.
//
// Files: `NNNNNNNNNN.spool2` segments and `checkpoint2.json`. The previous format (line protocol
// in `*.spool` and `checkpoint.json`) is not read here; spool-v1.ts reads it for the upgrade.

import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  truncateSync,
} from 'node:fs';
import { type FileHandle, open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../../common/logger.js';
import type { SinkBatch } from './sink.js';
import { SpoolError } from './sink.js';
import {
  FRAME_HEADER_BYTES,
  frameBytes,
  framesOf,
  type SpoolEntry,
  scanFrames,
  writeFrame,
} from './spool-frames.js';

export type { SpoolEntry } from './spool-frames.js';

const log = logger('collector.sink.spool');

export interface SpoolOptions {
  dir: string;
  /** Largest amount of not-yet-written data kept, bytes; append() waits beyond it. */
  maxBytes: number;
  /** A new segment file is started past this size. */
  segmentBytes: number;
  /** fdatasync after each group of appends (default true). Without it a power loss can lose acknowledged data. */
  fsync: boolean;
  /**
   * Pending entries kept in memory as well, bytes (default 32 MiB); the rest is read from disk
   * when due. An entry's memo is kept only with its bytes.
   */
  memoryBytes?: number;
  /**
   * Memory of the memos (SpoolEntry.memo, e.g. a batch's decoded columns, ~2× its bytes; each entry
   * says its memoBytes) kept with pending entries, at most (default 32 MiB); past it, memos are
   * dropped and the sink decodes the bytes again.
   */
  memoBytes?: number;
}

/** Where a run of entries ends: segment number and byte offset just past it. */
export interface SpoolCursor {
  segment: number;
  offset: number;
}

/** A run of whole chunks: their entries, the lines they stand for, and where they end. */
export interface SpoolBatch extends SinkBatch {
  end: SpoolCursor;
}

interface Chunk {
  /** The frames written to disk, or undefined when they are only on disk (between start and end). */
  body: Buffer | undefined;
  /** The entries of `body` with their memos, while both are in memory (within memoBytes). */
  entries: SpoolEntry[] | undefined;
  /** Bytes the memos of `entries` take (SpoolEntry.memoBytes summed). */
  memoBytes: number;
  /** Lines the chunk's entries stand for. */
  count: number;
  bytes: number;
  start: SpoolCursor;
  end: SpoolCursor;
  atMs: number;
}

interface Waiting {
  entries: readonly SpoolEntry[];
  resolve: () => void;
  reject: (error: Error) => void;
}

const SEGMENT = /^(\d{10})\.spool2$/;
const CHECKPOINT = 'checkpoint2.json';
const RECOVERY_CHUNK_LINES = 5000;
/** Pending entries' bytes kept in memory by default. */
const DEFAULT_MEMORY_BYTES = 32 * 2 ** 20;
/**
 * Memos kept with pending entries by default, bytes: the decoded columns of ~600,000 inference
 * records. Not more: memos live until their batch is written, and a larger budget (80 MiB, all
 * of bench:ingest's backlog) cost more in garbage collection than decoding the rest again saves
 * (in-process measure, interleaved: 3.6-3.7 against 3.0-3.2 µs of collector CPU a record).
 */
const DEFAULT_MEMO_BYTES = 32 * 2 ** 20;

const segmentName = (n: number) => `${String(n).padStart(10, '0')}.spool2`;

export class Spool {
  private readonly chunks: Chunk[] = [];
  private readonly waiting: Waiting[] = [];
  private pendingBytesCount = 0;
  private pendingLinesCount = 0;
  private memoryBytesCount = 0;
  private memoBytesCount = 0;
  private writing = false;
  private handle: FileHandle | undefined;
  private segment = 0;
  private segmentSize = 0;
  private roomWaiters: (() => void)[] = [];
  private closed = false;
  private waitingForRoom = false;
  /** Lines read back from disk at open(): written before a crash, not confirmed by the sink. */
  readonly recoveredLines: number;

  private constructor(
    private readonly options: SpoolOptions,
    recovered: Chunk[],
    nextSegment: number,
  ) {
    for (const chunk of recovered) this.push(chunk);
    this.recoveredLines = this.pendingLinesCount;
    this.segment = nextSegment;
  }

  static async open(options: SpoolOptions): Promise<Spool> {
    mkdirSync(options.dir, { recursive: true });
    const { chunks, lastSegment } = recover(options.dir);
    const spool = new Spool(options, chunks, lastSegment + 1);
    await spool.openSegment();
    return spool;
  }

  get pendingLines(): number {
    return this.pendingLinesCount;
  }

  get pendingBytes(): number {
    return this.pendingBytesCount;
  }

  /** True while appends wait for room (the sink is behind by maxBytes): back-pressure to the broker. */
  get full(): boolean {
    return this.waitingForRoom;
  }

  /** When the oldest pending entry was appended (ms, Date.now()), or undefined when empty. */
  get oldestAtMs(): number | undefined {
    return this.chunks[0]?.atMs;
  }

  /** Resolves once the entries are durable on disk (or rejects: then they are not, and must not be acknowledged). */
  append(entries: readonly SpoolEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolError('spool is closed; the collector is stopping'));
    if (entries.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ entries, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // Deferred a turn, so that appends made in the same turn share one write and one sync.
        setImmediate(() => {
          this.writeRounds().catch(() => undefined);
        });
      }
    });
  }

  /** The oldest pending entries, whole chunks, standing for about `maxLines` lines (at least one chunk). */
  peek(maxLines: number): SpoolBatch | undefined {
    return this.peekBatches(maxLines, 1)[0];
  }

  /**
   * Up to `count` consecutive batches, each as peek() makes them: from the oldest pending entry on,
   * or from the first entry past `after` (the end of batches already handed out, still pending).
   */
  peekBatches(maxLines: number, count: number, after?: SpoolCursor): SpoolBatch[] {
    const batches: SpoolBatch[] = [];
    let i = this.indexAfter(after);
    while (batches.length < count && i < this.chunks.length) {
      const first = this.chunks[i++] as Chunk;
      const entries = this.entriesOf(first);
      let chunkLines = first.count;
      let end = first.end;
      while (i < this.chunks.length) {
        const chunk = this.chunks[i] as Chunk;
        if (chunkLines + chunk.count > maxLines) break;
        for (const entry of this.entriesOf(chunk)) entries.push(entry);
        chunkLines += chunk.count;
        end = chunk.end;
        i++;
      }
      let lines = 0;
      for (const entry of entries) lines += entry.lines;
      batches.push({ entries, lines, end });
    }
    return batches;
  }

  /** When the oldest pending entry past `after` was appended (ms since the epoch); undefined if none. */
  oldestAtMsAfter(after?: SpoolCursor): number | undefined {
    return this.chunks[this.indexAfter(after)]?.atMs;
  }

  /** Index of the first pending chunk that ends past `after` (all of them when `after` is undefined). */
  private indexAfter(after: SpoolCursor | undefined): number {
    if (after === undefined) return 0;
    let i = 0;
    while (i < this.chunks.length) {
      const end = (this.chunks[i] as Chunk).end;
      if (end.segment > after.segment || (end.segment === after.segment && end.offset > after.offset)) break;
      i++;
    }
    return i;
  }

  /** The sink has everything up to `end`: forget it, persist the checkpoint, delete finished segments. */
  async commit(end: SpoolCursor): Promise<void> {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0] as Chunk;
      if (
        chunk.end.segment > end.segment ||
        (chunk.end.segment === end.segment && chunk.end.offset > end.offset)
      )
        break;
      this.chunks.shift();
      this.pendingBytesCount -= chunk.bytes;
      this.pendingLinesCount -= chunk.count;
      if (chunk.body !== undefined) this.memoryBytesCount -= chunk.bytes;
      if (chunk.entries !== undefined) this.memoBytesCount -= chunk.memoBytes;
    }
    // Atomic rename, no fsync: a checkpoint lost to power failure only means data is written twice,
    // and writes are idempotent.
    const path = join(this.options.dir, CHECKPOINT);
    await writeFile(`${path}.tmp`, JSON.stringify(end));
    await rename(`${path}.tmp`, path);
    const oldestNeeded = this.chunks[0]?.end.segment ?? this.segment;
    for (const name of readdirSync(this.options.dir)) {
      const match = SEGMENT.exec(name);
      if (match !== null && Number(match[1]) < Math.min(oldestNeeded, end.segment)) {
        await unlink(join(this.options.dir, name)).catch(() => undefined);
      }
    }
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.writing) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.handle?.close();
    this.handle = undefined;
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  /** Bytes of pending entries held in memory. */
  get memoryBytes(): number {
    return this.memoryBytesCount;
  }

  private push(chunk: Chunk): void {
    if (chunk.body !== undefined) {
      if (this.memoryBytesCount + chunk.bytes > (this.options.memoryBytes ?? DEFAULT_MEMORY_BYTES))
        chunk.body = undefined;
      else this.memoryBytesCount += chunk.bytes;
    }
    if (chunk.entries !== undefined) {
      if (
        chunk.body === undefined ||
        this.memoBytesCount + chunk.memoBytes > (this.options.memoBytes ?? DEFAULT_MEMO_BYTES)
      )
        chunk.entries = undefined;
      else this.memoBytesCount += chunk.memoBytes;
    }
    this.chunks.push(chunk);
    this.pendingBytesCount += chunk.bytes;
    this.pendingLinesCount += chunk.count;
  }

  /** A chunk's entries: from memory (trusted), or read back from its segment file (CRC-checked). */
  private entriesOf(chunk: Chunk): SpoolEntry[] {
    if (chunk.entries !== undefined) return chunk.entries.slice();
    if (chunk.body !== undefined) return framesOf(chunk.body);
    const buffer = Buffer.allocUnsafe(chunk.end.offset - chunk.start.offset);
    const fd = openSync(join(this.options.dir, segmentName(chunk.start.segment)), 'r');
    try {
      let read = 0;
      while (read < buffer.length) {
        const n = readSync(fd, buffer, read, buffer.length - read, chunk.start.offset + read);
        if (n === 0) throw new SpoolError(`spool segment ${chunk.start.segment} is shorter than recorded`);
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    // Recovery checked these frames already; a frame failing now was damaged on disk since.
    const { runs, skipped, validEnd } = scanFrames(buffer);
    if (skipped > 0 || validEnd < buffer.length)
      log.error(
        {
          segment: chunk.start.segment,
          offset: chunk.start.offset,
          bytes: buffer.length - validEnd + skipped,
        },
        'spool bytes damaged on disk since start; their entries are skipped',
      );
    return runs.flatMap((run) => run.entries);
  }

  private async openSegment(): Promise<void> {
    await this.handle?.close();
    this.handle = await open(join(this.options.dir, segmentName(this.segment)), 'a');
    this.segmentSize = 0;
  }

  private async writeRounds(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const round = this.waiting.splice(0);
        try {
          await this.writeRound(round);
          for (const w of round) w.resolve();
        } catch (error) {
          const failure = new SpoolError(
            `spool write to ${this.options.dir} failed: ${(error as Error).message}`,
          );
          for (const w of round) w.reject(failure);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeRound(round: readonly Waiting[]): Promise<void> {
    // The round's frames go into one buffer of its own (not a slice of Node's shared pool): these
    // bytes go to disk and stay in memory as the chunk.
    let count = 0;
    let size = 0;
    for (const w of round)
      for (const entry of w.entries) {
        size += frameBytes(entry);
        count += entry.lines;
      }
    const buffer = Buffer.allocUnsafeSlow(size);
    // The entries as the chunk holds them: views into the buffer, with their memos.
    const entries: SpoolEntry[] = [];
    let memoBytes = 0;
    let at = 0;
    for (const w of round)
      for (const entry of w.entries) {
        const next = writeFrame(buffer, at, entry);
        const bytes = buffer.subarray(at + FRAME_HEADER_BYTES, next);
        if (entry.memo === undefined) entries.push({ bytes, lines: entry.lines });
        else {
          entries.push({ bytes, lines: entry.lines, memo: entry.memo });
          memoBytes += entry.memoBytes ?? 0;
        }
        at = next;
      }
    while (this.pendingBytesCount > 0 && this.pendingBytesCount + buffer.length > this.options.maxBytes) {
      if (this.closed) throw new SpoolError('spool closed while waiting for room');
      if (!this.waitingForRoom)
        log.warn(
          { dir: this.options.dir, pendingBytes: this.pendingBytesCount, maxBytes: this.options.maxBytes },
          'spool full: messages are acknowledged again once the sink catches up (the broker keeps them meanwhile)',
        );
      this.waitingForRoom = true;
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    if (this.waitingForRoom) log.info({ dir: this.options.dir }, 'spool has room again');
    this.waitingForRoom = false;
    if (this.segmentSize >= this.options.segmentBytes) {
      this.segment++;
      await this.openSegment();
    }
    const handle = this.handle;
    if (handle === undefined) throw new SpoolError('spool is not open');
    try {
      let written = 0;
      while (written < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, written, buffer.length - written);
        written += bytesWritten;
      }
      if (this.options.fsync) await handle.datasync();
    } catch (error) {
      // Part of the round may be in the file: the next round starts a new segment, so these bytes
      // stay a tail (cut or skipped on recovery) and never shift the offsets of later entries.
      this.segmentSize = this.options.segmentBytes;
      throw error;
    }
    const start = { segment: this.segment, offset: this.segmentSize };
    this.segmentSize += buffer.length;
    this.push({
      body: buffer,
      entries,
      memoBytes,
      count,
      bytes: buffer.length,
      start,
      end: { segment: this.segment, offset: this.segmentSize },
      atMs: Date.now(),
    });
  }
}

/**
 * Reads back every entry after the checkpoint. A torn tail (crash mid-write: a partial frame, or
 * zeros after a power cut) was never acknowledged and is cut off; a damaged stretch between whole
 * frames is skipped, with a warning, and the frames after it are kept.
 */
function recover(dir: string): { chunks: Chunk[]; lastSegment: number } {
  let checkpoint: SpoolCursor = { segment: 0, offset: 0 };
  try {
    checkpoint = JSON.parse(readFileSync(join(dir, CHECKPOINT), 'utf8')) as SpoolCursor;
  } catch {
    // No checkpoint yet: everything in the segments is pending.
  }
  const segments = readdirSync(dir)
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const chunks: Chunk[] = [];
  const now = Date.now();
  for (const segment of segments) {
    const path = join(dir, segmentName(segment));
    if (segment < checkpoint.segment) {
      rmSync(path, { force: true });
      continue;
    }
    const data = readFileSync(path);
    const from = segment === checkpoint.segment ? checkpoint.offset : 0;
    const { runs, skipped, validEnd } = scanFrames(data, from);
    if (skipped > 0)
      log.warn(
        { segment, bytes: skipped },
        'spool segment holds damaged bytes between whole entries; skipped',
      );
    // A torn tail was never acknowledged; cut it so the file holds whole frames only.
    if (validEnd < data.length) truncateSync(path, validEnd);
    // Recovered entries stay on disk; only chunk boundaries are kept (about every 5,000 lines).
    for (const run of runs) {
      let count = 0;
      let chunkStart = run.start;
      let at = run.start;
      for (const entry of run.entries) {
        at += frameBytes(entry);
        count += entry.lines;
        if (count >= RECOVERY_CHUNK_LINES || at >= run.end) {
          chunks.push({
            body: undefined,
            entries: undefined,
            memoBytes: 0,
            count,
            bytes: at - chunkStart,
            start: { segment, offset: chunkStart },
            end: { segment, offset: at },
            atMs: now,
          });
          count = 0;
          chunkStart = at;
        }
      }
    }
  }
  return { chunks, lastSegment: segments.at(-1) ?? 0 };
}
