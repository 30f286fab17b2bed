// The SQLite store's `inference` table, derived from the record's field table
// (protocol/record-fields.ts): its DDL, the columns added to files made by older releases, and
// the mapping between a record and a row. Energies are REAL in joules: the decoder's doubles.

import type Database from 'better-sqlite3';
import { type FieldSpec, type InferenceRecord, RECORD_FIELD_LIST, snakeCase } from '../../protocol/index.js';
import type { StoredRecord } from './store.js';

interface SqlColumn {
  readonly field: (typeof RECORD_FIELD_LIST)[number]['name'];
  readonly column: string;
  readonly definition: string;
  readonly optional: boolean;
  readonly boolean: boolean;
}

function definition(spec: FieldSpec, column: string): string {
  // Optional fields are NULL when absent; correct is NULL when ground truth is unknown.
  const notNull = spec.optional || spec.value.kind === 'boolean-or-null' ? '' : ' NOT NULL';
  const check =
    spec.value.kind === 'enum'
      ? ` CHECK (${column} IN (${spec.value.values.map((v) => `'${v}'`).join(', ')}))`
      : '';
  return `${spec.sql}${notNull}${check}`;
}

const RECORD_COLUMNS: readonly SqlColumn[] = RECORD_FIELD_LIST.map((f) => {
  const column = snakeCase(f.name);
  return {
    field: f.name,
    column,
    definition: definition(f, column),
    optional: f.optional,
    boolean: f.value.kind === 'boolean-or-null',
  };
});

/** Every column of `inference`, in order: where the record came from, its fields, when it was stored. */
export const INFERENCE_COLUMNS: readonly string[] = [
  'fleet',
  'device',
  ...RECORD_COLUMNS.map((c) => c.column),
  'received_us',
];

export const INFERENCE_SCHEMA = `
CREATE TABLE IF NOT EXISTS inference (
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
${RECORD_COLUMNS.map((c) => `  ${c.column} ${c.definition},`).join('\n')}
  received_us INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, ${snakeCase('seq')})
) WITHOUT ROWID;
-- device.measured names a device without its fleet: the primary key, which starts with fleet, cannot
-- serve that, and each request scanned the whole table (20 s of CPU on 2 M rows; issue 12, item 3).
-- Ordered as the record query sorts once the device is fixed (fleet, seq), so nothing is sorted.
CREATE INDEX IF NOT EXISTS inference_by_device ON inference (device, fleet, ${snakeCase('seq')});
`;

/**
 * Adds the columns of optional fields that a file made by an older release lacks. Every field
 * added after the first release is optional, so its column is nullable and can be added in place.
 */
export function addMissingColumns(db: Database.Database): void {
  const existing = new Set(
    (db.prepare('PRAGMA table_info(inference)').all() as { name: string }[]).map((c) => c.name),
  );
  for (const c of RECORD_COLUMNS) {
    if (c.optional && !existing.has(c.column)) {
      db.exec(`ALTER TABLE inference ADD COLUMN ${c.column} ${c.definition}`);
    }
  }
}

export const INSERT_INFERENCE = `INSERT OR IGNORE INTO inference (${INFERENCE_COLUMNS.join(', ')}) VALUES (${INFERENCE_COLUMNS.map(() => '?').join(', ')})`;

type SqlValue = number | string | null;

/** The values of INSERT_INFERENCE for one record, in INFERENCE_COLUMNS order. */
export function toRowValues(
  fleet: string,
  device: string,
  r: InferenceRecord,
  receivedUs: number,
): SqlValue[] {
  const values: SqlValue[] = [fleet, device];
  for (const c of RECORD_COLUMNS) {
    const value = r[c.field] as number | string | boolean | null | undefined;
    values.push(
      value === undefined || value === null ? null : c.boolean ? (value ? 1 : 0) : (value as SqlValue),
    );
  }
  values.push(receivedUs);
  return values;
}

/** A row of `SELECT INFERENCE_COLUMNS` back as a stored record; absent optional fields stay absent. */
export function fromRow(row: Record<string, SqlValue>): StoredRecord {
  const record: Record<string, unknown> = { fleet: row.fleet, device: row.device };
  for (const c of RECORD_COLUMNS) {
    const value = row[c.column] ?? null;
    if (value === null && c.optional) continue;
    record[c.field] = c.boolean && value !== null ? value === 1 : value;
  }
  record.receivedUs = row.received_us;
  return record as unknown as StoredRecord;
}
