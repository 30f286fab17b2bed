// The agent's durable outbox. A batch gets its sequence numbers when it is sealed, and is written
// to disk (atomically) before it is offered to MQTT; it is deleted only once the broker has
// acknowledged it (QoS 1 PUBACK). After a crash or restart, what is on disk is sent again, and the
// next sequence number is recovered from the counter file and the outbox, whichever is higher:
// numbers are never reused and never skipped. Redeliveries are harmless: the collector stores
// each (device, seq) once.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../common/files.js';
import {
  type Encoding,
  encodeMessage,
  type InferenceRecord,
  PROTOCOL_VERSION,
} from '../../protocol/index.js';

export type UnsequencedRecord = Omit<InferenceRecord, 'seq'>;

export interface SealedBatch {
  firstSeq: number;
  count: number;
  payload: Uint8Array;
}

export interface SealResult extends SealedBatch {
  records: InferenceRecord[];
}

const FILE_PATTERN = /^(\d{16})-(\d+)\.batch$/;
const SEQ_FILE = 'seq.json';

export class Outbox {
  private nextSeqValue = 0;
  private readonly dir: string;
  private readonly batchesDir: string;

  constructor(
    stateDir: string,
    private readonly device: string,
    private readonly encoding: Encoding = 'cbor',
  ) {
    this.dir = stateDir;
    this.batchesDir = join(stateDir, 'outbox');
    mkdirSync(this.batchesDir, { recursive: true });
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
    for (const { firstSeq, count } of this.list()) next = Math.max(next, firstSeq + count);
    return next;
  }

  /** Batches on disk, oldest first. */
  list(): { firstSeq: number; count: number; file: string }[] {
    return readdirSync(this.batchesDir)
      .map((file) => FILE_PATTERN.exec(file))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => ({ firstSeq: Number(match[1]), count: Number(match[2]), file: match[0] }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
  }

  /** Numbers the records, encodes them as one batch and makes it durable. */
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
    writeFileAtomicSync(join(this.batchesDir, fileName(firstSeq, records.length)), payload);
    this.nextSeqValue = firstSeq + records.length;
    writeFileAtomicSync(join(this.dir, SEQ_FILE), JSON.stringify({ nextSeq: this.nextSeqValue }));
    return { firstSeq, count: records.length, payload, records: sequenced };
  }

  read(firstSeq: number, count: number): SealedBatch {
    return { firstSeq, count, payload: readFileSync(join(this.batchesDir, fileName(firstSeq, count))) };
  }

  /** The broker has the batch: forget it. */
  acknowledge(firstSeq: number, count: number): void {
    rmSync(join(this.batchesDir, fileName(firstSeq, count)), { force: true });
  }

  get pendingBatches(): number {
    return this.list().length;
  }
}

function fileName(firstSeq: number, count: number): string {
  return `${String(firstSeq).padStart(16, '0')}-${count}.batch`;
}
