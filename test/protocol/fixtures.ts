// Shared builders for the protocol tests: records, batches, status messages, hand-made payloads
// and a seeded PRNG. Not a test file itself (no `.test.ts`).

import { Encoder } from 'cbor-x';
import { expect } from 'vitest';
import {
  type Encoding,
  encodeMessage,
  type FieldSpec,
  type InferenceBatch,
  type InferenceRecord,
  type Message,
  PROTOCOL_VERSION,
  ProtocolError,
  type ProtocolErrorReason,
  quantizeRecord,
  RECORD_FIELD_LIST,
  type Result,
  type StatusMessage,
} from '../../protocol/index.js';

export const DEVICE = 'rpi4-lab-01';
export const MODEL_ID = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const T0_US = 1_700_000_000_000_000;

export const KNOWN_REASONS: readonly ProtocolErrorReason[] = [
  'too-large',
  'empty',
  'unknown-encoding',
  'malformed',
  'invalid',
  'unsupported-version',
  'bad-topic',
  'topic-mismatch',
];

/** Deterministic PRNG in [0, 1) (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeRecord(seq: number, overrides: Partial<InferenceRecord> = {}): InferenceRecord {
  return {
    seq,
    startUs: T0_US + seq * 10_000,
    durationUs: 8_250,
    energyJ: 0.012345678,
    energyUncertaintyJ: 0.000412,
    baselineW: 2.7125,
    sampleCount: 9,
    provenance: 'measured',
    sensor: 'ina219',
    modelId: MODEL_ID,
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 3_136,
    outputBytes: 40,
    correct: true,
    ...overrides,
  };
}

/**
 * A record of the simulated sensor as the collector's tests send it: a microsecond start per
 * seq, a 1.5 ms inference, 4 mJ. Its values are fixed (some tests count payload bytes).
 */
export function collectorRecord(seq: number, overrides: Partial<InferenceRecord> = {}): InferenceRecord {
  return {
    seq,
    startUs: 1_763_700_000_000_000 + seq * 1000,
    durationUs: 1500,
    energyJ: 0.004,
    energyUncertaintyJ: 0.0005,
    baselineW: 2.7,
    sampleCount: 0,
    provenance: 'estimated',
    sensor: 'simulated:rpi4',
    modelId: 'f'.repeat(64),
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 3136,
    outputBytes: 40,
    correct: null,
    ...overrides,
  };
}

export function makeBatch(records: InferenceRecord[], device = DEVICE): InferenceBatch {
  return { v: PROTOCOL_VERSION, type: 'inference', device, records };
}

/** `count` records where every column is the same (only seq and startUs move). */
export function constantRecords(count: number, firstSeq = 0): InferenceRecord[] {
  return Array.from({ length: count }, (_, i) => makeRecord(firstSeq + i));
}

/** `count` quantized records where most columns vary; correct and provenance are mixed. */
export function varyingRecords(count: number, seed: number, firstSeq = 1_000): InferenceRecord[] {
  const rnd = mulberry32(seed);
  const correct = [true, false, null] as const;
  let startUs = T0_US + Math.floor(rnd() * 1e9);
  return Array.from({ length: count }, (_, i) => {
    startUs += 1 + Math.floor(rnd() * 50_000);
    const measured = i % 3 !== 2;
    return quantizeRecord(
      makeRecord(firstSeq + i, {
        startUs,
        durationUs: 1 + Math.floor(rnd() * 40_000),
        energyJ: rnd() * 5,
        energyUncertaintyJ: rnd() * 0.01,
        baselineW: 1 + rnd() * 4,
        sampleCount: measured ? 1 + Math.floor(rnd() * 20) : 0,
        provenance: measured ? 'measured' : 'estimated',
        sensor: measured ? 'ina219' : 'simulated:rpi4',
        variant: i % 2 === 0 ? 'dense' : 'pruned-50',
        batchSize: 1 + (i % 4),
        inputBytes: 3_136 * (1 + (i % 4)),
        correct: correct[i % 3] ?? null,
      }),
    );
  });
}

export function fullStatus(overrides: Partial<StatusMessage> = {}): StatusMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'status',
    device: DEVICE,
    state: 'online',
    seq: 42,
    atUs: T0_US,
    board: 'rpi4',
    sensor: 'ina219',
    backend: 'wasm',
    modelId: MODEL_ID,
    variant: 'dense',
    agentVersion: '0.1.0',
    ...overrides,
  };
}

export function minimalStatus(overrides: Partial<StatusMessage> = {}): StatusMessage {
  return {
    v: PROTOCOL_VERSION,
    type: 'status',
    device: DEVICE,
    state: 'offline',
    seq: 0,
    atUs: 1,
    ...overrides,
  };
}

const cborEncoder = new Encoder({ useRecords: false, mapsAsObjects: true });

/** A CBOR payload of any value: the d9d9f7 self-describe tag, then the value as cbor-x writes it. */
export function cborPayload(value: unknown): Uint8Array {
  const body = cborEncoder.encode(value);
  const payload = new Uint8Array(body.length + 3);
  payload.set([0xd9, 0xd9, 0xf7], 0);
  payload.set(body, 3);
  return payload;
}

export function jsonPayload(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function payloadOf(value: unknown, encoding: Encoding): Uint8Array {
  return encoding === 'cbor' ? cborPayload(value) : jsonPayload(value);
}

/** The wire object of a message (columns, integer units), as a plain object that tests can break. */
export function wireOf(message: Message): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(encodeMessage(message, 'json'))) as Record<string, unknown>;
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Asserts a failed Result with the given reason whose message contains every fragment. */
export function expectFailure(
  result: Result<unknown>,
  reason: ProtocolErrorReason,
  ...fragments: string[]
): ProtocolError {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('expected a failed result');
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error.reason).toBe(reason);
  for (const fragment of fragments) expect(result.error.message).toContain(fragment);
  return result.error;
}

/** Asserts that `fn` throws a ProtocolError('invalid') whose message contains every fragment. */
export function expectEncodeError(fn: () => unknown, ...fragments: string[]): ProtocolError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  const error = caught as ProtocolError;
  expect(error.reason).toBe('invalid');
  for (const fragment of fragments) expect(error.message).toContain(fragment);
  return error;
}

/**
 * A record with every optional field of the table set to a valid value that differs from its
 * absent value, so that tests over RECORD_FIELD_LIST cover a field as soon as it has a row.
 */
export function recordWithEveryField(seq: number): InferenceRecord {
  const record: Record<string, unknown> = { ...makeRecord(seq) };
  for (const field of RECORD_FIELD_LIST) {
    if (field.optional) record[field.name] = sampleValue(field);
  }
  return record as InferenceRecord;
}

/** A valid record value of a field, other than its absent value. */
export function sampleValue(field: FieldSpec): unknown {
  const kind = field.value;
  switch (kind.kind) {
    case 'integer': {
      const wireValue = field.absent === kind.min + 2 ? kind.min + 3 : kind.min + 2;
      return field.wire.coding === 'column' ? wireValue / field.wire.scale : wireValue;
    }
    case 'text':
      return 'sample text';
    case 'id':
      return 'sample-id.1';
    case 'enum':
      return kind.values.find((value) => value !== field.absent);
    case 'boolean-or-null':
      return true;
  }
}
