// The SQLite store's `inference` table, derived from the record's field table
// (protocol/record-fields.ts) by sqlite-records.ts: its DDL, the columns added to files made by
// older releases, and the mapping between a record and a row.

import type Database from 'better-sqlite3';
import { type InferenceRecord, RECORD_FIELD_LIST } from '../../protocol/index.js';
import { type SqlValue, sqliteRecordTable } from './sqlite-records.js';
import type { StoredRecord } from './store.js';

const INFERENCE = sqliteRecordTable<StoredRecord>(
  'inference',
  RECORD_FIELD_LIST,
  'device.measured names a device without its fleet: the primary key, which starts with fleet, cannot\n' +
    'serve that, and each request scanned the whole table (20 s of CPU on 2 M rows; issue 12, item 3).\n' +
    'Ordered as the record query sorts once the device is fixed (fleet, seq), so nothing is sorted.',
);

/** Every column of `inference`, in order: where the record came from, its fields, when it was stored. */
export const INFERENCE_COLUMNS: readonly string[] = INFERENCE.columns;

export const INFERENCE_SCHEMA = INFERENCE.schema;

/** Adds the columns of optional fields that a file made by an older release lacks. */
export function addMissingColumns(db: Database.Database): void {
  INFERENCE.addMissingColumns(db);
}

export const INSERT_INFERENCE = INFERENCE.insert;

/** The values of INSERT_INFERENCE for one record, in INFERENCE_COLUMNS order. */
export function toRowValues(
  fleet: string,
  device: string,
  r: InferenceRecord,
  receivedUs: number,
): SqlValue[] {
  return INFERENCE.toRowValues(fleet, device, r, receivedUs);
}

/** A row of `SELECT INFERENCE_COLUMNS` back as a stored record; absent optional fields stay absent. */
export function fromRow(row: Record<string, SqlValue>): StoredRecord {
  return INFERENCE.fromRow(row);
}
