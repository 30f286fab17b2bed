// What a record table is: the rows (name, meaning, unit, value kind, optional or not, wire column
// and integer scale, SQLite type, InfluxDB placement) of one kind of record, and the derivations
// every table shares (the record type, the rows in order, column names). The inference record
// (record-fields.ts) and the offload record (offload-fields.ts) are two tables of these rows; the
// codec, the stores, export and the dashboards are built from whichever table they are given.

/** What values a field may take, as they travel on the wire (integers in the wire's unit). */
export type ValueKind<T> = { readonly type?: T } & (
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  /** 1..MAX_TEXT_LENGTH characters. */
  | { readonly kind: 'text' }
  /** The id rules of fleets and devices (idProblem): a safe tag value, a safe file name. */
  | { readonly kind: 'id' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'boolean-or-null' }
);

/**
 * How a field travels in a batch. `column`: one value for the batch or one per
 * record, at `scale` wire units per SI unit (energyJ × 1e9 = energyNJ); `rounded` columns are
 * measurements the wire rounds to its resolution (others must already be integers). seq and startUs have
 * their own codings: the first seq implies the rest; start times are delta-coded.
 */
export type WireCoding =
  | { readonly coding: 'column'; readonly name: string; readonly scale: number; readonly rounded: boolean }
  | { readonly coding: 'implied-seq' }
  | { readonly coding: 'delta' };

/**
 * Where a field goes in InfluxDB (the table's measurement, see measurements.ts):
 * - `tag`: series identity, low cardinality. `key` renames it; `shorten` keeps its first characters.
 * - `field`: a typed value per point; left out when the record has none or it equals `omit`.
 * - `io`: measurement `inference_io`, one point per run of records with equal io values (these
 *   change per call, not per inference, and InfluxDB's write cost grows with fields per point;
 *   inference records only).
 * - `timestamp`: the point's time.
 */
/** `boolean-01`: 1i/0i, so that mean() gives a rate; `string`: a quoted string field. */
export type InfluxFieldType = 'integer' | 'float' | 'boolean-01' | 'string';

export type InfluxPlacement =
  | { readonly as: 'tag'; readonly key?: string; readonly shorten?: number }
  | { readonly as: 'field'; readonly type: InfluxFieldType; readonly omit?: unknown }
  | { readonly as: 'io' }
  | { readonly as: 'timestamp' };

export type SqlType = 'INTEGER' | 'REAL' | 'TEXT';

export interface FieldSpec<T = unknown, Optional extends boolean = boolean> {
  /** What the field means; shown in docs and export. */
  readonly doc: string;
  /** SI unit of the record's value ('' for counts, names and flags). */
  readonly unit: string;
  readonly value: ValueKind<T>;
  /**
   * Optional fields may be absent from a record and from a whole batch (older publishers).
   * Every field added after the first release is optional, so older files and senders still fit.
   */
  readonly optional: Optional;
  /** What an absent optional value means (filled in on the wire when some records have it). */
  readonly absent?: T;
  readonly wire: WireCoding;
  /** Column type in SQLite; the column is `snake_case` of the name (sqlColumn()). */
  readonly sql: SqlType;
  readonly influx: InfluxPlacement;
}

export const integer = (min: number, max = Number.MAX_SAFE_INTEGER): ValueKind<number> => ({
  kind: 'integer',
  min,
  max,
});
export const text: ValueKind<string> = { kind: 'text' };
export const id: ValueKind<string> = { kind: 'id' };
export const oneOf = <const V extends string>(...values: V[]): ValueKind<V> => ({ kind: 'enum', values });
export const booleanOrNull: ValueKind<boolean | null> = { kind: 'boolean-or-null' };
export const column = (name: string): WireCoding => ({ coding: 'column', name, scale: 1, rounded: false });
/** A measurement sent as an integer of `scale` wire units per SI unit, rounded to that resolution. */
export const measured = (name: string, scale = 1): WireCoding => ({
  coding: 'column',
  name,
  scale,
  rounded: true,
});
export const tag = (key?: string, shorten?: number): InfluxPlacement =>
  key === undefined
    ? { as: 'tag' }
    : shorten === undefined
      ? { as: 'tag', key }
      : { as: 'tag', key, shorten };
export const field = (type: InfluxFieldType, omit?: unknown): InfluxPlacement =>
  omit === undefined ? { as: 'field', type } : { as: 'field', type, omit };

/** Types a row: the value kind gives the TypeScript type, `optional` whether it may be absent. */
export const row = <T, const O extends boolean>(spec: FieldSpec<T, O>): FieldSpec<T, O> => spec;

/** Integer wire units per SI unit of the tables' measurements. */
export const NJ_PER_J = 1e9;
export const UW_PER_W = 1e6;
export const US_PER_S = 1e6;

/** A table of rows by field name. */
export type RecordTable = Readonly<Record<string, FieldSpec>>;

type ValueOf<F> = F extends FieldSpec<infer T, boolean> ? T : never;
type RequiredName<Table extends RecordTable> = {
  [K in keyof Table]: Table[K]['optional'] extends true ? never : K;
}[keyof Table];

/** A table's rows as a record type: required fields, then optional ones (`?`). */
export type RecordOf<Table extends RecordTable> = {
  [K in RequiredName<Table>]: ValueOf<Table[K]>;
} & {
  [K in Exclude<keyof Table, RequiredName<Table>>]?: ValueOf<Table[K]>;
} extends infer R
  ? { [K in keyof R]: R[K] }
  : never;

/** A row with its name: what derivations loop over. */
export type TableField<Name extends string = string> = FieldSpec & { readonly name: Name };

/** The table's rows with their names, in order (which is the order of columns on the wire). */
export function tableFields<Table extends RecordTable>(
  table: Table,
): readonly TableField<Extract<keyof Table, string>>[] {
  return Object.entries(table).map(([name, spec]) => ({
    ...(spec as FieldSpec),
    name: name as Extract<keyof Table, string>,
  }));
}

/** `energyUncertaintyJ` → `energy_uncertainty_j`: the SQLite column and InfluxDB key of a field. */
export const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
