import { describe, expect, it } from 'vitest';
import {
  decodeAs,
  decodeMessage,
  ENCODINGS,
  encodeMessage,
  MAX_BATCH_RECORDS,
  MAX_PAYLOAD_BYTES,
  MAX_TEXT_LENGTH,
} from '../../protocol/index.js';
import {
  cborPayload,
  constantRecords,
  expectFailure,
  fullStatus,
  jsonPayload,
  makeBatch,
  minimalStatus,
  payloadOf,
  varyingRecords,
  wireOf,
} from './fixtures.js';

const batch = makeBatch(varyingRecords(3, 11));
const inferenceWire = wireOf(batch);
const statusWire = wireOf(fullStatus());

describe('payload-level rejections', () => {
  it('an empty payload is rejected as empty', () => {
    expectFailure(decodeMessage(new Uint8Array(0)), 'empty', 'empty');
  });

  it.each([
    ['a NUL byte', [0x00, 0x01]],
    ['a JSON array', [0x5b, 0x31, 0x5d]],
    ['a bare CBOR map without the tag', [0xa1, 0x61, 0x76, 0x01]],
    ['text', [0x68, 0x65, 0x6c, 0x6c, 0x6f]],
    ['a different CBOR tag', [0xd9, 0xd9, 0xf8, 0xa0]],
  ])('a payload starting with %s is rejected as unknown-encoding naming its first bytes', (_label, bytes) => {
    const payload = Uint8Array.from(bytes);
    const head = Buffer.from(payload.subarray(0, 4)).toString('hex');
    expectFailure(decodeMessage(payload), 'unknown-encoding', head, 'd9d9f7');
  });

  it.each(ENCODINGS)('a %s payload one byte over MAX_PAYLOAD_BYTES is rejected as too-large', (encoding) => {
    const payload = new Uint8Array(MAX_PAYLOAD_BYTES + 1).fill(0x20);
    payload.set(encodeMessage(fullStatus(), encoding), 0);
    expectFailure(
      decodeMessage(payload),
      'too-large',
      String(MAX_PAYLOAD_BYTES + 1),
      String(MAX_PAYLOAD_BYTES),
    );
  });

  it('a JSON payload of exactly MAX_PAYLOAD_BYTES (padded with spaces) is accepted', () => {
    const payload = new Uint8Array(MAX_PAYLOAD_BYTES).fill(0x20);
    payload.set(encodeMessage(fullStatus(), 'json'), 0);
    expect(decodeMessage(payload)).toEqual({ ok: true, value: fullStatus() });
  });

  it('every proper prefix of a CBOR payload is rejected, as malformed once the tag is complete', () => {
    const payload = encodeMessage(batch, 'cbor');
    for (let length = 1; length < payload.length; length++) {
      const result = decodeMessage(payload.subarray(0, length));
      if (length < 3) expectFailure(result, 'unknown-encoding');
      else expectFailure(result, 'malformed', 'cbor payload cannot be parsed');
    }
  });

  it('every proper prefix of a JSON payload is rejected as malformed', () => {
    const payload = encodeMessage(batch, 'json');
    for (let length = 1; length < payload.length; length++) {
      expectFailure(decodeMessage(payload.subarray(0, length)), 'malformed', 'json payload cannot be parsed');
    }
  });

  it('the bare CBOR tag with nothing after it is malformed', () => {
    expectFailure(decodeMessage(Uint8Array.of(0xd9, 0xd9, 0xf7)), 'malformed');
  });

  it.each(ENCODINGS)('trailing bytes after a complete %s message are malformed', (encoding) => {
    const payload = encodeMessage(batch, encoding);
    const extended = new Uint8Array(payload.length + 1);
    extended.set(payload, 0);
    extended[payload.length] = encoding === 'json' ? 0x7d : 0x00;
    expectFailure(decodeMessage(extended), 'malformed');
  });

  it('JSON with invalid UTF-8 is malformed', () => {
    const text = new TextDecoder().decode(jsonPayload(statusWire));
    const [head, tail] = text.split('rpi4-lab-01');
    const payload = Buffer.concat([
      Buffer.from(`${head}rpi4`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`${tail}`),
    ]);
    expectFailure(decodeMessage(payload), 'malformed', 'json payload cannot be parsed');
  });
});

describe('top-level shape', () => {
  it.each([
    ['an array', [1, 2, 3], 'an array'],
    ['a string', 'inference', 'string'],
    ['a number', 1, 'number'],
    ['null', null, 'object'],
  ])('a CBOR message that is %s instead of a map is invalid', (_label, value, described) => {
    expectFailure(decodeMessage(cborPayload(value)), 'invalid', 'must be a map/object', described);
  });

  it.each(ENCODINGS)('%s v:2 is an unsupported-version', (encoding) => {
    const result = decodeMessage(payloadOf({ ...inferenceWire, v: 2 }, encoding));
    expectFailure(result, 'unsupported-version', 'v is 2', 'version 1');
  });

  it.each([
    ['missing', undefined],
    ['the string "1"', '1'],
    ['zero', 0],
  ])('v %s is an unsupported-version', (_label, v) => {
    expectFailure(decodeMessage(jsonPayload({ ...statusWire, v })), 'unsupported-version', 'v is');
  });

  it.each(ENCODINGS)('%s with an unknown type is invalid naming the type', (encoding) => {
    const result = decodeMessage(payloadOf({ ...inferenceWire, type: 'power' }, encoding));
    expectFailure(
      result,
      'invalid',
      'type is "power"',
      '"inference", "offload", "status", "deployment" or "feedback"',
    );
  });

  it.each(ENCODINGS)('%s inference with an unknown extra key is invalid naming the key', (encoding) => {
    const result = decodeMessage(payloadOf({ ...inferenceWire, temperatureC: 41 }, encoding));
    expectFailure(result, 'invalid', 'Unrecognized key', 'temperatureC');
  });

  it.each(ENCODINGS)('%s status with an unknown extra key is invalid naming the key', (encoding) => {
    const result = decodeMessage(payloadOf({ ...statusWire, uptime: 5 }, encoding));
    expectFailure(result, 'invalid', 'Unrecognized key', 'uptime');
  });

  it('a JSON "__proto__" key is an unknown key, not a prototype', () => {
    const text = new TextDecoder().decode(jsonPayload(statusWire)).replace('{', '{"__proto__":{"x":1},');
    expectFailure(decodeMessage(new TextEncoder().encode(text)), 'invalid', '__proto__');
  });
});

describe.each(ENCODINGS)('%s field rejections', (encoding) => {
  const decodeWith = (overrides: Record<string, unknown>, base = inferenceWire) =>
    decodeMessage(payloadOf({ ...base, ...overrides }, encoding));

  it.each([
    ['energyNJ as a string', { energyNJ: '5' }, 'energyNJ', '"5"'],
    ['energyNJ as a fraction', { energyNJ: 1.5 }, 'energyNJ', '1.5'],
    ['negative energyNJ', { energyNJ: -1 }, 'energyNJ', '-1'],
    ['a negative energyNJ in a column', { energyNJ: [1, -7, 3] }, 'energyNJ', '-7'],
    ['energyNJ above MAX_RECORD_ENERGY_J', { energyNJ: 9e15 + 1 }, 'energyNJ', '9000000000000001'],
    ['negative energyUncertaintyNJ', { energyUncertaintyNJ: -2 }, 'energyUncertaintyNJ', '-2'],
    ['durationUs 0', { durationUs: 0 }, 'durationUs', '0'],
    ['a durationUs 0 in a column', { durationUs: [5, 0, 5] }, 'durationUs', '0'],
    ['batchSize 0', { batchSize: 0 }, 'batchSize', '0'],
    ['device as a number', { device: 42 }, 'device', '42'],
    ['device with a slash', { device: 'a/b' }, 'device', 'may only contain'],
    ['an empty device', { device: '' }, 'device', 'is empty'],
    ['provenance unknown', { provenance: 'guessed' }, 'provenance', '"guessed"'],
    ['correct as a string', { correct: 'yes' }, 'correct', '"yes"'],
    ['an empty sensor', { sensor: '' }, 'sensor', '""'],
    ['a too long variant', { variant: 'v'.repeat(MAX_TEXT_LENGTH + 1) }, 'variant', 'v'.repeat(10)],
    ['startUs as a map', { startUs: { 0: 1 } }, 'startUs', ''],
    ['startUs as a number', { startUs: 1_000 }, 'startUs', '1000'],
    ['an empty startUs', { startUs: [] }, 'startUs', 'an array of 0 items'],
    ['a missing seq', { seq: undefined }, 'seq', ''],
    ['a negative seq', { seq: -1 }, 'seq', '-1'],
  ])('an inference with %s is invalid naming the field and value', (_label, overrides, field, value) => {
    expectFailure(decodeWith(overrides), 'invalid', field, value);
  });

  it.each([
    ['state unknown', { state: 'sleeping' }, 'state', '"sleeping"'],
    ['atUs negative', { atUs: -5 }, 'atUs', '-5'],
    ['seq as a string', { seq: '1' }, 'seq', '"1"'],
    ['an empty board', { board: '' }, 'board', '""'],
    ['agentVersion as a number', { agentVersion: 1 }, 'agentVersion', '1'],
  ])('a status with %s is invalid naming the field and value', (_label, overrides, field, value) => {
    expectFailure(decodeWith(overrides, statusWire), 'invalid', field, value);
  });

  it('a column with fewer values than startUs is invalid naming the column and both counts', () => {
    expectFailure(decodeWith({ energyNJ: [1, 2] }), 'invalid', 'energyNJ has 2 values, expected 3');
  });

  it('a column with more values than startUs is invalid', () => {
    expectFailure(decodeWith({ correct: [true, false, null, true] }), 'invalid', 'correct has 4 values');
  });

  it('a start time that decodes below 0 is invalid naming the record', () => {
    expectFailure(decodeWith({ startUs: [10, -20, 5] }), 'invalid', 'startUs of record 1', '-10');
  });

  it(`a batch of ${MAX_BATCH_RECORDS + 1} records is invalid naming startUs and the limit`, () => {
    const startUs = [1_000, ...Array<number>(MAX_BATCH_RECORDS).fill(1)];
    expectFailure(decodeWith({ startUs }), 'invalid', 'startUs', String(MAX_BATCH_RECORDS));
  });

  it(`a batch of exactly ${MAX_BATCH_RECORDS} records is accepted`, () => {
    const full = makeBatch(constantRecords(MAX_BATCH_RECORDS));
    const result = decodeAs('inference', encodeMessage(full, encoding));
    expect(result.ok && result.value.records.length).toBe(MAX_BATCH_RECORDS);
  });

  // `seq + count - 1 > MAX_SAFE_INTEGER` computed in floating point would let seq 2^53 - 1 with
  // two records pass and yield seq 2^53.
  it('a batch whose last seq would pass Number.MAX_SAFE_INTEGER is invalid', () => {
    const wire = wireOf(makeBatch(constantRecords(2)));
    expectFailure(decodeWith({ ...wire, seq: Number.MAX_SAFE_INTEGER }), 'invalid', 'seq');
  });
});

describe('non-finite numbers (CBOR only: JSON cannot carry them)', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('energyNJ %s is invalid naming energyNJ', (_label, value) => {
    const payload = cborPayload({ ...inferenceWire, energyNJ: value });
    expect(Buffer.from(payload).includes(Buffer.from('656e657267794e4a', 'hex'))).toBe(true);
    expectFailure(decodeMessage(payload), 'invalid', 'energyNJ');
  });

  it('a NaN inside a column is invalid naming the column', () => {
    const payload = cborPayload({ ...inferenceWire, baselineUW: [1, Number.NaN, 3] });
    expectFailure(decodeMessage(payload), 'invalid', 'baselineUW');
  });

  it('a NaN start time is invalid naming startUs', () => {
    const payload = cborPayload({ ...inferenceWire, startUs: [Number.NaN, 1, 1] });
    expectFailure(decodeMessage(payload), 'invalid', 'startUs');
  });

  // JSON.stringify would show NaN and ±Infinity as `null`, a legal value elsewhere.
  it('the message shows a non-finite value as NaN or Infinity, not as null', () => {
    const nan = decodeMessage(cborPayload({ ...inferenceWire, energyNJ: Number.NaN }));
    expectFailure(nan, 'invalid', 'energyNJ', 'NaN');
    expect(nan.ok || nan.error.message).not.toContain('got null');
    const inf = decodeMessage(cborPayload({ ...inferenceWire, energyNJ: Number.POSITIVE_INFINITY }));
    expectFailure(inf, 'invalid', 'energyNJ', 'Infinity');
  });

  // JSON.stringify throws on a BigInt: the message must still name the field.
  it('an out-of-range 64-bit integer is invalid naming the field', () => {
    const payload = cborPayload({ ...inferenceWire, energyNJ: 2n ** 64n - 1n });
    expectFailure(decodeMessage(payload), 'invalid', 'energyNJ');
  });
});

describe('decodeAs', () => {
  it.each(ENCODINGS)('a %s status payload on an inference topic is a topic-mismatch', (encoding) => {
    const result = decodeAs('inference', encodeMessage(fullStatus(), encoding));
    expectFailure(result, 'topic-mismatch', 'status message on a inference topic');
  });

  it.each(ENCODINGS)('a %s inference payload on a status topic is a topic-mismatch', (encoding) => {
    const result = decodeAs('status', encodeMessage(batch, encoding));
    expectFailure(result, 'topic-mismatch', 'inference message on a status topic');
  });

  it('passes a decode failure through with its own reason', () => {
    expectFailure(decodeAs('status', new Uint8Array(0)), 'empty');
    expectFailure(decodeAs('status', jsonPayload({ ...minimalStatus(), v: 3 })), 'unsupported-version');
  });
});
