// The inference record's one field table. Every place that knows the record's fields takes them
// from here: its TypeScript type, the wire columns and their integer units (codec/wire.ts), the
// fast check (codec/fast-check.ts), the SQLite schema and row mapping, the InfluxDB points
// (measurements.ts, the collector's line builder), the export columns and the dashboards.
// Adding a field is adding a row here (docs/architecture.md, "Adding a record field"). What a
// row is, and the derivations every record table shares, are in record-table.ts.

import { MAX_RECORD_ENERGY_J } from './limits.js';
import {
  booleanOrNull,
  column,
  type FieldSpec,
  field,
  id,
  integer,
  measured,
  NJ_PER_J,
  oneOf,
  type RecordOf,
  row,
  type TableField,
  tableFields,
  tag,
  text,
  UW_PER_W,
} from './record-table.js';

export type {
  FieldSpec,
  InfluxFieldType,
  InfluxPlacement,
  RecordOf,
  RecordTable,
  SqlType,
  TableField,
  ValueKind,
  WireCoding,
} from './record-table.js';
export { snakeCase } from './record-table.js';

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

export type RecordFieldName = keyof typeof RECORD_FIELDS;

/** One inference as the agent saw it: the table's rows as a type (docs in RECORD_FIELDS). */
export type InferenceRecord = RecordOf<typeof RECORD_FIELDS>;

/** The table's rows with their names, in order: what derivations loop over. */
export const RECORD_FIELD_LIST: readonly TableField<RecordFieldName>[] = tableFields(RECORD_FIELDS);

export const RECORD_FIELD_NAMES: readonly RecordFieldName[] = RECORD_FIELD_LIST.map((f) => f.name);
