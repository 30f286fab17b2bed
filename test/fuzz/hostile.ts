// Hand-made hostile CBOR payloads found by the red-team pass (issue 12), shared by the fuzz
// corpus, the security tests and bench/fuzz.bench.ts: a field whose value is a DAG built with
// CBOR value sharing (tags 28/29), other tags cbor-x would decode into objects, and nesting bombs.

import { Encoder } from 'cbor-x';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const MAGIC = [0xd9, 0xd9, 0xf7];

/** CBOR head of a tag 29 (shared reference) to value number `id`. */
function sharedRef(id: number): number[] {
  return id < 24 ? [0xd8, 0x1d, id] : [0xd8, 0x1d, 0x18, id];
}

/**
 * A CBOR value of `depth` levels where level k is tag 28 (shareable) of [level k-1, tag 29(level
 * k-1)]: 7 bytes a level, 2^depth paths. Shared values are numbered in reading order, so the
 * outermost is 0 and level k is depth - k.
 */
export function valueSharingDag(depth: number): Uint8Array {
  let inner = [0x82, 0x01, 0x01];
  for (let k = 1; k <= depth; k++) inner = [0x82, 0xd8, 0x1c, ...inner, ...sharedRef(depth - k + 1)];
  return Uint8Array.from([0xd8, 0x1c, ...inner]);
}

/** An inference payload whose `field` holds `value` (raw CBOR bytes) after a valid header. */
export function inferenceWithRawField(device: string, field: string, value: Uint8Array): Uint8Array {
  const header = cbor.encode({ v: 1, type: 'inference', device, seq: 0, startUs: [1_763_700_000_000_000] });
  // The encoder writes a one-byte map head (0xa0 + entries) for five entries: add the sixth.
  const body = Uint8Array.from(header);
  body[0] = (body[0] as number) + 1;
  return Uint8Array.from([...MAGIC, ...body, ...cbor.encode(field), ...value]);
}

/** The red-team message: energyNJ is a 2^60-path DAG, in 475 bytes. */
export function dagBomb(device = 'rpi4-lab-01', depth = 60): Uint8Array {
  return inferenceWithRawField(device, 'energyNJ', valueSharingDag(depth));
}

/** Tags cbor-x decodes into objects by default, each as the value of a field: [label, tag bytes + value]. */
export const FOREIGN_TAGS: readonly (readonly [string, number[]])[] = [
  ['tag 0 (date string)', [0xc0, 0x61, 0x31]],
  ['tag 1 (epoch date)', [0xc1, 0x01]],
  ['tag 2 (bignum)', [0xc2, 0x41, 0x01]],
  ['tag 27 (constructs an Error)', [0xd8, 0x1b, 0x82, 0x65, ...Buffer.from('Error'), 0x61, 0x78]],
  ['tag 28 (shareable)', [0xd8, 0x1c, 0x01]],
  ['tag 64 (typed array)', [0xd8, 0x40, 0x41, 0x01]],
  ['tag 258 (Set)', [0xd9, 0x01, 0x02, 0x81, 0x01]],
  ['tag 259 (Map)', [0xd9, 0x01, 0x03, 0xa1, 0x01, 0x01]],
  ['tag 55799 (self-describe, nested)', [0xd9, 0xd9, 0xf7, 0x01]],
  ['tag 57343 (cbor-x record)', [0xd9, 0xdf, 0xff, 0x01]],
];

/** Arrays nested `depth` deep: 0x81 repeated, then 0. */
export function nestingBomb(device = 'rpi4-lab-01', depth = 200_000): Uint8Array {
  const value = new Uint8Array(depth + 1).fill(0x81);
  value[depth] = 0x00;
  return inferenceWithRawField(device, 'energyNJ', value);
}

/** Every hostile payload with a label, for the corpus and the bench. */
export function hostilePayloads(device: string): [string, Uint8Array][] {
  return [
    ['value-sharing DAG, depth 60', dagBomb(device)],
    ['value-sharing DAG, depth 20', dagBomb(device, 20)],
    ['arrays nested 200,000 deep', nestingBomb(device)],
    ...FOREIGN_TAGS.map(([label, bytes]): [string, Uint8Array] => [
      label,
      inferenceWithRawField(device, 'energyNJ', Uint8Array.from(bytes)),
    ]),
  ];
}
