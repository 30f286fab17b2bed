// The offload record's field table (protocol/offload-fields.ts) and what the shared columnar
// codec derives from it: every field through CBOR and JSON, optional columns only when present,
// the rules between fields refused on both sides with the record, field and value named.

import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { OFFLOAD_WIRE_COLUMNS, schemaAcceptsOffload, WIRE_COLUMNS } from '../../protocol/codec/wire.js';
import {
  decodeAs,
  decodeMessage,
  ENCODINGS,
  encodeMessage,
  OFFLOAD_FIELD_LIST,
  type OffloadFieldName,
  type OffloadRecord,
  quantizeOffloadRecord,
} from '../../protocol/index.js';
import { expectEncodeError, expectFailure, jsonPayload, sampleValue, wireOf } from './fixtures.js';
import { makeFailedOffloadRecord, makeOffloadBatch, makeOffloadRecord } from './offload-fixtures.js';

const decodeOffload = (bytes: Uint8Array): OffloadRecord[] => {
  const decoded = decodeAs('offload', bytes);
  if (!decoded.ok) throw decoded.error;
  return decoded.value.records;
};

describe('the offload record field table', () => {
  it('is the OffloadRecord type: the same names, optional exactly where the table says', () => {
    expectTypeOf<keyof OffloadRecord>().toEqualTypeOf<OffloadFieldName>();
    expectTypeOf<OffloadRecord['serverEnergyJ']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<OffloadRecord['serverEnergyProvenance']>().toEqualTypeOf<
      'rapl' | 'nvml' | 'estimated' | undefined
    >();
    expectTypeOf<OffloadRecord['outcome']>().toEqualTypeOf<
      'ok' | 'timeout' | 'refused' | 'http-error' | 'connection-reset' | 'tls-error' | 'unreachable'
    >();
    const required = OFFLOAD_FIELD_LIST.filter((f) => !f.optional).map((f) => f.name);
    expect(Object.keys(makeFailedOffloadRecord(1, { outcome: 'timeout' })).sort()).toEqual(
      [...required, 'deviceBaselineW', 'variant'].sort(),
    );
  });

  it('gives every field a distinct wire name, and every wire column is documented in protocol/README.md', () => {
    const names = OFFLOAD_WIRE_COLUMNS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const readme = readFileSync(new URL('../../protocol/README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Offload batch'), readme.indexOf('## Status message'));
    for (const name of names) expect(section, name).toContain(`| \`${name}\` |`);
  });

  it('shares the inference columns it has in common, with the same wire coding', () => {
    const inference = new Map(WIRE_COLUMNS.map((c) => [c.field as string, c]));
    for (const c of OFFLOAD_WIRE_COLUMNS) {
      const same = inference.get(c.field);
      if (same !== undefined) expect([c.name, c.scale], c.field).toEqual([same.name, same.scale]);
    }
  });

  it.each(ENCODINGS)('carries an answered, a failed and a fallen-back record through %s', (encoding) => {
    const records = [
      makeOffloadRecord(10),
      makeFailedOffloadRecord(11, { outcome: 'http-error', httpStatus: 502, fallback: 'edge' }),
      makeFailedOffloadRecord(12, { outcome: 'tls-error', requestBytes: 0, socketBytesSent: 517 }),
    ];
    expect(decodeOffload(encodeMessage(makeOffloadBatch(records), encoding))).toEqual(records);
  });

  it.each(ENCODINGS)('carries each optional field alone through %s', (encoding) => {
    for (const field of OFFLOAD_FIELD_LIST.filter((f) => f.optional && !f.name.startsWith('server'))) {
      if (field.name === 'prediction' || field.name === 'httpStatus') continue; // rules tie them to outcome
      const record = makeFailedOffloadRecord(1, { [field.name]: sampleValue(field) });
      expect(decodeOffload(encodeMessage(makeOffloadBatch([record]), encoding)), field.name).toEqual([
        record,
      ]);
    }
  });

  it('sends the server columns only when a record has them, null for the failed ones', () => {
    expect(Object.keys(wireOf(makeOffloadBatch([makeFailedOffloadRecord(1)])))).not.toContain(
      'serverEnergyNJ',
    );
    const wire = wireOf(makeOffloadBatch([makeFailedOffloadRecord(1), makeOffloadRecord(2)]));
    expect(wire).toMatchObject({
      serverEnergyNJ: [null, 4_321_000],
      serverId: [null, 'dc-fra-1'],
      roundTripUs: [2_000_000, 23_456],
      outcome: ['timeout', 'ok'],
    });
    expect(schemaAcceptsOffload(wire)).toBe(true);
  });

  it('rounds to the wire resolution (1 µs, 1 nJ, 1 µW), after which a record survives unchanged', () => {
    const record = makeOffloadRecord(1, { roundTripS: 0.0234567, serverEnergyJ: 0.0043211234 });
    const quantized = quantizeOffloadRecord(record);
    expect(quantized).toMatchObject({ roundTripS: 0.023457, serverEnergyJ: 0.004321123 });
    expect(decodeOffload(encodeMessage(makeOffloadBatch([quantized])))).toEqual([quantized]);
  });

  it('refuses to send server fields on a failure, and a success without them, naming the record and field', () => {
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeOffloadRecord(5, { outcome: 'timeout' })])),
      'records[0] (seq 5)',
      'outcome is "timeout"',
      'serverId ("dc-fra-1")',
    );
    const { serverEnergyJ: _e, ...withoutEnergy } = makeOffloadRecord(6);
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([withoutEnergy as OffloadRecord])),
      'outcome is "ok" but serverEnergyJ is absent',
    );
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeOffloadRecord(7, { fallback: 'edge' })])),
      'fallback is "edge" but outcome is "ok"',
    );
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeOffloadRecord(8, { httpStatus: 503 })])),
      'httpStatus is 503',
    );
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeFailedOffloadRecord(9, { outcome: 'refused' })])),
      'outcome is "refused" but httpStatus is absent',
    );
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeFailedOffloadRecord(9, { prediction: 3 })])),
      'prediction is 3',
    );
  });

  it('refuses the same inconsistencies when decoding bytes another publisher made', () => {
    const wire = wireOf(makeOffloadBatch([makeOffloadRecord(1), makeOffloadRecord(2)]));
    expectFailure(
      decodeMessage(jsonPayload({ ...wire, outcome: ['ok', 'timeout'] })),
      'invalid',
      'record 1 (seq 2)',
      'outcome is "timeout" but serverId ("dc-fra-1")',
    );
    expectFailure(
      decodeMessage(jsonPayload({ ...wire, serverEnergyNJ: [1, null] })),
      'invalid',
      'record 1 (seq 2): outcome is "ok" but serverEnergyJ is absent',
    );
  });

  it('refuses bad values per column, naming the column and the value', () => {
    const wire = wireOf(makeOffloadBatch([makeOffloadRecord(1)]));
    const bad: [string, unknown, string][] = [
      ['outcome', 'lost', '"lost"'],
      ['serverEnergyProvenance', 'measured', '"measured"'],
      ['deviceEnergyNJ', -1, '-1'],
      ['roundTripUs', 1.5, '1.5'],
      ['httpStatus', 42, '42'],
      ['policy', 'random', '"random"'],
      // Placement is implied by the kind: the column is not part of an offload batch.
      ['placement', 'edge', 'Unrecognized key: "placement"'],
    ];
    for (const [key, value, shown] of bad) {
      expectFailure(decodeMessage(jsonPayload({ ...wire, [key]: value })), 'invalid', key, shown);
      expect(schemaAcceptsOffload({ ...wire, [key]: value }), key).toBe(false);
    }
  });

  it('is its own kind: an offload batch on the inference topic is a topic mismatch', () => {
    const bytes = encodeMessage(makeOffloadBatch([makeOffloadRecord(1)]));
    expectFailure(decodeAs('inference', bytes), 'topic-mismatch', 'offload message on a inference topic');
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([])),
      'an offload batch needs at least one record',
    );
    expectEncodeError(
      () => encodeMessage(makeOffloadBatch([makeOffloadRecord(1), makeOffloadRecord(3)])),
      'consecutive sequence numbers',
    );
  });
});
