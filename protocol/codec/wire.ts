// The on-wire shape of messages, shared by the CBOR and JSON codecs. An inference batch travels
// as columns: each field is either one value for the whole batch or one value per record, numbers
// are integers in small units (nJ, µW, µs), start times are delta-coded and sequence numbers are
// implied by the first one. That is what brings a record under 32 bytes at batch 100.

import { z } from 'zod';
import { fail, ok, ProtocolError, type Result } from '../errors.js';
import { MAX_BATCH_RECORDS, MAX_RECORD_ENERGY_J, MAX_TEXT_LENGTH } from '../limits.js';
import {
  type InferenceBatch,
  type InferenceRecord,
  type Message,
  PROTOCOL_VERSION,
  type StatusMessage,
} from '../messages.js';
import { idProblem } from '../topics.js';
import { certainlyValidInference } from './fast-check.js';

const NJ_PER_J = 1e9;
const UW_PER_W = 1e6;
const MAX_ENERGY_NJ = MAX_RECORD_ENERGY_J * NJ_PER_J;

/** Rounds a record to the resolution the wire carries, so that it survives a round trip unchanged. */
export function quantizeRecord(record: InferenceRecord): InferenceRecord {
  return {
    ...record,
    startUs: Math.round(record.startUs),
    durationUs: Math.round(record.durationUs),
    energyJ: Math.round(record.energyJ * NJ_PER_J) / NJ_PER_J,
    energyUncertaintyJ: Math.round(record.energyUncertaintyJ * NJ_PER_J) / NJ_PER_J,
    baselineW: Math.round(record.baselineW * UW_PER_W) / UW_PER_W,
  };
}

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const text = z.string().min(1).max(MAX_TEXT_LENGTH);
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const positiveInt = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A column: one value for every record, or an array with one value per record. */
const column = <T extends z.ZodType>(value: T) => z.union([value, z.array(value).max(MAX_BATCH_RECORDS)]);

const wireInference = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('inference'),
  device: id,
  seq: uint,
  startUs: z
    .array(z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER))
    .min(1)
    .max(MAX_BATCH_RECORDS),
  durationUs: column(positiveInt),
  energyNJ: column(uint.max(MAX_ENERGY_NJ)),
  energyUncertaintyNJ: column(uint.max(MAX_ENERGY_NJ)),
  baselineUW: column(uint),
  sampleCount: column(uint),
  provenance: column(z.enum(['measured', 'estimated'])),
  sensor: column(text),
  modelId: column(text),
  variant: column(text),
  backend: column(text),
  batchSize: column(positiveInt),
  inputBytes: column(uint),
  outputBytes: column(uint),
  correct: column(z.boolean().nullable()),
  // Optional columns: absent means every record is a single-inference window.
  method: column(z.enum(['single', 'batched'])).optional(),
  windowInferences: column(positiveInt).optional(),
});
type WireInference = z.infer<typeof wireInference>;

/** The schema's own verdict on an inference batch's wire shape (tests compare the fast check with it). */
export function schemaAcceptsInference(value: unknown): boolean {
  return wireInference.safeParse(value).success;
}

const wireStatus = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('status'),
  device: id,
  state: z.enum(['online', 'offline']),
  seq: uint,
  atUs: uint,
  board: text.optional(),
  sensor: text.optional(),
  backend: text.optional(),
  modelId: text.optional(),
  variant: text.optional(),
  agentVersion: text.optional(),
  birth: uint.optional(),
});

const COLUMN_FIELDS = [
  'durationUs',
  'energyNJ',
  'energyUncertaintyNJ',
  'baselineUW',
  'sampleCount',
  'provenance',
  'sensor',
  'modelId',
  'variant',
  'backend',
  'batchSize',
  'inputBytes',
  'outputBytes',
  'correct',
] as const satisfies readonly (keyof WireInference)[];
type ColumnField = (typeof COLUMN_FIELDS)[number];
type ColumnValue = number | string | boolean | null;

/** Record values of one column in wire units. */
function wireValue(record: InferenceRecord, field: ColumnField): ColumnValue {
  switch (field) {
    case 'energyNJ':
      return Math.round(record.energyJ * NJ_PER_J);
    case 'energyUncertaintyNJ':
      return Math.round(record.energyUncertaintyJ * NJ_PER_J);
    case 'baselineUW':
      return Math.round(record.baselineW * UW_PER_W);
    case 'durationUs':
      return Math.round(record.durationUs);
    default:
      return record[field];
  }
}

function packColumn(records: readonly InferenceRecord[], field: ColumnField): ColumnValue | ColumnValue[] {
  return packValues(records.map((record) => wireValue(record, field)));
}

/** One value when all are equal, else the array. */
function packValues<T extends ColumnValue>(values: readonly T[]): T | T[] {
  const first = values[0];
  return values.every((value) => value === first) && first !== undefined ? first : [...values];
}

/** Turns a batch into its wire object; throws ProtocolError('invalid') on a batch that breaks the contract. */
export function toWire(message: Message): Record<string, unknown> {
  if (message.type === 'status') {
    // Optional fields left undefined are left out, not sent as CBOR `undefined`.
    const present = Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined));
    const checked = checkWire(wireStatus, { ...present, atUs: Math.round(message.atUs) });
    if (!checked.ok) throw checked.error;
    return checked.value;
  }
  const { records } = message;
  const first = records[0];
  if (first === undefined) throw new ProtocolError('invalid', 'an inference batch needs at least one record');
  records.forEach((record, index) => {
    if (record.seq !== first.seq + index) {
      throw new ProtocolError(
        'invalid',
        `records[${index}].seq is ${record.seq}, expected ${first.seq + index}: a batch holds consecutive sequence numbers`,
      );
    }
  });
  const startUs = records.map((record, index) =>
    index === 0
      ? Math.round(record.startUs)
      : Math.round(record.startUs) - Math.round(records[index - 1]?.startUs ?? 0),
  );
  const wire: Record<string, unknown> = {
    v: message.v,
    type: 'inference',
    device: message.device,
    seq: first.seq,
    startUs,
  };
  for (const field of COLUMN_FIELDS) wire[field] = packColumn(records, field);
  if (records.some((record) => record.method !== undefined || record.windowInferences !== undefined)) {
    wire.method = packValues(records.map((record) => record.method ?? 'single'));
    wire.windowInferences = packValues(records.map((record) => record.windowInferences ?? 1));
  }
  // Checking what we send with the same schema as what we receive keeps NaN, negative energy and
  // friends off the wire at the source, where the mistake can still be fixed.
  const checked = checkWire(wireInference, wire);
  if (!checked.ok) throw checked.error;
  // The two checks the decoder makes after the schema, so that nothing is sent it would refuse.
  if (first.seq > Number.MAX_SAFE_INTEGER - (records.length - 1)) {
    throw new ProtocolError(
      'invalid',
      `seq ${first.seq} overflows: the last of ${records.length} records would pass 2^53 - 1`,
    );
  }
  records.forEach((record, index) => {
    const startUs = Math.round(record.startUs);
    if (!(startUs >= 0 && startUs <= Number.MAX_SAFE_INTEGER)) {
      throw new ProtocolError('invalid', `records[${index}].startUs is ${record.startUs}, outside 0..2^53`);
    }
  });
  return wire;
}

/** A value for an error message: NaN, ±Infinity and BigInt shown as such; never throws. */
function showValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) =>
        typeof item === 'bigint' || (typeof item === 'number' && !Number.isFinite(item))
          ? String(item)
          : item,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      const got = 'input' in issue && issue.input !== undefined ? ` (got ${showValue(issue.input)})` : '';
      return `${path.replace(/^\./, '') || '(message)'}: ${issue.message}${got}`;
    })
    .join('; ')
    .concat(error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '');
}

function checkWire<T extends z.ZodType>(schema: T, value: unknown): Result<z.infer<T>> {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return ok(parsed.data);
  return fail('invalid', describeIssues(parsed.error));
}

function at<T>(column: T | T[], index: number): T {
  return Array.isArray(column) ? (column[index] as T) : column;
}

function expandInference(wire: WireInference): Result<InferenceBatch> {
  const count = wire.startUs.length;
  for (const field of [...COLUMN_FIELDS, 'method', 'windowInferences'] as const) {
    const column = wire[field];
    if (Array.isArray(column) && column.length !== count) {
      return fail(
        'invalid',
        `${field} has ${column.length} values, expected ${count} (one per startUs) or a single value`,
      );
    }
  }
  if (wire.seq > Number.MAX_SAFE_INTEGER - (count - 1)) {
    return fail('invalid', `seq ${wire.seq} overflows: the last of ${count} records would pass 2^53 - 1`);
  }
  const records: InferenceRecord[] = new Array(count);
  let startUs = 0;
  for (let i = 0; i < count; i++) {
    startUs = i === 0 ? (wire.startUs[0] ?? 0) : startUs + (wire.startUs[i] ?? 0);
    records[i] = {
      seq: wire.seq + i,
      startUs,
      durationUs: at(wire.durationUs, i),
      energyJ: at(wire.energyNJ, i) / NJ_PER_J,
      energyUncertaintyJ: at(wire.energyUncertaintyNJ, i) / NJ_PER_J,
      baselineW: at(wire.baselineUW, i) / UW_PER_W,
      sampleCount: at(wire.sampleCount, i),
      provenance: at(wire.provenance, i),
      sensor: at(wire.sensor, i),
      modelId: at(wire.modelId, i),
      variant: at(wire.variant, i),
      backend: at(wire.backend, i),
      batchSize: at(wire.batchSize, i),
      inputBytes: at(wire.inputBytes, i),
      outputBytes: at(wire.outputBytes, i),
      correct: at(wire.correct, i),
    };
    if (wire.method !== undefined)
      records[i] = { ...records[i], method: at(wire.method, i) } as InferenceRecord;
    if (wire.windowInferences !== undefined) {
      records[i] = { ...records[i], windowInferences: at(wire.windowInferences, i) } as InferenceRecord;
    }
    if (startUs < 0 || !Number.isSafeInteger(startUs)) {
      return fail('invalid', `startUs of record ${i} decodes to ${startUs}, outside 0..2^53`);
    }
  }
  return ok({ v: PROTOCOL_VERSION, type: 'inference', device: wire.device, records });
}

/** Turns a decoded wire object (from CBOR or JSON) into a message; never throws. */
export function fromWire(value: unknown): Result<Message> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(
      'invalid',
      `a message must be a map/object, got ${Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== PROTOCOL_VERSION) {
    return fail(
      'unsupported-version',
      `v is ${JSON.stringify(v)}; this collector speaks protocol version ${PROTOCOL_VERSION}`,
    );
  }
  if (type === 'inference') {
    // The common case, a valid batch, skips the schema; anything else gets the schema's verdict.
    if (certainlyValidInference(value)) return expandInference(value as WireInference);
    const checked = checkWire(wireInference, value);
    return checked.ok ? expandInference(checked.value) : checked;
  }
  if (type === 'status') {
    const checked = checkWire(wireStatus, value);
    return checked.ok ? ok(checked.value as StatusMessage) : checked;
  }
  return fail('invalid', `type is ${JSON.stringify(type)}; expected "inference" or "status"`);
}
