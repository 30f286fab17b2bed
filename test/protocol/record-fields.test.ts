// The record's field table (protocol/record-fields.ts) and what is derived from it on the wire:
// every row travels in CBOR and JSON, optional columns only when a record has them, and the
// experiment fields (experiment, arm, placement) follow the id and enum rules, in the schema
// and in the fast check alike.

import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { certainlyValidInference } from '../../protocol/codec/fast-check.js';
import { schemaAcceptsInference, WIRE_COLUMNS } from '../../protocol/codec/wire.js';
import {
  decodeMessage,
  ENCODINGS,
  encodeMessage,
  INFERENCE_KEYS,
  type InferenceRecord,
  RECORD_FIELD_LIST,
  RECORD_FIELD_NAMES,
  type RecordFieldName,
} from '../../protocol/index.js';
import {
  expectEncodeError,
  makeBatch,
  makeRecord,
  recordWithEveryField,
  sampleValue,
  wireOf,
} from './fixtures.js';

const decodeRecords = (bytes: Uint8Array): InferenceRecord[] => {
  const decoded = decodeMessage(bytes);
  if (!decoded.ok || decoded.value.type !== 'inference') throw new Error('expected an inference batch');
  return decoded.value.records;
};

describe('the record field table', () => {
  it('is the InferenceRecord type: the same names, optional exactly where the table says', () => {
    expectTypeOf<keyof InferenceRecord>().toEqualTypeOf<RecordFieldName>();
    expectTypeOf<InferenceRecord['experiment']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<InferenceRecord['placement']>().toEqualTypeOf<'edge' | 'offload' | undefined>();
    expectTypeOf<InferenceRecord['correct']>().toEqualTypeOf<boolean | null>();
    expect(Object.keys(makeRecord(1)).sort()).toEqual(
      RECORD_FIELD_LIST.filter((f) => !f.optional)
        .map((f) => f.name)
        .sort(),
    );
  });

  it('gives every field a distinct wire name and a distinct InfluxDB key', () => {
    const wireNames = WIRE_COLUMNS.map((c) => c.name);
    expect(new Set(wireNames).size).toBe(wireNames.length);
    const keys = RECORD_FIELD_NAMES.map((name) => INFERENCE_KEYS[name]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(INFERENCE_KEYS).toMatchObject({ startUs: 'time', modelId: 'model', energyJ: 'energy_j' });
  });

  it('has every wire column documented in protocol/README.md', () => {
    const readme = readFileSync(new URL('../../protocol/README.md', import.meta.url), 'utf8');
    for (const { name } of WIRE_COLUMNS) expect(readme, name).toContain(`| \`${name}\` |`);
  });

  it.each(ENCODINGS)(
    'carries every field through %s, each optional one alone and all together',
    (encoding) => {
      const all = [recordWithEveryField(1), recordWithEveryField(2)];
      expect(decodeRecords(encodeMessage(makeBatch(all), encoding))).toEqual(all);
      for (const field of RECORD_FIELD_LIST.filter((f) => f.optional)) {
        const records = [makeRecord(1, { [field.name]: sampleValue(field) })];
        expect(decodeRecords(encodeMessage(makeBatch(records), encoding)), field.name).toEqual(records);
      }
    },
  );

  it('sends an optional column only when a record has the field, with null for records without it', () => {
    expect(Object.keys(wireOf(makeBatch([makeRecord(1)])))).not.toContain('experiment');
    const records = [
      makeRecord(1),
      makeRecord(2, { experiment: 'exp-1', arm: 'pruned-edge', placement: 'offload' }),
    ];
    const wire = wireOf(makeBatch(records));
    expect(wire).toMatchObject({
      experiment: [null, 'exp-1'],
      arm: [null, 'pruned-edge'],
      placement: [null, 'offload'],
    });
    expect(wire).not.toHaveProperty('method');
    const decoded = decodeRecords(encodeMessage(makeBatch(records)));
    expect(decoded[0]).not.toHaveProperty('experiment');
    expect(decoded).toEqual(records);
  });

  it('refuses experiment and arm that break the id rules, and a placement other than edge or offload', () => {
    const bad: [Partial<InferenceRecord>, string][] = [
      [{ experiment: 'a/b' }, 'experiment'],
      [{ experiment: '' }, 'experiment'],
      [{ arm: 'x'.repeat(65) }, 'arm'],
      [{ arm: 'dense edge' }, 'arm'],
      [{ placement: 'cloud' as 'edge' }, 'placement'],
    ];
    for (const [override, field] of bad) {
      expectEncodeError(() => encodeMessage(makeBatch([makeRecord(1, override)])), field);
      const wire = { ...wireOf(makeBatch([makeRecord(1)])), [field]: Object.values(override)[0] };
      expect(schemaAcceptsInference(wire), field).toBe(false);
      expect(certainlyValidInference(wire), field).toBe(false);
    }
  });

  it('lets the fast check accept what the encoder makes with the experiment fields, nulls included', () => {
    const wire = wireOf(
      makeBatch([makeRecord(1), makeRecord(2, { experiment: 'e', arm: 'a', placement: 'edge' })]),
    );
    expect(schemaAcceptsInference(wire)).toBe(true);
    expect(certainlyValidInference(wire)).toBe(true);
    // A required column may not be null; an optional one without an absent value may.
    expect(certainlyValidInference({ ...wire, sensor: null })).toBe(false);
    expect(certainlyValidInference({ ...wire, method: null })).toBe(false);
    expect(schemaAcceptsInference({ ...wire, method: null })).toBe(false);
  });
});
