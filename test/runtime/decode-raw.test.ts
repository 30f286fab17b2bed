// Raw tensor bytes → model input (runtime/decode.ts): the typed-array path (aligned bytes on a
// little-endian host) gives exactly what reading every element through a DataView gives, for
// each dtype and for unaligned bytes too; a non-finite float32 is refused at its index; and
// `view` hands back the request body itself only for aligned float32.

import { describe, expect, it } from 'vitest';
import { decodeRawInput, InputError } from '../../runtime/decode.js';

const SHAPE = [2, 3];

/** The reference: every element read through a DataView, as the decoder did before issue 14. */
function reference(bytes: Uint8Array, dtype: 'float32' | 'int32' | 'uint8'): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const per = dtype === 'uint8' ? 1 : 4;
  const out = new Float32Array(bytes.byteLength / per);
  for (let i = 0; i < out.length; i++)
    out[i] =
      dtype === 'float32'
        ? view.getFloat32(i * 4, true)
        : dtype === 'int32'
          ? view.getInt32(i * 4, true)
          : view.getUint8(i);
  return out;
}

/** `bytes` copied at `offset` into a larger buffer, so its byteOffset is what the test wants. */
function at(offset: number, bytes: Uint8Array): Uint8Array {
  const backing = new Uint8Array(offset + bytes.byteLength);
  backing.set(bytes, offset);
  return backing.subarray(offset);
}

const samples = {
  // Values float32 cannot hold exactly, a negative zero, the smallest subnormal.
  float32: new Uint8Array(new Float32Array([0.1, -2.5, 1e-45, -0, 3.4e38, 123.456]).buffer),
  // int32 beyond float32's exact range (2^24 + 1) is rounded alike on both paths.
  int32: new Uint8Array(new Int32Array([0, -1, 16_777_217, 2_147_483_647, -2_147_483_648, 42]).buffer),
  uint8: new Uint8Array([0, 1, 127, 128, 254, 255]),
};

describe('decodeRawInput', () => {
  for (const dtype of ['float32', 'int32', 'uint8'] as const)
    for (const offset of [0, 1, 2, 4, 8])
      it(`${dtype} at byte offset ${offset} equals the element-by-element read`, () => {
        const bytes = at(offset, samples[dtype]);
        const { values, count } = decodeRawInput(bytes, dtype, SHAPE, SHAPE);
        expect(count).toBe(1);
        expect(Array.from(values)).toEqual(Array.from(reference(bytes, dtype)));
        expect(Object.is(values[3], -0) || dtype !== 'float32').toBe(true);
        // Without `view` the input never shares memory with the body.
        expect(values.buffer).not.toBe(bytes.buffer);
      });

  it('views an aligned float32 body when the caller allows it, and copies an unaligned one', () => {
    const aligned = at(8, samples.float32);
    const viewed = decodeRawInput(aligned, 'float32', SHAPE, SHAPE, { view: true }).values;
    expect(viewed.buffer).toBe(aligned.buffer);
    expect(viewed.byteOffset).toBe(aligned.byteOffset);
    expect(Array.from(viewed)).toEqual(Array.from(reference(aligned, 'float32')));
    const unaligned = at(2, samples.float32);
    const copied = decodeRawInput(unaligned, 'float32', SHAPE, SHAPE, { view: true }).values;
    expect(copied.buffer).not.toBe(unaligned.buffer);
    expect(Array.from(copied)).toEqual(Array.from(reference(unaligned, 'float32')));
    // int32 and uint8 are converted, so they are never a view.
    const ints = at(8, samples.int32);
    expect(decodeRawInput(ints, 'int32', SHAPE, SHAPE, { view: true }).values.buffer).not.toBe(ints.buffer);
  });

  for (const [bad, text] of [
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ] as const)
    for (const offset of [0, 2])
      for (const view of [false, true])
        it(`refuses a float32 ${text} at its index (offset ${offset}, view ${view})`, () => {
          const floats = new Float32Array([1, 2, 3, 4, bad, 6]);
          floats[5] = bad; // a second one: the first is named
          const bytes = at(offset, new Uint8Array(floats.buffer));
          const decode = () => decodeRawInput(bytes, 'float32', SHAPE, SHAPE, { view });
          expect(decode).toThrow(InputError);
          expect(decode).toThrow(`element 4 is ${text}, not a finite number`);
        });

  it('still refuses a wrong size, an unknown dtype and a shape that does not fit', () => {
    expect(() => decodeRawInput(new Uint8Array(20), 'float32', SHAPE, SHAPE)).toThrow(
      'body is 20 bytes; shape [2, 3] of float32 needs 24',
    );
    expect(() => decodeRawInput(new Uint8Array(48), 'float64', SHAPE, SHAPE)).toThrow('float64');
    expect(() => decodeRawInput(new Uint8Array(24), 'float32', [3, 2], SHAPE)).toThrow('does not fit');
    // A leading count of inputs.
    expect(decodeRawInput(new Uint8Array(48), 'float32', [2, 2, 3], SHAPE).count).toBe(2);
  });
});
