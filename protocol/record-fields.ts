// The inference record's one field table. Every place that knows the record's fields takes them
// from here: its TypeScript type, the wire columns and their integer units (codec/wire.ts), the
// fast check (codec/fast-check.ts), the SQLite schema and row mapping, the InfluxDB points
// (measurements.ts, the collector's line builder), the export columns and the dashboards.
// Adding a field is adding a row here (docs/architecture.md, "Adding a record field").

import { MAX_RECORD_ENERGY_J } from './limits.js';

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
 * How a field travels in an inference batch. `column`: one value for the batch or one per
 * record, at `scale` wire units per SI unit (energyJ × 1e9 = energyNJ); `rounded` columns are
 * measurements the wire rounds to its resolution (others must already be integers). seq and startUs have
 * their own codings: the first seq implies the rest; start times are delta-coded.
 */
export type WireCoding =
  | { readonly coding: 'column'; readonly name: string; readonly scale: number; readonly rounded: boolean }
  | { readonly coding: 'implied-seq' }
  | { readonly coding: 'delta' };

/**
 * Where a field goes in InfluxDB (measurement `inference`, see measurements.ts):
 * - `tag`: series identity, low cardinality. `key` renames it; `shorten` keeps its first characters.
 * - `field`: a typed value per point; left out when the record has none or it equals `omit`.
 * - `io`: measurement `inference_io`, one point per run of records with equal io values (these
 *   change per call, not per inference, and InfluxDB's write cost grows with fields per point).
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

const integer = (min: number, max = Number.MAX_SAFE_INTEGER): ValueKind<number> => ({
  kind: 'integer',
  min,
  max,
});
const text: ValueKind<string> = { kind: 'text' };
const id: ValueKind<string> = { kind: 'id' };
const oneOf = <const V extends string>(...values: V[]): ValueKind<V> => ({ kind: 'enum', values });
const booleanOrNull: ValueKind<boolean | null> = { kind: 'boolean-or-null' };
const column = (name: string): WireCoding => ({ coding: 'column', name, scale: 1, rounded: false });
/** A measurement sent as an integer of `scale` wire units per SI unit, rounded to that resolution. */
const measured = (name: string, scale = 1): WireCoding => ({ coding: 'column', name, scale, rounded: true });
const tag = (key?: string, shorten?: number): InfluxPlacement =>
  key === undefined
    ? { as: 'tag' }
    : shorten === undefined
      ? { as: 'tag', key }
      : { as: 'tag', key, shorten };
const field = (type: InfluxFieldType, omit?: unknown): InfluxPlacement =>
  omit === undefined ? { as: 'field', type } : { as: 'field', type, omit };

/** Types a row: the value kind gives the TypeScript type, `optional` whether it may be absent. */
const row = <T, const O extends boolean>(spec: FieldSpec<T, O>): FieldSpec<T, O> => spec;

const NJ_PER_J = 1e9;
const UW_PER_W = 1e6;
const MAX_ENERGY_NJ = MAX_RECORD_ENERGY_J * NJ_PER_J;

/** The record's fields in wire, column and export order. New fields go at the end. */
export const RECORD_FIELDS = {
  seq: row({
    doc: 'Per-device sequence number; increases across agent restarts, never reused.',
    unit: '',
    value: integer(0),
    optional: false,
    wire: { coding: 'implied-seq' },
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  startUs: row({
    doc: 'Wall-clock start of the inference, microseconds since the Unix epoch.',
    unit: 'µs',
    value: integer(0),
    optional: false,
    wire: { coding: 'delta' },
    sql: 'INTEGER',
    influx: { as: 'timestamp' },
  }),
  durationUs: row({
    doc: 'Wall-clock duration, microseconds, > 0.',
    unit: 'µs',
    value: integer(1),
    optional: false,
    wire: measured('durationUs'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  energyJ: row({
    doc: 'Gross energy of the device over [start, start + duration], joules (resolution 1 nJ).',
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: false,
    wire: measured('energyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  energyUncertaintyJ: row({
    doc: 'Standard uncertainty (k = 1) of energyJ, joules (resolution 1 nJ).',
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: false,
    wire: measured('energyUncertaintyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  baselineW: row({
    doc: 'Idle baseline power of the device, watts (resolution 1 µW); marginal = energyJ − baselineW × duration.',
    unit: 'W',
    value: integer(0),
    optional: false,
    wire: measured('baselineUW', UW_PER_W),
    sql: 'REAL',
    influx: field('float'),
  }),
  sampleCount: row({
    doc: 'Number of sensor samples inside the window; 0 for an estimate.',
    unit: '',
    value: integer(0),
    optional: false,
    wire: column('sampleCount'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  provenance: row({
    doc: 'Whether energyJ was read from a sensor or computed from a model of the board.',
    unit: '',
    value: oneOf('measured', 'estimated'),
    optional: false,
    wire: column('provenance'),
    sql: 'TEXT',
    influx: tag(),
  }),
  sensor: row({
    doc: 'What produced energyJ, `kind[:board]`, e.g. `ina219`, `simulated:rpi4`.',
    unit: '',
    value: text,
    optional: false,
    wire: column('sensor'),
    sql: 'TEXT',
    influx: tag(),
  }),
  modelId: row({
    doc: 'SHA-256 (hex) of the model artifact that ran.',
    unit: '',
    value: text,
    optional: false,
    wire: column('modelId'),
    sql: 'TEXT',
    // The first 16 hex digits tell a fleet's models apart, at a quarter of the series key.
    influx: tag('model', 16),
  }),
  variant: row({
    doc: 'Model variant name, e.g. `dense`, `pruned-50`.',
    unit: '',
    value: text,
    optional: false,
    wire: column('variant'),
    sql: 'TEXT',
    influx: tag(),
  }),
  backend: row({
    doc: 'Runtime backend that ran the model, e.g. `wasm`, `tensorflow`, `cpu`.',
    unit: '',
    value: text,
    optional: false,
    wire: column('backend'),
    sql: 'TEXT',
    influx: tag(),
  }),
  batchSize: row({
    doc: 'Inputs per inference call.',
    unit: '',
    value: integer(1),
    optional: false,
    wire: column('batchSize'),
    sql: 'INTEGER',
    influx: { as: 'io' },
  }),
  inputBytes: row({
    doc: 'Bytes of the input tensor(s).',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('inputBytes'),
    sql: 'INTEGER',
    influx: { as: 'io' },
  }),
  outputBytes: row({
    doc: 'Bytes of the output tensor(s).',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('outputBytes'),
    sql: 'INTEGER',
    influx: { as: 'io' },
  }),
  correct: row({
    doc: 'Whether the answer was right, when ground truth is known; otherwise null.',
    unit: '',
    value: booleanOrNull,
    optional: false,
    wire: column('correct'),
    sql: 'INTEGER',
    // 0/1 so that mean() gives accuracy; absent (not false) when ground truth is unknown.
    influx: field('boolean-01', null),
  }),
  method: row({
    doc:
      'How energyJ was attributed: `single` (one inference in the sensor window) or `batched` (a window ' +
      'of `windowInferences` back-to-back inferences, its energy divided by N, as MLPerf Tiny does).',
    unit: '',
    value: oneOf('single', 'batched'),
    optional: true,
    absent: 'single',
    wire: column('method'),
    sql: 'TEXT',
    // Written as `single` when absent: the tag was there from the start, series keep their identity.
    influx: tag(),
  }),
  windowInferences: row({
    doc: 'Inferences in the measured window (1 for single).',
    unit: '',
    value: integer(1),
    optional: true,
    absent: 1,
    wire: column('windowInferences'),
    sql: 'INTEGER',
    // Only batched windows hold more than one inference.
    influx: field('integer', 1),
  }),
  // Experiment fields are tags in InfluxDB: an analysis filters and groups by them (WHERE
  // experiment = …, GROUP BY arm), which InfluxQL only does well on tags, and they are low
  // cardinality: a few experiments of a few arms, ids of at most 64 characters, and a record is in
  // one arm at a time. Absent, they are left out of the series key, so records outside any
  // experiment stay in the series they had before these fields existed.
  experiment: row({
    doc: 'Experiment the record belongs to (an id), when the board runs one.',
    unit: '',
    value: id,
    optional: true,
    wire: column('experiment'),
    sql: 'TEXT',
    influx: tag(),
  }),
  arm: row({
    doc: 'Arm of the experiment (model variant × placement) the board was assigned to (an id).',
    unit: '',
    value: id,
    optional: true,
    wire: column('arm'),
    sql: 'TEXT',
    influx: tag(),
  }),
  placement: row({
    doc: 'Where the inference ran: `edge` (on the device) or `offload` (sent to a server). Absent: not stated.',
    unit: '',
    value: oneOf('edge', 'offload'),
    optional: true,
    wire: column('placement'),
    sql: 'TEXT',
    influx: tag(),
  }),
  baselineUncertaintyW: row({
    doc:
      'Standard uncertainty (k = 1) of baselineW, watts (resolution 1 µW): the spread of the idle gaps it was ' +
      're-measured in, or the start-up reading’s. Absent: not known (older agents, estimates).',
    unit: 'W',
    value: integer(0),
    optional: true,
    wire: measured('baselineUncertaintyUW', UW_PER_W),
    sql: 'REAL',
    influx: field('float'),
  }),
  inputSource: row({
    doc:
      'What fed the inference its input: `random` (the agent’s seeded load generator), `dir` (files of a folder), ' +
      '`dataset` (a labelled dataset), `mqtt` (inputs sent on the device’s topic), `http` (the local ' +
      'inference API), `library` (agent.infer() in the application’s process). Absent: not stated (older agents).',
    unit: '',
    value: oneOf('random', 'dir', 'dataset', 'mqtt', 'http', 'library'),
    optional: true,
    wire: column('inputSource'),
    sql: 'TEXT',
    // A tag: six values at most, and analyses group by it (accuracy of real use vs a dataset).
    // Absent, it is left out of the series key, so older records keep their series.
    influx: tag(),
  }),
} as const satisfies Record<string, FieldSpec>;

type Fields = typeof RECORD_FIELDS;
export type RecordFieldName = keyof Fields;
type ValueOf<F> = F extends FieldSpec<infer T, boolean> ? T : never;
type RequiredName = {
  [K in RecordFieldName]: Fields[K]['optional'] extends true ? never : K;
}[RecordFieldName];
type OptionalName = Exclude<RecordFieldName, RequiredName>;

/** One inference as the agent saw it: the table's rows as a type (docs in RECORD_FIELDS). */
export type InferenceRecord = { [K in RequiredName]: ValueOf<Fields[K]> } & {
  [K in OptionalName]?: ValueOf<Fields[K]>;
} extends infer R
  ? { [K in keyof R]: R[K] }
  : never;

/** The table's rows with their names, in order: what derivations loop over. */
export const RECORD_FIELD_LIST: readonly (FieldSpec & { readonly name: RecordFieldName })[] = Object.entries(
  RECORD_FIELDS,
).map(([name, spec]) => ({ ...(spec as FieldSpec), name: name as RecordFieldName }));

export const RECORD_FIELD_NAMES: readonly RecordFieldName[] = RECORD_FIELD_LIST.map((f) => f.name);

/** `energyUncertaintyJ` → `energy_uncertainty_j`: the SQLite column and InfluxDB key of a field. */
export const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
