// The offload record's one field table: one input the device sent to an inference server
// (`edgewatt serve`) instead of running it, as the device measured it (round trip, its own energy
// over the whole request window, bytes at the application layer and on the socket) and as the
// server answered it (its energy per request and where that came from). Like RECORD_FIELDS, the
// codec, the stores, export and the dashboards are derived from this table (record-table.ts).
// Offload records share the device's one seq space with inference records: (device, seq) is
// unique across both kinds, so feedback joins either.

import { MAX_RECORD_ENERGY_J } from './limits.js';
import {
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
  US_PER_S,
  UW_PER_W,
} from './record-table.js';

const MAX_ENERGY_NJ = MAX_RECORD_ENERGY_J * NJ_PER_J;
/** Class indices: 2^31 bounds them far past any classifier's classes (as feedback labels). */
const MAX_CLASS_INDEX = 2 ** 31 - 1;

/** What happened to the request; anything but `ok` leaves the server fields out. */
export const OFFLOAD_OUTCOMES = [
  'ok',
  'timeout',
  'refused',
  'http-error',
  'connection-reset',
  'tls-error',
  'unreachable',
] as const;
export type OffloadOutcome = (typeof OFFLOAD_OUTCOMES)[number];

/** Where the server's energy per request came from (serve/ reports it with its answer). */
export const SERVER_ENERGY_PROVENANCES = ['rapl', 'nvml', 'estimated'] as const;
export type ServerEnergyProvenance = (typeof SERVER_ENERGY_PROVENANCES)[number];

/** The record's fields in wire, column and export order. New fields go at the end, optional. */
export const OFFLOAD_FIELDS = {
  seq: row({
    doc: 'Per-device sequence number, shared with inference records: (device, seq) is unique across both kinds.',
    unit: '',
    value: integer(0),
    optional: false,
    wire: { coding: 'implied-seq' },
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  startUs: row({
    doc: 'Wall-clock time the request was sent, microseconds since the Unix epoch.',
    unit: 'µs',
    value: integer(0),
    optional: false,
    wire: { coding: 'delta' },
    sql: 'INTEGER',
    influx: { as: 'timestamp' },
  }),
  modelId: row({
    doc: 'SHA-256 (hex) of the model artifact the device asked the server to run (the one it runs itself).',
    unit: '',
    value: text,
    optional: false,
    wire: column('modelId'),
    sql: 'TEXT',
    // As for inference records: 16 hex digits tell a fleet's models apart.
    influx: tag('model', 16),
  }),
  variant: row({
    doc: 'Model variant name, e.g. `dense`, `pruned-50`. Absent: not stated.',
    unit: '',
    value: text,
    optional: true,
    wire: column('variant'),
    sql: 'TEXT',
    influx: tag(),
  }),
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
    doc: 'Arm of the experiment the board was assigned to (an id).',
    unit: '',
    value: id,
    optional: true,
    wire: column('arm'),
    sql: 'TEXT',
    influx: tag(),
  }),
  inputSource: row({
    doc: 'What fed the input: `random`, `dir`, `dataset`, `mqtt`, `http`, `library` (as inference records).',
    unit: '',
    value: oneOf('random', 'dir', 'dataset', 'mqtt', 'http', 'library'),
    optional: true,
    wire: column('inputSource'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  roundTripS: row({
    doc: 'Request written → answer read (or the failure seen), device clock, seconds (resolution 1 µs).',
    unit: 's',
    value: integer(0),
    optional: false,
    wire: measured('roundTripUs', US_PER_S),
    sql: 'REAL',
    influx: field('float'),
  }),
  deviceEnergyJ: row({
    doc: "Gross energy of the device over the whole request window (radio and waiting), joules (1 nJ), by the device's sensor.",
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: false,
    wire: measured('deviceEnergyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  deviceEnergyUncertaintyJ: row({
    doc: 'Standard uncertainty (k = 1) of deviceEnergyJ, joules (resolution 1 nJ).',
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: false,
    wire: measured('deviceEnergyUncertaintyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  deviceBaselineW: row({
    doc: 'Idle baseline power of the device, watts (resolution 1 µW). Absent: not known.',
    unit: 'W',
    value: integer(0),
    optional: true,
    wire: measured('deviceBaselineUW', UW_PER_W),
    sql: 'REAL',
    influx: field('float'),
  }),
  energyProvenance: row({
    doc: 'Whether deviceEnergyJ was read from a sensor (`measured`) or computed from a model of the board (`estimated`).',
    unit: '',
    value: oneOf('measured', 'estimated'),
    optional: false,
    wire: column('energyProvenance'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  sensor: row({
    doc: 'What produced deviceEnergyJ, `kind[:board]`, e.g. `ina219`, `simulated:rpi4`.',
    unit: '',
    value: text,
    optional: false,
    wire: column('sensor'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  requestBytes: row({
    doc: 'Bytes of the request body (application layer).',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('requestBytes'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  responseBytes: row({
    doc: 'Bytes of the response body (application layer); 0 when none arrived.',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('responseBytes'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  socketBytesSent: row({
    doc: 'Bytes written to the TCP socket for this request: headers, TLS and protocol overhead included.',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('socketBytesSent'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  socketBytesReceived: row({
    doc: 'Bytes read from the TCP socket for this request: headers, TLS and protocol overhead included.',
    unit: 'B',
    value: integer(0),
    optional: false,
    wire: column('socketBytesReceived'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  outcome: row({
    doc:
      'What happened: `ok`, `timeout`, `refused` (429/503), `http-error` (other non-2xx), `connection-reset`, ' +
      '`tls-error`, `unreachable`. Server fields are present exactly when `ok`.',
    unit: '',
    value: oneOf(...OFFLOAD_OUTCOMES),
    optional: false,
    wire: column('outcome'),
    sql: 'TEXT',
    // Seven values; dashboards count by it.
    influx: tag(),
  }),
  httpStatus: row({
    doc: 'HTTP status of the answer, when one arrived (required for `refused` and `http-error`).',
    unit: '',
    value: integer(100, 599),
    optional: true,
    wire: column('httpStatus'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  fallback: row({
    doc: '`edge`: the input also ran on the device (an inference record with its own seq); `none`: it did not.',
    unit: '',
    value: oneOf('none', 'edge'),
    optional: false,
    wire: column('fallback'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  policy: row({
    doc:
      'Why the input was offloaded: `fixed` (--placement offload), `auto-comparison` (the latest comparison ' +
      'favoured offload), `auto-fallback` (auto tried the server after a fallback period), `auto-explore` ' +
      '(auto offloaded it anyway, --offload-explore, while the comparison kept inputs on the board: so ' +
      'that the offload side of the next comparison is measured). A new value: upgrade collectors first.',
    unit: '',
    value: oneOf('fixed', 'auto-comparison', 'auto-fallback', 'auto-explore'),
    optional: false,
    wire: column('policy'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  prediction: row({
    doc: "The server's answer (class index of the first input). Absent on failure.",
    unit: '',
    value: integer(0, MAX_CLASS_INDEX),
    optional: true,
    wire: column('prediction'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  serverId: row({
    doc: 'Identity of the server that answered (its configured id).',
    unit: '',
    value: text,
    optional: true,
    wire: column('serverId'),
    sql: 'TEXT',
    // Few servers per fleet; dashboards and analyses group by it.
    influx: tag('server'),
  }),
  serverRegion: row({
    doc: "Grid region the server runs in (its config), an id of the factor tables' grid intensities.",
    unit: '',
    value: text,
    optional: true,
    wire: column('serverRegion'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  serverPueClass: row({
    doc: "PUE class of the server's datacenter (its config), an id of the factor tables' PUE classes.",
    unit: '',
    value: text,
    optional: true,
    wire: column('serverPueClass'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  serverEnergyJ: row({
    doc: "The server's energy attributed to this request (its batch's compute energy / batch size), joules (1 nJ); idle share excluded.",
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: true,
    wire: measured('serverEnergyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  serverEnergyUncertaintyJ: row({
    doc: 'Standard uncertainty (k = 1) of serverEnergyJ, joules (resolution 1 nJ).',
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: true,
    wire: measured('serverEnergyUncertaintyNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  serverIdleShareJ: row({
    doc: "The server's idle power × the batch's wall time, this request's share, joules (1 nJ); reported apart from serverEnergyJ.",
    unit: 'J',
    value: integer(0, MAX_ENERGY_NJ),
    optional: true,
    wire: measured('serverIdleShareNJ', NJ_PER_J),
    sql: 'REAL',
    influx: field('float'),
  }),
  serverEnergyProvenance: row({
    doc: 'Where serverEnergyJ came from: `rapl`, `nvml` (measured) or `estimated` (a CPU power model, an ESTIMATE).',
    unit: '',
    value: oneOf(...SERVER_ENERGY_PROVENANCES),
    optional: true,
    wire: column('serverEnergyProvenance'),
    sql: 'TEXT',
    influx: field('string'),
  }),
  serverBatchSize: row({
    doc: "Requests in the server's batch that ran this one.",
    unit: '',
    value: integer(1),
    optional: true,
    wire: column('serverBatchSize'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
  serverLatencyS: row({
    doc: 'Server-side latency, arrival to answer, seconds (resolution 1 µs).',
    unit: 's',
    value: integer(0),
    optional: true,
    wire: measured('serverLatencyUs', US_PER_S),
    sql: 'REAL',
    influx: field('float'),
  }),
  label: row({
    doc:
      "The input's true class when the agent knew it as it sent the input (a labelled dataset, or a " +
      'label given with the input); absent: unknown. With `prediction` it says whether the answer was ' +
      'right; feedback given later for the same seq wins.',
    unit: '',
    value: integer(0, MAX_CLASS_INDEX),
    optional: true,
    wire: column('label'),
    sql: 'INTEGER',
    influx: field('integer'),
  }),
} as const satisfies Record<string, FieldSpec>;

export type OffloadFieldName = keyof typeof OFFLOAD_FIELDS;

/** One offloaded input as the device saw it: the table's rows as a type (docs in OFFLOAD_FIELDS). */
export type OffloadRecord = RecordOf<typeof OFFLOAD_FIELDS>;

export const OFFLOAD_FIELD_LIST: readonly TableField<OffloadFieldName>[] = tableFields(OFFLOAD_FIELDS);

export const OFFLOAD_FIELD_NAMES: readonly OffloadFieldName[] = OFFLOAD_FIELD_LIST.map((f) => f.name);

/** The fields the server's answer fills: present exactly when the outcome is `ok`. */
export const SERVER_FIELD_NAMES = [
  'serverId',
  'serverRegion',
  'serverPueClass',
  'serverEnergyJ',
  'serverEnergyUncertaintyJ',
  'serverIdleShareJ',
  'serverEnergyProvenance',
  'serverBatchSize',
  'serverLatencyS',
] as const satisfies readonly OffloadFieldName[];

/**
 * The rules between fields that one column's value kind cannot say: why the record is not a
 * consistent offload record (naming the field and its value), or null when it is.
 */
export function offloadRecordProblem(record: OffloadRecord): string | null {
  const { outcome } = record;
  if (outcome === 'ok') {
    const missing = SERVER_FIELD_NAMES.filter((name) => record[name] === undefined);
    if (missing.length > 0)
      return `outcome is "ok" but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} absent`;
    if (record.fallback !== 'none')
      return `fallback is "${record.fallback}" but outcome is "ok" (a fallback follows a failure)`;
    if (record.httpStatus !== undefined && (record.httpStatus < 200 || record.httpStatus > 299))
      return `httpStatus is ${record.httpStatus} but outcome is "ok" (expected 2xx)`;
    return null;
  }
  const present = SERVER_FIELD_NAMES.filter((name) => record[name] !== undefined);
  if (present.length > 0)
    return `outcome is "${outcome}" but ${present.map((name) => `${name} (${JSON.stringify(record[name])})`).join(', ')} ${present.length > 1 ? 'are' : 'is'} present: server fields come only with "ok"`;
  if (record.prediction !== undefined)
    return `outcome is "${outcome}" but prediction is ${record.prediction}: a failed request has no answer`;
  if ((outcome === 'refused' || outcome === 'http-error') && record.httpStatus === undefined)
    return `outcome is "${outcome}" but httpStatus is absent`;
  return null;
}
