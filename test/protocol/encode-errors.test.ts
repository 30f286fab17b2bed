import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  ENCODINGS,
  encodeMessage,
  type InferenceRecord,
  isProtocolError,
  MAX_BATCH_RECORDS,
  MAX_RECORD_ENERGY_J,
  MAX_TEXT_LENGTH,
  type Message,
  TopicError,
} from '../../protocol/index.js';
import {
  constantRecords,
  expectEncodeError,
  fullStatus,
  makeBatch,
  makeRecord,
  minimalStatus,
} from './fixtures.js';

const withRecord = (overrides: Partial<InferenceRecord>) =>
  makeBatch([makeRecord(0), makeRecord(1, overrides), makeRecord(2)]);

describe.each(ENCODINGS)('encodeMessage(%s) checks inference batches at the source', (encoding) => {
  const encode = (message: Message) => () => encodeMessage(message, encoding);

  it('throws for seq numbers with a gap, naming the record and the expected seq', () => {
    const records = [makeRecord(5), makeRecord(6), makeRecord(8)];
    expectEncodeError(encode(makeBatch(records)), 'records[2].seq is 8, expected 7');
  });

  it('throws for a repeated seq number', () => {
    expectEncodeError(encode(makeBatch([makeRecord(3), makeRecord(3)])), 'records[1].seq is 3, expected 4');
  });

  it('throws for seq numbers in descending order', () => {
    expectEncodeError(encode(makeBatch([makeRecord(2), makeRecord(1)])), 'records[1].seq is 1, expected 3');
  });

  it('throws for a batch without records', () => {
    expectEncodeError(encode(makeBatch([])), 'at least one record');
  });

  it(`throws for a batch of ${MAX_BATCH_RECORDS + 1} records, naming the limit`, () => {
    const batch = makeBatch(constantRecords(MAX_BATCH_RECORDS + 1));
    expectEncodeError(encode(batch), 'startUs', String(MAX_BATCH_RECORDS));
  });

  it.each([
    ['NaN energy', { energyJ: Number.NaN }, 'energyNJ'],
    ['Infinity energy', { energyJ: Number.POSITIVE_INFINITY }, 'energyNJ'],
    ['negative energy', { energyJ: -0.001 }, 'energyNJ'],
    ['energy above MAX_RECORD_ENERGY_J', { energyJ: MAX_RECORD_ENERGY_J + 1 }, 'energyNJ'],
    ['NaN uncertainty', { energyUncertaintyJ: Number.NaN }, 'energyUncertaintyNJ'],
    ['negative uncertainty', { energyUncertaintyJ: -1e-6 }, 'energyUncertaintyNJ'],
    ['negative baseline', { baselineW: -0.5 }, 'baselineUW'],
    ['NaN baseline', { baselineW: Number.NaN }, 'baselineUW'],
    ['duration 0', { durationUs: 0 }, 'durationUs'],
    ['a duration that rounds to 0', { durationUs: 0.4 }, 'durationUs'],
    ['a negative duration', { durationUs: -3 }, 'durationUs'],
    ['NaN start time', { startUs: Number.NaN }, 'startUs'],
    ['a fractional sample count', { sampleCount: 1.5 }, 'sampleCount'],
    ['batch size 0', { batchSize: 0 }, 'batchSize'],
    ['negative input bytes', { inputBytes: -1 }, 'inputBytes'],
    ['an empty sensor', { sensor: '' }, 'sensor'],
    ['a too long model id', { modelId: 'f'.repeat(MAX_TEXT_LENGTH + 1) }, 'modelId'],
    ['an unknown provenance', { provenance: 'guessed' as InferenceRecord['provenance'] }, 'provenance'],
  ])('throws ProtocolError for a record with %s, naming the wire field', (_label, overrides, field) => {
    expectEncodeError(encode(withRecord(overrides)), field);
  });

  it('throws ProtocolError for NaN energy in a batch of one', () => {
    expectEncodeError(encode(makeBatch([makeRecord(0, { energyJ: Number.NaN })])), 'energyNJ');
  });

  it.each([
    ['empty', ''],
    ['with a slash', 'lab/dev'],
    ['with a + wildcard', 'dev+'],
  ])('throws ProtocolError, not TopicError, for a device id %s', (_label, device) => {
    const error = expectEncodeError(encode(makeBatch(constantRecords(1), device)), 'device');
    expect(error).not.toBeInstanceOf(TopicError);
    expect(isProtocolError(error)).toBe(true);
  });

  it('throws for a message with v other than 1', () => {
    const batch = { ...makeBatch(constantRecords(1)), v: 2 } as unknown as Message;
    expectEncodeError(encode(batch), 'v');
  });

  it('accepts the largest energy the contract allows', () => {
    const batch = makeBatch([makeRecord(0, { energyJ: MAX_RECORD_ENERGY_J })]);
    const decoded = decodeMessage(encodeMessage(batch, encoding));
    expect(decoded).toEqual({ ok: true, value: batch });
  });

  // The decoder requires every decoded start time to be in 0..2^53; the encoder must not send
  // what its own decoder refuses.
  it('throws for a record with a negative start time instead of sending what decoders refuse', () => {
    expectEncodeError(encode(makeBatch([makeRecord(0, { startUs: -5 })])), 'startUs');
  });

  // Same for seq: the last seq of this batch would be 2^53, not a safe integer.
  it('throws for a batch whose last seq is beyond Number.MAX_SAFE_INTEGER', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const records = [makeRecord(max, { startUs: 1 }), makeRecord(max + 1, { startUs: 2 })];
    expectEncodeError(encode(makeBatch(records)), 'seq');
  });
});

describe.each(ENCODINGS)('encodeMessage(%s) checks status messages at the source', (encoding) => {
  const encode = (message: Message) => () => encodeMessage(message, encoding);

  it.each([
    ['a bad device id', { device: 'a b' }, 'device'],
    ['a negative seq', { seq: -1 }, 'seq'],
    ['a fractional seq', { seq: 1.5 }, 'seq'],
    ['a NaN atUs', { atUs: Number.NaN }, 'atUs'],
    ['a negative atUs', { atUs: -10 }, 'atUs'],
    ['an unknown state', { state: 'asleep' as 'online' }, 'state'],
    ['an empty board', { board: '' }, 'board'],
    ['a too long agent version', { agentVersion: 'x'.repeat(MAX_TEXT_LENGTH + 1) }, 'agentVersion'],
  ])('throws ProtocolError for a status with %s, naming the field', (_label, overrides, field) => {
    expectEncodeError(encode(fullStatus(overrides)), field);
  });

  it('throws for a status with a key the contract does not know', () => {
    const status = { ...minimalStatus(), uptimeS: 5 } as unknown as Message;
    expectEncodeError(encode(status), 'uptimeS');
  });

  it('rounds a fractional atUs to the microsecond', () => {
    const decoded = decodeMessage(encodeMessage(minimalStatus({ atUs: 1_000.6 }), encoding));
    expect(decoded).toEqual({ ok: true, value: minimalStatus({ atUs: 1_001 }) });
  });
});
