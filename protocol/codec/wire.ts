// The on-wire shape of messages, shared by the CBOR and JSON codecs. An inference batch travels
// as columns: each field is either one value for the whole batch or one value per record, numbers
// are integers in small units (nJ, µW, µs), start times are delta-coded and sequence numbers are
// implied by the first one. That is what brings a record under 32 bytes at batch 100.

import { z } from 'zod';
import { DEPLOYMENT_REASONS, DEPLOYMENT_STATES, MAX_DEPLOYMENT_DETAIL_LENGTH } from '../deploy/states.js';
import { fail, ok, ProtocolError, type Result } from '../errors.js';
import { MAX_BATCH_RECORDS, MAX_TEXT_LENGTH } from '../limits.js';
import {
  type DeploymentMessage,
  type FeedbackMessage,
  type InferenceBatch,
  type Message,
  PROTOCOL_VERSION,
  type StatusMessage,
} from '../messages.js';
import {
  type FieldSpec,
  type InferenceRecord,
  RECORD_FIELD_LIST,
  type RecordFieldName,
  type ValueKind,
} from '../record-fields.js';
import { idProblem } from '../topics.js';
import { describeValue } from './describe-value.js';
import { certainlyValidInference } from './fast-check.js';
import { compileGetter, compileRecordBuilder } from './record-access.js';

/** A field that travels as a column, with its wire name and scale (from record-fields.ts). */
interface WireColumn {
  readonly field: RecordFieldName;
  readonly spec: FieldSpec;
  readonly name: string;
  readonly scale: number;
  readonly rounded: boolean;
  readonly optional: boolean;
  /** Sent for records without a value when others in the batch have one: the absent value, else null. */
  readonly fill: unknown;
  /** Reads the field of a record (compiled: one property access site per field, see below). */
  readonly get: (record: InferenceRecord) => unknown;
}

/** The columns, in table order (which is the order of keys on the wire, so of the bytes). */
export const WIRE_COLUMNS: readonly WireColumn[] = RECORD_FIELD_LIST.flatMap((f) =>
  f.wire.coding === 'column'
    ? [
        {
          field: f.name,
          spec: f,
          name: f.wire.name,
          scale: f.wire.scale,
          rounded: f.wire.rounded,
          optional: f.optional,
          fill: f.absent ?? null,
          get: compileGetter(f.name),
        },
      ]
    : [],
);
const ROUNDED_COLUMNS = WIRE_COLUMNS.filter((c) => c.rounded);

/** Rounds a record to the resolution the wire carries, so that it survives a round trip unchanged. */
export function quantizeRecord(record: InferenceRecord): InferenceRecord {
  const quantized: Record<string, unknown> = {
    ...record,
    startUs: Math.round(record.startUs),
  };
  for (const { field, scale, get } of ROUNDED_COLUMNS) {
    const value = get(record);
    // An optional measurement the record lacks stays absent (rounding it would make NaN).
    if (value !== undefined) quantized[field] = Math.round((value as number) * scale) / scale;
  }
  return quantized as InferenceRecord;
}

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const text = z.string().min(1).max(MAX_TEXT_LENGTH);
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The zod schema of one wire value of a field's kind. */
function valueSchema(kind: ValueKind<unknown>): z.ZodType {
  switch (kind.kind) {
    case 'integer':
      return z.number().int().min(kind.min).max(kind.max);
    case 'text':
      return text;
    case 'id':
      return id;
    case 'enum':
      return z.enum(kind.values as [string, ...string[]]);
    case 'boolean-or-null':
      return z.boolean().nullable();
  }
}

/** A column: one value for every record, or an array with one value per record. */
const column = <T extends z.ZodType>(value: T) => z.union([value, z.array(value).max(MAX_BATCH_RECORDS)]);

/**
 * An optional column's values: null stands for "absent" in a batch where other records have one,
 * unless the field has an absent value (method: single), which is then sent instead.
 */
function columnSchema(wire: WireColumn): z.ZodType {
  const value = valueSchema(wire.spec.value);
  if (!wire.optional) return column(value);
  return column(wire.fill === null ? value.nullable() : value).optional();
}

const wireInference = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('inference'),
  device: id,
  seq: uint,
  startUs: z
    .array(z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER))
    .min(1)
    .max(MAX_BATCH_RECORDS),
  ...Object.fromEntries(WIRE_COLUMNS.map((c) => [c.name, columnSchema(c)])),
});

/** The wire object of an inference batch: the header, then one column per field. */
type WireInference = {
  v: typeof PROTOCOL_VERSION;
  type: 'inference';
  device: string;
  seq: number;
  startUs: number[];
} & Record<string, unknown>;

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

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');

const wireDeployment = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('deployment'),
  device: id,
  seq: uint,
  atUs: uint,
  deploymentId: id,
  modelId: sha256Hex,
  release: uint,
  state: z.enum(DEPLOYMENT_STATES),
  reason: z.enum(DEPLOYMENT_REASONS).optional(),
  detail: z.string().min(1).max(MAX_DEPLOYMENT_DETAIL_LENGTH).optional(),
  bytes: uint.optional(),
  previousModelId: sha256Hex.optional(),
  attempt: uint,
});

/** Labels are class indices; 2^31 bounds them far past any classifier's classes. */
const MAX_LABEL = 2 ** 31 - 1;

const wireFeedback = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('feedback'),
  device: id,
  seq: uint,
  label: z.number().int().min(0).max(MAX_LABEL),
  correct: z.boolean(),
  atUs: uint,
});

/** Record values of one column in wire units. */
function packColumn(records: readonly InferenceRecord[], c: WireColumn): unknown {
  const values = records.map((record) => {
    const value = c.get(record);
    if (value === undefined) return c.fill;
    return c.rounded ? Math.round((value as number) * c.scale) : value;
  });
  return packValues(values);
}

/** One value when all are equal, else the array. */
function packValues<T>(values: readonly T[]): T | T[] {
  const first = values[0];
  return values.every((value) => value === first) && first !== undefined ? first : [...values];
}

/** Turns a batch into its wire object; throws ProtocolError('invalid') on a batch that breaks the contract. */
export function toWire(message: Message): Record<string, unknown> {
  if (message.type === 'status' || message.type === 'deployment') {
    // Optional fields left undefined are left out, not sent as CBOR `undefined`.
    const present = Object.fromEntries(Object.entries(message).filter(([, value]) => value !== undefined));
    const schema = message.type === 'status' ? wireStatus : wireDeployment;
    const checked = checkWire(schema, { ...present, atUs: Math.round(message.atUs) });
    if (!checked.ok) throw checked.error;
    return checked.value;
  }
  if (message.type === 'feedback') {
    const checked = checkWire(wireFeedback, { ...message, atUs: Math.round(message.atUs) });
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
  for (const c of WIRE_COLUMNS) {
    // An optional column travels only when some record has a value: older batches stay byte-identical.
    if (c.optional && records.every((record) => c.get(record) === undefined)) continue;
    wire[c.name] = packColumn(records, c);
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

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path
        .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
        .join('');
      const got = 'input' in issue && issue.input !== undefined ? ` (got ${describeValue(issue.input)})` : '';
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

const buildRecord = compileRecordBuilder(WIRE_COLUMNS);

function expandInference(wire: WireInference): Result<InferenceBatch> {
  const count = wire.startUs.length;
  for (const { name } of WIRE_COLUMNS) {
    const column = wire[name];
    if (Array.isArray(column) && column.length !== count) {
      return fail(
        'invalid',
        `${name} has ${column.length} values, expected ${count} (one per startUs) or a single value`,
      );
    }
  }
  if (wire.seq > Number.MAX_SAFE_INTEGER - (count - 1)) {
    return fail('invalid', `seq ${wire.seq} overflows: the last of ${count} records would pass 2^53 - 1`);
  }
  const records: InferenceRecord[] = new Array(count);
  const columns = WIRE_COLUMNS.map((c) => wire[c.name]);
  let startUs = 0;
  for (let i = 0; i < count; i++) {
    startUs = i === 0 ? (wire.startUs[0] ?? 0) : startUs + (wire.startUs[i] ?? 0);
    if (startUs < 0 || !Number.isSafeInteger(startUs)) {
      return fail('invalid', `startUs of record ${i} decodes to ${startUs}, outside 0..2^53`);
    }
    records[i] = buildRecord(wire.seq + i, startUs, columns, i);
  }
  return ok({
    v: PROTOCOL_VERSION,
    type: 'inference',
    device: wire.device,
    records,
  });
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
      `v is ${describeValue(v)}; this collector speaks protocol version ${PROTOCOL_VERSION}`,
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
  if (type === 'deployment') {
    const checked = checkWire(wireDeployment, value);
    return checked.ok ? ok(checked.value as DeploymentMessage) : checked;
  }
  if (type === 'feedback') {
    const checked = checkWire(wireFeedback, value);
    return checked.ok ? ok(checked.value as FeedbackMessage) : checked;
  }
  return fail(
    'invalid',
    `type is ${describeValue(type)}; expected "inference", "status", "deployment" or "feedback"`,
  );
}
