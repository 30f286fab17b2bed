// The fast acceptance check in front of the zod schema (protocol/codec/fast-check.ts) may only be
// stricter than the schema, never looser: whatever it accepts, the schema accepts. And it must
// accept every message our encoder makes, or it would not save anything.

import { describe, expect, it } from 'vitest';
import { certainlyValidInference } from '../../protocol/codec/fast-check.js';
import { schemaAcceptsInference } from '../../protocol/codec/wire.js';
import { MAX_BATCH_RECORDS } from '../../protocol/limits.js';
import { expectNeverLooser } from './fast-check-mutations.js';
import { constantRecords, makeBatch, makeRecord, varyingRecords, wireOf } from './fixtures.js';

describe('certainlyValidInference', () => {
  it('accepts every batch the encoder makes: constant, varying, batched-method, single-record', () => {
    const batches = [
      makeBatch(constantRecords(50)),
      makeBatch(varyingRecords(100, 3)),
      makeBatch(varyingRecords(1, 4)),
      makeBatch([makeRecord(7, { method: 'batched', windowInferences: 20, correct: true })]),
      makeBatch(varyingRecords(MAX_BATCH_RECORDS, 5)),
    ];
    for (const batch of batches) {
      const wire = wireOf(batch);
      expect(schemaAcceptsInference(wire)).toBe(true);
      expect(certainlyValidInference(wire)).toBe(true);
    }
  });

  it('never accepts what the schema refuses, over 2,000 mutated messages (20,000 in the slow set)', () => {
    expectNeverLooser(2_000);
  });

  it('refuses keys from the prototype chain and non-plain objects', () => {
    const wire = wireOf(makeBatch(constantRecords(3)));
    expect(certainlyValidInference({ ...wire, toString: 1 })).toBe(false);
    expect(certainlyValidInference(Object.assign(Object.create({ polluted: true }), wire))).toBe(false);
    expect(certainlyValidInference(new Map(Object.entries(wire)))).toBe(false);
  });
});
