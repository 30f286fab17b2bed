// A SQLite table of records derived from a record table (protocol/record-table.ts): its DDL, the
// columns added to files made by older releases, and the mapping between a record and a row.
// The `inference` table (sqlite-inference.ts) and the `offload` table (sqlite-offload.ts) are two
// instances. Energies are REAL in joules: the decoder's doubles.

import type Database from 'better-sqlite3';
import { type FieldSpec, snakeCase, type TableField } from '../../protocol/index.js';

interface SqlColumn {
  readonly field: string;
  readonly column: string;
  readonly definition: string;
  readonly optional: boolean;
  readonly boolean: boolean;
}

export type SqlValue = number | string | null;

function definition(spec: FieldSpec, column: string): string {
  // Optional fields are NULL when absent; correct is NULL when ground truth is unknown.
  const notNull = spec.optional || spec.value.kind === 'boolean-or-null' ? '' : ' NOT NULL';
  const check =
    spec.value.kind === 'enum'
      ? ` CHECK (${column} IN (${spec.value.values.map((v) => `'${v}'`).join(', ')}))`
      : '';
  return `${spec.sql}${notNull}${check}`;
}

export interface SqliteRecordTable<Stored> {
  readonly table: string;
  /** Every column, in order: where the record came from, its fields, when it was stored. */
  readonly columns: readonly string[];
  /** CREATE TABLE (primary key fleet, device, seq: a redelivered record is ignored) and its index. */
  readonly schema: string;
  /** `INSERT OR IGNORE` of `columns`. */
  readonly insert: string;
  /** Adds the columns of optional fields that a file made by an older release lacks. */
  addMissingColumns(db: Database.Database): void;
  /** The values of `insert` for one record, in `columns` order. */
  toRowValues(fleet: string, device: string, record: object, receivedUs: number): SqlValue[];
  /** A row of `SELECT columns` back as a stored record; absent optional fields stay absent. */
  fromRow(row: Record<string, SqlValue>): Stored;
}

export function sqliteRecordTable<Stored>(
  table: string,
  fields: readonly TableField[],
  /** Why the index exists, in the DDL's words (the by-device lookups of `device.measured`). */
  indexComment: string,
): SqliteRecordTable<Stored> {
  const sqlColumns: SqlColumn[] = fields.map((f) => {
    const column = snakeCase(f.name);
    return {
      field: f.name,
      column,
      definition: definition(f, column),
      optional: f.optional,
      boolean: f.value.kind === 'boolean-or-null',
    };
  });
  const columns = ['fleet', 'device', ...sqlColumns.map((c) => c.column), 'received_us'];
  const schema = `
CREATE TABLE IF NOT EXISTS ${table} (
  fleet TEXT NOT NULL,
  device TEXT NOT NULL,
${sqlColumns.map((c) => `  ${c.column} ${c.definition},`).join('\n')}
  received_us INTEGER NOT NULL,
  PRIMARY KEY (fleet, device, ${snakeCase('seq')})
) WITHOUT ROWID;
${indexComment
  .split('\n')
  .map((line) => `-- ${line}`)
  .join('\n')}
CREATE INDEX IF NOT EXISTS ${table}_by_device ON ${table} (device, fleet, ${snakeCase('seq')});
`;
  return {
    table,
    columns,
    schema,
    insert: `INSERT OR IGNORE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    addMissingColumns(db) {
      const existing = new Set(
        (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name),
      );
      for (const c of sqlColumns) {
        // Every field added after the first release is optional: nullable, so added in place.
        if (c.optional && !existing.has(c.column))
          db.exec(`ALTER TABLE ${table} ADD COLUMN ${c.column} ${c.definition}`);
      }
    },
    toRowValues(fleet, device, record, receivedUs) {
      const r = record as Record<string, unknown>;
      const values: SqlValue[] = [fleet, device];
      for (const c of sqlColumns) {
        const value = r[c.field] as number | string | boolean | null | undefined;
        values.push(
          value === undefined || value === null ? null : c.boolean ? (value ? 1 : 0) : (value as SqlValue),
        );
      }
      values.push(receivedUs);
      return values;
    },
    fromRow(row) {
      const record: Record<string, unknown> = { fleet: row.fleet, device: row.device };
      for (const c of sqlColumns) {
        const value = row[c.column] ?? null;
        if (value === null && c.optional) continue;
        record[c.field] = c.boolean && value !== null ? value === 1 : value;
      }
      record.receivedUs = row.received_us;
      return record as Stored;
    },
  };
}
