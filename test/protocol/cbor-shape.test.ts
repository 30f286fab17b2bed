// The CBOR shape walk against its straightforward oracle (cbor-shape-reference.ts): the same answer,
// message and byte position included, for valid batches, every hostile payload, and tens of
// thousands of seeded mutations of both (truncations, flipped bytes, integer heads put where a
// string or container head was, bytes cut out of a column run), and random bytes.

import { describe, expect, it } from 'vitest';
import { cborShapeProblem } from '../../protocol/codec/cbor-shape.js';
import { encodeMessage } from '../../protocol/index.js';
import { hostilePayloads } from '../fuzz/hostile.js';
import { referenceCborShapeProblem } from './cbor-shape-reference.js';
import { DEVICE, makeBatch, mulberry32, varyingRecords } from './fixtures.js';

const MAGIC_BYTES = 3;

/** Heads that move the walk's lanes: integers of every width, floats, strings, containers, tags, breaks. */
const HEADS = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x3b, 0x3f, 0x40, 0x5f, 0x60, 0x7f, 0x80, 0x81, 0x9f,
  0xa1, 0xbf, 0xc0, 0xd8, 0xf4, 0xf9, 0xfb, 0xff,
];

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const at = Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 5)) {
    case 0:
      return bytes.slice(0, at); // truncated
    case 1: {
      const out = bytes.slice();
      out[at] = Math.floor(random() * 256);
      return out;
    }
    case 2: {
      const out = bytes.slice();
      out[at] = HEADS[Math.floor(random() * HEADS.length)] as number;
      return out;
    }
    case 3: // a byte cut out
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
    default: // a head put in
      return Uint8Array.from([
        ...bytes.subarray(0, at),
        HEADS[Math.floor(random() * HEADS.length)] as number,
        ...bytes.subarray(at),
      ]);
  }
}

function expectSame(bytes: Uint8Array): string | null {
  const reference = referenceCborShapeProblem(bytes);
  expect(cborShapeProblem(bytes)).toBe(reference);
  return reference;
}

describe('cborShapeProblem', () => {
  const valid = [1, 2, 10, 100].map((count, seed) =>
    encodeMessage(makeBatch(varyingRecords(count, seed + 1)), 'cbor').subarray(MAGIC_BYTES),
  );
  const hostile = hostilePayloads(DEVICE)
    .filter(([label]) => !label.includes('200,000'))
    .map(([, payload]) => payload.subarray(MAGIC_BYTES));

  it('passes valid batches and refuses every hostile payload, as the oracle does', () => {
    for (const bytes of valid) expect(expectSame(bytes)).toBeNull();
    for (const bytes of hostile) expect(expectSame(bytes)).not.toBeNull();
  });

  it('gives the oracle’s answer on 40,000 seeded mutations of valid and hostile payloads', () => {
    const random = mulberry32(20261129);
    const seeds = [...valid, ...hostile];
    let refused = 0;
    for (let i = 0; i < 40_000; i++) {
      let bytes = seeds[i % seeds.length] as Uint8Array;
      const rounds = 1 + Math.floor(random() * 3);
      for (let r = 0; r < rounds && bytes.length > 0; r++) bytes = mutate(bytes, random);
      if (expectSame(bytes) !== null) refused++;
    }
    // Both lanes were exercised: most mutations break the shape, some keep it.
    expect(refused).toBeGreaterThan(10_000);
    expect(refused).toBeLessThan(40_000);
  });

  it('gives the oracle’s answer on random bytes and on integer runs cut at every length', () => {
    const random = mulberry32(7);
    for (let i = 0; i < 5_000; i++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
        Math.floor(random() * 256),
      );
      expectSame(bytes);
    }
    // [1, 300, 70000, 2^32 + 1, -1] as a definite array, then every prefix of it.
    const run = Uint8Array.of(
      0x85,
      0x01,
      0x19,
      0x01,
      0x2c,
      0x1a,
      0x00,
      0x01,
      0x11,
      0x70,
      0x1b,
      0,
      0,
      0,
      1,
      0,
      0,
      0,
      1,
      0x20,
    );
    expect(expectSame(run)).toBeNull();
    for (let cut = 0; cut < run.length; cut++) expect(expectSame(run.subarray(0, cut))).not.toBeNull();
  });
});
