// The fast acceptance check in front of the zod schema (protocol/codec/fast-check.ts) may only be
// stricter than the schema, never looser: whatever it accepts, the schema accepts. And it must
// accept every message our encoder makes, or it would not save anything.

import { describe, expect, it } from 'vitest';
import { certainlyValidInference } from '../../protocol/codec/fast-check.js';
import { schemaAcceptsInference, WIRE_COLUMNS } from '../../protocol/codec/wire.js';
import { MAX_BATCH_RECORDS } from '../../protocol/limits.js';
import {
  constantRecords,
  makeBatch,
  makeRecord,
  mulberry32,
  recordWithEveryField,
  varyingRecords,
  wireOf,
} from './fixtures.js';

const VALUES: unknown[] = [
  0,
  1,
  -1,
  2.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  2 ** 53,
  2 ** 53 - 1,
  9e15,
  9e15 + 1,
  10n,
  '',
  'x',
  'measured',
  'batched',
  'a'.repeat(129),
  null,
  undefined,
  true,
  false,
  [],
  [1],
  {},
  { a: 1 },
];

/** Keys a mutation may add: unknown ones, and every optional column of the field table. */
const ADDED_KEYS = [
  'extra',
  'toString',
  '__proto__',
  ...WIRE_COLUMNS.filter((c) => c.optional).map((c) => c.name),
];

/** Returns a copy of a wire object with one random edit: a value replaced, a key removed or added. */
function mutateWire(rnd: () => number, wire: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = structuredClone(wire);
  const keys = Object.keys(copy);
  const key = keys[Math.floor(rnd() * keys.length)] as string;
  const pick = () => VALUES[Math.floor(rnd() * VALUES.length)];
  const op = Math.floor(rnd() * 6);
  if (op === 0) copy[key] = pick();
  else if (op === 1) delete copy[key];
  else if (op === 2) copy[ADDED_KEYS[Math.floor(rnd() * ADDED_KEYS.length)] as string] = pick();
  else if (Array.isArray(copy[key])) {
    const column = [...(copy[key] as unknown[])];
    if (op === 3) column[Math.floor(rnd() * column.length)] = pick();
    else if (op === 4) column.push(pick());
    else column.length = Math.max(0, column.length - 1);
    copy[key] = column;
  } else copy[key] = [copy[key], pick()];
  return copy;
}

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

  it('never accepts what the schema refuses, over 20,000 mutated messages', () => {
    const rnd = mulberry32(2026);
    const sources = [
      wireOf(makeBatch(constantRecords(5))),
      wireOf(makeBatch(varyingRecords(8, 9))),
      wireOf(makeBatch([makeRecord(1), recordWithEveryField(2), recordWithEveryField(3)])),
    ];
    let refusedBySchema = 0;
    let acceptedByBoth = 0;
    for (let i = 0; i < 20_000; i++) {
      let wire = sources[i % sources.length] as Record<string, unknown>;
      for (let edits = 1 + Math.floor(rnd() * 3); edits > 0; edits--) wire = mutateWire(rnd, wire);
      const schema = schemaAcceptsInference(wire);
      const fast = certainlyValidInference(wire);
      if (fast && !schema)
        throw new Error(
          `fast check accepted what the schema refuses: ${String(JSON.stringify(wire, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)))}`,
        );
      if (!schema) refusedBySchema++;
      if (fast && schema) acceptedByBoth++;
    }
    // Both branches were exercised, so the property above was tested, not vacuous.
    expect(refusedBySchema).toBeGreaterThan(5_000);
    expect(acceptedByBoth).toBeGreaterThan(500);
  });

  it('refuses keys from the prototype chain and non-plain objects', () => {
    const wire = wireOf(makeBatch(constantRecords(3)));
    expect(certainlyValidInference({ ...wire, toString: 1 })).toBe(false);
    expect(certainlyValidInference(Object.assign(Object.create({ polluted: true }), wire))).toBe(false);
    expect(certainlyValidInference(new Map(Object.entries(wire)))).toBe(false);
  });
});
