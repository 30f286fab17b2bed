// The mutation run of the fast check's property (it may only be stricter than the schema): wire
// objects of real batches, edited at random, judged by both. Shared by the unit test (2,000
// mutations) and test/protocol/fast-check.slow.test.ts (20,000, the same seed and sources).

import { expect } from 'vitest';
import { certainlyValidInference } from '../../protocol/codec/fast-check.js';
import { schemaAcceptsInference, WIRE_COLUMNS } from '../../protocol/codec/wire.js';
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

/**
 * Mutates `count` messages and throws on the first one the fast check accepts and the schema
 * refuses; then checks that both branches were exercised (about a third of the mutations are
 * refused by the schema, a few percent accepted by both), so the property was not tested vacuously.
 */
export function expectNeverLooser(count: number): void {
  const rnd = mulberry32(2026);
  const sources = [
    wireOf(makeBatch(constantRecords(5))),
    wireOf(makeBatch(varyingRecords(8, 9))),
    wireOf(makeBatch([makeRecord(1), recordWithEveryField(2), recordWithEveryField(3)])),
  ];
  let refusedBySchema = 0;
  let acceptedByBoth = 0;
  for (let i = 0; i < count; i++) {
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
  expect(refusedBySchema).toBeGreaterThan(count / 4);
  expect(acceptedByBoth).toBeGreaterThan(count / 40);
}
