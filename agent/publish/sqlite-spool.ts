// The SQLite spool: the same contract as the file spool in one database file (WAL journal). A seal
// is one transaction holding the batch, the sequence counter and the drops it caused, so a crash
// leaves either all of them or none. Fewer files and fsyncs than one file per batch on an SD card.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { logger } from '../../common/logger.js';
import type { Encoding } from '../../protocol/index.js';
import { reportDrop } from './outbox.js';
import {
  DEFAULT_SPOOL_MAX_BYTES,
  type DroppedBatch,
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

const log = logger('agent.spool');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS batch (
  first_seq INTEGER PRIMARY KEY,
  count INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Added after the first release: files made before it have only inference batches. */
const KIND_COLUMN = "ALTER TABLE batch ADD COLUMN kind TEXT NOT NULL DEFAULT 'inference'";

export class SqliteSpool implements Spool {
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private nextSeqValue: number;
  private pendingBytes: number;
  private readonly sealTx: (
    firstSeq: number,
    count: number,
    payload: Uint8Array,
    kind: SpooledKind,
  ) => DroppedBatch[];

  constructor(
    stateDir: string,
    readonly device: string,
    readonly encoding: Encoding = 'cbor',
    private readonly options: SpoolOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
    if (!(Number.isSafeInteger(this.maxBytes) && this.maxBytes > 0)) {
      throw new SpoolError(`spool maxBytes is ${this.maxBytes}; give a positive whole number of bytes`);
    }
    mkdirSync(stateDir, { recursive: true });
    this.db = new Database(join(stateDir, 'spool.sqlite'));
    this.db.pragma('journal_mode = WAL');
    // FULL syncs the WAL at every commit; OFF leaves it to the kernel (survives kill -9, not power loss).
    this.db.pragma(`synchronous = ${(options.fsync ?? 'always') === 'always' ? 'FULL' : 'OFF'}`);
    this.db.exec(SCHEMA);
    const columns = this.db.prepare('PRAGMA table_info(batch)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'kind')) this.db.exec(KIND_COLUMN);
    this.adoptFileSpool(stateDir);
    const last = this.db.prepare('SELECT MAX(first_seq + count) AS next FROM batch').get() as {
      next: number | null;
    };
    // A device that used the file spool before keeps counting from its seq.json.
    this.nextSeqValue = Math.max(this.counter('next_seq'), last.next ?? 0, legacyNextSeq(stateDir));
    this.counterFound =
      this.db.prepare("SELECT 1 FROM counter WHERE name = 'next_seq'").get() !== undefined ||
      last.next !== null ||
      existsSync(join(stateDir, 'seq.json'));
    this.pendingBytes = (
      this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS bytes FROM batch').get() as { bytes: number }
    ).bytes;

    const insert = this.db.prepare(
      'INSERT INTO batch (first_seq, count, bytes, payload, kind) VALUES (?, ?, ?, ?, ?)',
    );
    const setCounter = this.db.prepare(
      'INSERT INTO counter (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    const oldest = this.db.prepare(
      'SELECT first_seq AS firstSeq, count, bytes FROM batch ORDER BY first_seq LIMIT 1',
    );
    const remove = this.db.prepare('DELETE FROM batch WHERE first_seq = ?');
    const pendingCount = this.db.prepare('SELECT COUNT(*) AS n FROM batch');
    this.sealTx = this.db.transaction(
      (firstSeq: number, count: number, payload: Uint8Array, kind: SpooledKind) => {
        insert.run(firstSeq, count, payload.length, payload, kind);
        setCounter.run('next_seq', firstSeq + count);
        let bytes = this.pendingBytes + payload.length;
        const dropped: DroppedBatch[] = [];
        while (bytes > this.maxBytes && (pendingCount.get() as { n: number }).n > 1) {
          const victim = oldest.get() as DroppedBatch;
          remove.run(victim.firstSeq);
          bytes -= victim.bytes;
          dropped.push(victim);
        }
        if (dropped.length > 0) {
          setCounter.run('dropped_batches', this.counter('dropped_batches') + dropped.length);
          setCounter.run(
            'dropped_records',
            this.counter('dropped_records') + dropped.reduce((sum, batch) => sum + batch.count, 0),
          );
        }
        return dropped;
      },
    );
  }

  /**
   * A device switched from the file spool keeps what it had not sent: batches left in
   * `<stateDir>/outbox/` are moved into the table (one transaction), then their files removed.
   */
  private adoptFileSpool(stateDir: string): void {
    const dir = join(stateDir, 'outbox');
    if (!existsSync(dir)) return;
    const files = readdirSync(dir)
      .map((file) => /^(\d{16})-(\d+)(?:-[0-9a-f]{16})?(?:\.(offload))?\.batch$/.exec(file))
      .filter((match): match is RegExpExecArray => match !== null);
    if (files.length === 0) return;
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO batch (first_seq, count, bytes, payload, kind) VALUES (?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      for (const match of files) {
        const payload = readFileSync(join(dir, match[0]));
        insert.run(Number(match[1]), Number(match[2]), payload.length, payload, match[3] ?? 'inference');
      }
    })();
    for (const match of files) rmSync(join(dir, match[0]), { force: true });
    log.info({ batches: files.length }, 'moved unsent batches from the file spool into the SQLite spool');
  }

  private counter(name: string): number {
    const row = this.db.prepare('SELECT value FROM counter WHERE name = ?').get(name) as
      | { value: number }
      | undefined;
    return row?.value ?? 0;
  }

  get nextSeq(): number {
    return this.nextSeqValue;
  }

  readonly counterFound: boolean;

  advanceTo(nextSeq: number): boolean {
    if (!(Number.isSafeInteger(nextSeq) && nextSeq > this.nextSeqValue)) return false;
    this.db
      .prepare(
        "INSERT INTO counter (name, value) VALUES ('next_seq', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      )
      .run(nextSeq);
    this.nextSeqValue = nextSeq;
    return true;
  }

  seal(records: readonly UnsequencedRecord[]): SealResult {
    return sealInference(this, records);
  }

  /**
   * Still synchronous: better-sqlite3 commits (and syncs the WAL) on the calling thread. Left as is:
   * one WAL fsync per seal instead of the file spool's six (docs/reliability.md).
   */
  sealBatchDurably<K extends SpooledKind>(
    kind: K,
    records: readonly Unsequenced<K>[],
  ): Promise<KindSealResult<K>> {
    try {
      return Promise.resolve(this.sealBatch(kind, records));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  sealBatch<K extends SpooledKind>(kind: K, records: readonly Unsequenced<K>[]): KindSealResult<K> {
    const { firstSeq, payload, records: sequenced } = startSeal(this, kind, records);
    const dropped = this.sealTx(firstSeq, records.length, payload, kind);
    this.nextSeqValue = firstSeq + records.length;
    this.pendingBytes += payload.length - dropped.reduce((sum, batch) => sum + batch.bytes, 0);
    for (const batch of dropped) reportDrop(batch, this.stats(), this.options.onDrop);
    return { kind, firstSeq, count: records.length, payload, records: sequenced };
  }

  list(): { firstSeq: number; count: number; kind?: SpooledKind }[] {
    const rows = this.db
      .prepare('SELECT first_seq AS firstSeq, count, kind FROM batch ORDER BY first_seq')
      .all() as { firstSeq: number; count: number; kind: SpooledKind }[];
    return rows.map(({ firstSeq, count, kind }) =>
      kind === 'inference' ? { firstSeq, count } : { firstSeq, count, kind },
    );
  }

  load(firstSeq: number, count: number): SealedBatch | undefined {
    const row = this.db
      .prepare('SELECT payload FROM batch WHERE first_seq = ? AND count = ?')
      .get(firstSeq, count) as { payload: Buffer } | undefined;
    return row === undefined ? undefined : { firstSeq, count, payload: row.payload };
  }

  acknowledge(firstSeq: number, count: number): void {
    const row = this.db
      .prepare('DELETE FROM batch WHERE first_seq = ? AND count = ? RETURNING bytes')
      .get(firstSeq, count) as { bytes: number } | undefined;
    if (row !== undefined) this.pendingBytes -= row.bytes;
  }

  stats(): SpoolStats {
    const pending = this.db
      .prepare('SELECT COUNT(*) AS batches, COALESCE(SUM(count), 0) AS records FROM batch')
      .get() as { batches: number; records: number };
    return {
      pendingBatches: pending.batches,
      pendingRecords: pending.records,
      pendingBytes: this.pendingBytes,
      maxBytes: this.maxBytes,
      droppedBatches: this.counter('dropped_batches'),
      droppedRecords: this.counter('dropped_records'),
      // Not checked yet: rows carry no digest (the file spool is the one that checks).
      corruptBatches: 0,
      corruptRecords: 0,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function legacyNextSeq(stateDir: string): number {
  try {
    const parsed = JSON.parse(readFileSync(join(stateDir, 'seq.json'), 'utf8')) as { nextSeq?: unknown };
    return typeof parsed.nextSeq === 'number' && Number.isSafeInteger(parsed.nextSeq) ? parsed.nextSeq : 0;
  } catch {
    return 0;
  }
}
