// Embedded SQLite store (better-sqlite3): one file, WAL journal, one transaction per batch, and a
// primary key on (fleet, device, seq) so a redelivered record is ignored, not duplicated.
// The `inference` table comes from the record's field table (sqlite-inference.ts); life-cycle
// comparison results go to a `comparison` table (sqlite-comparison.ts).

import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { InferenceRecord, StatusMessage } from '../../protocol/index.js';
import type { ComparisonResult } from '../lifecycle/comparison-result.js';
import { COMPARISON_SCHEMA, insertComparisons, selectComparisons } from './sqlite-comparison.js';
import {
  addMissingColumns,
  fromRow,
  INFERENCE_COLUMNS,
  INFERENCE_SCHEMA,
  INSERT_INFERENCE,
  toRowValues,
} from './sqlite-inference.js';
import {
  type DeviceStatus,
  type DeviceSummary,
  type QueryableStore,
  StoreConfigError,
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

export class SqliteStore implements QueryableStore {
  private db: Database.Database | undefined;
  private insertBatch:
    | ((fleet: string, device: string, records: readonly InferenceRecord[]) => WriteResult)
    | undefined;

  constructor(
    readonly path: string,
    private readonly options: { readOnly?: boolean } = {},
  ) {}

  async connect(): Promise<void> {
    if (this.options.readOnly === true) {
      if (!existsSync(this.path)) {
        throw new StoreConfigError(`SQLite store ${this.path} does not exist; check the --store path`);
      }
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
      return;
    }
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(INFERENCE_SCHEMA);
    db.exec(DEVICE_SCHEMA);
    db.exec(COMPARISON_SCHEMA);
    addMissingColumns(db);
    const insert = db.prepare(INSERT_INFERENCE);
    this.insertBatch = db.transaction(
      (fleet: string, device: string, records: readonly InferenceRecord[]) => {
        const receivedUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
        let inserted = 0;
        for (const r of records) {
          inserted += insert.run(toRowValues(fleet, device, r, receivedUs)).changes;
        }
        return { inserted, duplicates: records.length - inserted };
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

  summary(): DeviceSummary[] {
    const rows = this.open
      .prepare(
        `SELECT i.fleet, i.device, d.board, d.state, i.model_id AS modelId, i.variant, i.backend, i.sensor, i.provenance,
                COUNT(*) AS inferences, AVG(i.duration_us) AS meanDurationUs, AVG(i.energy_j) AS meanEnergyJ,
                AVG(i.energy_j - i.baseline_w * i.duration_us / 1e6) AS meanMarginalEnergyJ,
                AVG(i.energy_uncertainty_j) AS meanUncertaintyJ
         FROM inference i LEFT JOIN device d ON d.fleet = i.fleet AND d.device = i.device
         GROUP BY i.fleet, i.device, i.model_id, i.variant, i.backend, i.sensor, i.provenance
         ORDER BY i.fleet, i.device`,
      )
      .all() as Omit<DeviceSummary, 'windows' | 'energyStandardErrorJ'>[];
    return withWindowStats(rows, this.records());
  }

  devices(): DeviceStatus[] {
    return this.open
      .prepare(
        `SELECT fleet, device, state, status_seq AS statusSeq, status_at_us AS statusAtUs, board, sensor, backend,
                model_id AS modelId, variant, agent_version AS agentVersion
         FROM device ORDER BY fleet, device`,
      )
      .all() as DeviceStatus[];
  }

  *records(): Iterable<StoredRecord> {
    const rows = this.open
      .prepare(`SELECT ${INFERENCE_COLUMNS.join(', ')} FROM inference ORDER BY fleet, device, seq`)
      .iterate() as IterableIterator<Parameters<typeof fromRow>[0]>;
    for (const row of rows) yield fromRow(row);
  }

  count(): number {
    return (this.open.prepare('SELECT COUNT(*) AS n FROM inference').get() as { n: number }).n;
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
