// The on-wire shape of messages, shared by the CBOR and JSON codecs. Inference and offload
// batches travel as columns (columnar.ts, built from their field tables): each field is either one
// value for the whole batch or one value per record, numbers are integers in small units (nJ, µW,
// µs), start times are delta-coded and sequence numbers are implied by the first one. That is
// what brings an inference record under 32 bytes at batch 100.

import { z } from 'zod';
import { DEPLOYMENT_REASONS, DEPLOYMENT_STATES, MAX_DEPLOYMENT_DETAIL_LENGTH } from '../deploy/states.js';
import { fail, ok, type Result } from '../errors.js';
import { MAX_TEXT_LENGTH } from '../limits.js';
import {
  type DeploymentMessage,
  type FeedbackMessage,
  type InferenceBatch,
  type Message,
  type OffloadBatch,
  PROTOCOL_VERSION,
  type StatusMessage,
} from '../messages.js';
import {
  OFFLOAD_FIELD_LIST,
  type OffloadFieldName,
  type OffloadRecord,
  offloadRecordProblem,
} from '../offload-fields.js';
import { type InferenceRecord, RECORD_FIELD_LIST, type RecordFieldName } from '../record-fields.js';
import { idProblem } from '../topics.js';
import { checkWire } from './check-wire.js';
import { columnarKind, type RecordCursor, type WireBatch, type WireColumn } from './columnar.js';
import { describeValue } from './describe-value.js';
import { certainlyValidInference } from './fast-check.js';

/** Inference batches: columns from RECORD_FIELDS. */
const INFERENCE = columnarKind<InferenceRecord>({ type: 'inference', fields: RECORD_FIELD_LIST });
/** Offload batches: columns from OFFLOAD_FIELDS, with the rules between its fields. */
const OFFLOAD = columnarKind<OffloadRecord>({
  type: 'offload',
  fields: OFFLOAD_FIELD_LIST,
  recordProblem: offloadRecordProblem,
});

/** The inference columns, in table order (which is the order of keys on the wire, so of the bytes). */
export const WIRE_COLUMNS = INFERENCE.columns as readonly WireColumn<InferenceRecord, RecordFieldName>[];
/** The offload columns, in table order. */
export const OFFLOAD_WIRE_COLUMNS = OFFLOAD.columns as readonly WireColumn<OffloadRecord, OffloadFieldName>[];

/** Rounds a record to the resolution the wire carries, so that it survives a round trip unchanged. */
export const quantizeRecord = (record: InferenceRecord): InferenceRecord => INFERENCE.quantize(record);
/** The same for an offload record. */
export const quantizeOffloadRecord = (record: OffloadRecord): OffloadRecord => OFFLOAD.quantize(record);

const id = z.string().superRefine((value, ctx) => {
  const problem = idProblem(value);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: `id ${problem}` });
});
const text = z.string().min(1).max(MAX_TEXT_LENGTH);
const uint = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The schema's own verdict on an inference batch's wire shape (tests compare the fast check with it). */
export function schemaAcceptsInference(value: unknown): boolean {
  return INFERENCE.schema.safeParse(value).success;
}

/** The schema's verdict on an offload batch's wire shape. */
export function schemaAcceptsOffload(value: unknown): boolean {
  return OFFLOAD.schema.safeParse(value).success;
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
  if (message.type === 'offload') return OFFLOAD.toWire(message.v, message.device, message.records);
  return INFERENCE.toWire(message.v, message.device, message.records);
}

/**
 * An inference batch's wire object as the decoder checked and expanded it: ~50 bytes a record in
 * memory against ~250 for its records. Opaque outside the codec; read it with inferenceCursor().
 */
export type InferenceColumns = WireBatch & { readonly __checkedInferenceColumns: true };

/** What decodeMessage() can hand back besides the message, when asked. */
export interface DecodeDetail {
  /** Set for an inference batch: the wire object its records were expanded from. */
  columns?: InferenceColumns;
}

/** The records of a decoded batch's columns, one at a time into a reused object: the same values as its records. */
export function inferenceCursor(columns: InferenceColumns): RecordCursor<InferenceRecord> {
  return INFERENCE.cursor(columns);
}

function inferenceBatch(device: string, records: Result<InferenceRecord[]>): Result<InferenceBatch> {
  return records.ok
    ? ok({ v: PROTOCOL_VERSION, type: 'inference', device, records: records.value })
    : records;
}

/**
 * Turns a decoded wire object (from CBOR or JSON) into a message; never throws. With `detail`,
 * an accepted inference batch's checked wire object is put in `detail.columns`.
 */
export function fromWire(value: unknown, detail?: DecodeDetail): Result<Message> {
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
    const wire = certainlyValidInference(value) ? (value as WireBatch) : undefined;
    const checked = wire === undefined ? checkWire(INFERENCE.schema, value) : undefined;
    if (checked !== undefined && !checked.ok) return checked;
    const accepted = wire ?? (checked?.value as WireBatch);
    const batch = inferenceBatch(accepted.device, INFERENCE.expand(accepted));
    if (batch.ok && detail !== undefined) detail.columns = accepted as InferenceColumns;
    return batch;
  }
  if (type === 'offload') {
    const checked = checkWire(OFFLOAD.schema, value);
    if (!checked.ok) return checked;
    const wire = checked.value as WireBatch;
    const records = OFFLOAD.expand(wire);
    if (!records.ok) return records;
    const batch: OffloadBatch = {
      v: PROTOCOL_VERSION,
      type: 'offload',
      device: wire.device,
      records: records.value,
    };
    return ok(batch);
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
    `type is ${describeValue(type)}; expected "inference", "offload", "status", "deployment" or "feedback"`,
  );
}
