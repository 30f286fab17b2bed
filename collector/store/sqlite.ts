// Embedded SQLite store (better-sqlite3): one file, WAL journal, one transaction per batch, and a
// primary key on (fleet, device, seq) so a redelivered record is ignored, not duplicated.
// The `inference` table comes from the record's field table (sqlite-inference.ts), the `offload`
// table from the offload record's (sqlite-offload.ts); life-cycle comparison results go to a
// `comparison` table (sqlite-comparison.ts).

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { FeedbackMessage, InferenceRecord, OffloadRecord, StatusMessage } from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import type { RecordFilter } from './filter.js';
import { COMPARISON_SCHEMA, insertComparisons, selectComparisons } from './sqlite-comparison.js';
import {
  addMissingColumns,
  fromRow,
  INFERENCE_COLUMNS,
  INFERENCE_SCHEMA,
  INSERT_INFERENCE,
  toRowValues,
} from './sqlite-inference.js';
import { OFFLOAD_TABLE } from './sqlite-offload.js';
import { countQuery, devicesQuery, feedbackQuery, recordsQuery, summaryQuery } from './sqlite-read.js';
import {
  type ComparisonWriter,
  type DeviceStatus,
  type DeviceSummary,
  type OffloadReader,
  type RecordReader,
  type RecordWriter,
  type Store,
  StoreConfigError,
  type StoredFeedback,
  type StoredOffloadRecord,
  type StoredRecord,
  type WriteResult,
} from './store.js';
import { withWindowStats } from './summary-windows.js';

const DEVICE_SCHEMA = `
CREATE TABLE IF NOT EXISTS device (
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
  state TEXT NOT NULL,
  status_seq INTEGER NOT NULL,
  status_at_us INTEGER NOT NULL,
  board TEXT,
  sensor TEXT,
  backend TEXT,
  model_id TEXT,
  variant TEXT,
  agent_version TEXT,
  PRIMARY KEY (fleet, device)
) WITHOUT ROWID;
`;

// Labels given after the answer, one row per record (the last feedback wins). Kept apart from
// `inference` because feedback may arrive before its record's batch, and a record is never updated.
const FEEDBACK_SCHEMA = `
CREATE TABLE IF NOT EXISTS feedback (
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
  seq INTEGER NOT NULL,
  label INTEGER NOT NULL,
  correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
  at_us INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, seq)
) WITHOUT ROWID;
`;

/**
 * The tables whose records number in a device's one seq space: the highest seq stored for a
 * device (the answer to its birth, issue 12 item 7) is the highest over all of them. Each has
 * (fleet, device, seq) as its primary key, so MAX(seq) of one device is an index lookup, not a scan
 * (test/collector/seq-answer-store.test.ts checks the query plan).
 */
const SEQ_TABLES = ['inference', 'offload'] as const;

export const HIGHEST_SEQ_QUERY = `SELECT MAX(seq) AS seq FROM (${SEQ_TABLES.map(
  (table) => `SELECT MAX(seq) AS seq FROM ${table} WHERE fleet = @fleet AND device = @device`,
).join(' UNION ALL ')})`;

/** How long a write waits for another connection's lock before it fails (and ingest retries), ms. */
const BUSY_TIMEOUT_MS = 200;

/** When the collector stores a batch, µs since the Unix epoch. */
const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

export class SqliteStore implements Store, RecordWriter, RecordReader, OffloadReader, ComparisonWriter {
  private db: Database.Database | undefined;
  private insertBatch:
    | ((fleet: string, device: string, records: readonly InferenceRecord[]) => WriteResult)
    | undefined;
  private insertOffload:
    | ((fleet: string, device: string, records: readonly OffloadRecord[]) => WriteResult)
    | undefined;

  constructor(
    readonly path: string,
    private readonly options: {
      readOnly?: boolean;
      /** `full` (default): every commit is synced; `normal`: faster, a power cut may lose the last commits. */
      durability?: 'full' | 'normal';
    } = {},
  ) {}

  get url(): string {
    return `sqlite:${this.path}`;
  }

  async connect(): Promise<void> {
    if (this.options.readOnly === true) {
      if (!existsSync(this.path)) {
        throw new StoreConfigError(`SQLite store ${this.path} does not exist; check the --store path`);
      }
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
      return;
    }
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    // A short busy timeout: better-sqlite3 is synchronous, so a file locked by another connection
    // (a backup, a sqlite3 shell) blocked the whole event loop — /metrics included — for the
    // default 5 s per write. Ingest retries a failed write itself, after an async back-off.
    const db = new Database(this.path, { timeout: BUSY_TIMEOUT_MS });
    db.pragma('journal_mode = WAL');
    // FULL: in WAL mode, NORMAL commits without syncing the WAL, so a power cut can undo a commit
    // whose MQTT message was already acknowledged; FULL syncs the WAL at every commit (issue 12,
    // item 10; the cost is measured in docs/reliability.md). `durability: 'normal'` opts out.
    db.pragma(`synchronous = ${this.options.durability === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.exec(INFERENCE_SCHEMA);
    db.exec(DEVICE_SCHEMA);
    db.exec(COMPARISON_SCHEMA);
    db.exec(FEEDBACK_SCHEMA);
    // A file made before offload records existed gets the table here.
    db.exec(OFFLOAD_TABLE.schema);
    addMissingColumns(db);
    OFFLOAD_TABLE.addMissingColumns(db);
    const insert = db.prepare(INSERT_INFERENCE);
    const insertOffload = db.prepare(OFFLOAD_TABLE.insert);
    // Inference and offload records share the device's one seq space, so (fleet, device, seq)
    // names one record across both tables: a record whose seq names one of the other kind is
    // refused (one lookup on the other table's primary key, in the same transaction).
    const inInference = db
      .prepare('SELECT 1 FROM inference WHERE fleet = ? AND device = ? AND seq = ?')
      .pluck();
    const inOffload = db
      .prepare(`SELECT 1 FROM ${OFFLOAD_TABLE.table} WHERE fleet = ? AND device = ? AND seq = ?`)
      .pluck();
    this.insertOffload = db.transaction(
      (fleet: string, device: string, records: readonly OffloadRecord[]) => {
        const receivedUs = nowUs();
        let inserted = 0;
        const seqConflicts: number[] = [];
        for (const r of records) {
          if (inInference.get(fleet, device, r.seq) !== undefined) seqConflicts.push(r.seq);
          else inserted += insertOffload.run(OFFLOAD_TABLE.toRowValues(fleet, device, r, receivedUs)).changes;
        }
        return {
          inserted,
          duplicates: records.length - inserted - seqConflicts.length,
          ...(seqConflicts.length > 0 ? { seqConflicts } : {}),
        };
      },
    );
    this.insertBatch = db.transaction(
      (fleet: string, device: string, records: readonly InferenceRecord[]) => {
        const receivedUs = nowUs();
        let inserted = 0;
        const seqConflicts: number[] = [];
        for (const r of records) {
          if (inOffload.get(fleet, device, r.seq) !== undefined) seqConflicts.push(r.seq);
          else inserted += insert.run(toRowValues(fleet, device, r, receivedUs)).changes;
        }
        return {
          inserted,
          duplicates: records.length - inserted - seqConflicts.length,
          ...(seqConflicts.length > 0 ? { seqConflicts } : {}),
        };
      },
    );
    this.db = db;
  }

  private get open(): Database.Database {
    if (this.db === undefined) throw new Error('SqliteStore used before connect()');
    return this.db;
  }

  async writeBatch(fleet: string, device: string, records: readonly InferenceRecord[]): Promise<WriteResult> {
    if (this.insertBatch === undefined) throw new Error('SqliteStore used before connect()');
    return this.insertBatch(fleet, device, records);
  }

  async writeOffload(fleet: string, device: string, records: readonly OffloadRecord[]): Promise<WriteResult> {
    if (this.insertOffload === undefined) throw new Error('SqliteStore used before connect()');
    return this.insertOffload(fleet, device, records);
  }

  /**
   * The last status received wins. Not the newest `atUs`: a last will carries the time its
   * connection began, yet it always comes after that connection's birth message, and the broker
   * delivers one topic's messages in order.
   */
  async writeStatus(fleet: string, status: StatusMessage): Promise<void> {
    this.open
      .prepare(
        `INSERT INTO device (fleet, device, state, status_seq, status_at_us, board, sensor, backend, model_id, variant, agent_version)
         VALUES (@fleet, @device, @state, @seq, @atUs, @board, @sensor, @backend, @modelId, @variant, @agentVersion)
         ON CONFLICT (fleet, device) DO UPDATE SET state = excluded.state, status_seq = excluded.status_seq,
           status_at_us = excluded.status_at_us, board = COALESCE(excluded.board, board),
           sensor = COALESCE(excluded.sensor, sensor), backend = COALESCE(excluded.backend, backend),
           model_id = COALESCE(excluded.model_id, model_id), variant = COALESCE(excluded.variant, variant),
           agent_version = COALESCE(excluded.agent_version, agent_version)`,
      )
      .run({
        fleet,
        device: status.device,
        state: status.state,
        seq: status.seq,
        atUs: status.atUs,
        board: status.board ?? null,
        sensor: status.sensor ?? null,
        backend: status.backend ?? null,
        modelId: status.modelId ?? null,
        variant: status.variant ?? null,
        agentVersion: status.agentVersion ?? null,
      });
  }

  async writeFeedback(fleet: string, feedback: FeedbackMessage): Promise<void> {
    this.open
      .prepare(
        `INSERT INTO feedback (fleet, device, seq, label, correct, at_us) VALUES (@fleet, @device, @seq, @label, @correct, @atUs)
         ON CONFLICT (fleet, device, seq) DO UPDATE SET label = excluded.label, correct = excluded.correct, at_us = excluded.at_us`,
      )
      .run({
        fleet,
        device: feedback.device,
        seq: feedback.seq,
        label: feedback.label,
        correct: feedback.correct ? 1 : 0,
        atUs: feedback.atUs,
      });
  }

  async highestSeq(fleet: string, device: string): Promise<number | null> {
    const row = this.open.prepare(HIGHEST_SEQ_QUERY).get({ fleet, device }) as { seq: number | null };
    return row.seq;
  }

  // Reads (queries in sqlite-read.ts). better-sqlite3 is synchronous, so these are too; the
  // RecordReader forms below wrap them for callers that read any store.

  summary(filter: RecordFilter = {}): DeviceSummary[] {
    const q = summaryQuery(filter);
    const rows = this.open.prepare(q.sql).all(q.params) as Omit<
      DeviceSummary,
      'windows' | 'energyStandardErrorJ'
    >[];
    return withWindowStats(rows, this.records(filter));
  }

  devices(filter: RecordFilter = {}): DeviceStatus[] {
    const q = devicesQuery(filter);
    return this.open.prepare(q.sql).all(q.params) as DeviceStatus[];
  }

  *records(filter: RecordFilter = {}): Iterable<StoredRecord> {
    const q = recordsQuery(INFERENCE_COLUMNS, filter);
    const rows = this.open.prepare(q.sql).iterate(q.params) as IterableIterator<
      Parameters<typeof fromRow>[0]
    >;
    for (const row of rows) yield fromRow(row);
  }

  count(filter: RecordFilter = {}): number {
    const q = countQuery(filter);
    return (this.open.prepare(q.sql).get(q.params) as { n: number }).n;
  }

  async *readRecords(filter: RecordFilter = {}): AsyncIterable<StoredRecord> {
    yield* this.records(filter);
  }

  async countRecords(filter: RecordFilter = {}): Promise<number> {
    return this.count(filter);
  }

  async readSummary(filter: RecordFilter = {}): Promise<DeviceSummary[]> {
    return this.summary(filter);
  }

  async readDevices(filter: RecordFilter = {}): Promise<DeviceStatus[]> {
    return this.devices(filter);
  }

  async *readFeedback(filter: RecordFilter = {}): AsyncIterable<StoredFeedback> {
    // A file made before feedback existed, opened read-only, has no such table.
    const table = this.open
      .prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'feedback'`)
      .get();
    if (table === undefined) return;
    const q = feedbackQuery(filter);
    const rows = this.open.prepare(q.sql).iterate(q.params) as IterableIterator<
      Omit<StoredFeedback, 'correct'> & { correct: number }
    >;
    for (const row of rows) yield { ...row, correct: row.correct === 1 };
  }

  /** Whether the file has the `offload` table (one made before it, opened read-only, has not). */
  private hasOffloadTable(): boolean {
    return (
      this.open.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'offload'`).get() !==
      undefined
    );
  }

  *offloadRecords(filter: RecordFilter = {}): Iterable<StoredOffloadRecord> {
    if (!this.hasOffloadTable()) return;
    const q = recordsQuery(OFFLOAD_TABLE.columns, filter, 'offload');
    const rows = this.open.prepare(q.sql).iterate(q.params) as IterableIterator<
      Parameters<typeof OFFLOAD_TABLE.fromRow>[0]
    >;
    for (const row of rows) yield OFFLOAD_TABLE.fromRow(row);
  }

  async *readOffload(filter: RecordFilter = {}): AsyncIterable<StoredOffloadRecord> {
    yield* this.offloadRecords(filter);
  }

  async countOffload(filter: RecordFilter = {}): Promise<number> {
    if (!this.hasOffloadTable()) return 0;
    const q = countQuery(filter, 'offload');
    return (this.open.prepare(q.sql).get(q.params) as { n: number }).n;
  }

  /** Writes life-cycle comparison results (table `comparison`, see sqlite-comparison.ts). */
  async writeComparison(results: readonly ComparisonResult[]): Promise<void> {
    insertComparisons(this.open, results);
  }

  comparisons(): ComparisonResult[] {
    return selectComparisons(this.open);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
