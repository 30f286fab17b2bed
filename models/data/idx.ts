// Reads IDX files (the MNIST / Fashion-MNIST format: a magic number giving the element type and
// the number of dimensions, the dimensions as big-endian uint32, then the data), gzipped or not.
// Only unsigned bytes (type 0x08) are needed here; anything else is refused with its type named.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { EdgewattError } from '../../common/errors.js';

export class IdxFormatError extends EdgewattError {
  override readonly name = 'IdxFormatError';
}

export interface IdxArray {
  /** Dimensions, outermost first, e.g. [60000, 28, 28] for images, [60000] for labels. */
  shape: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

/** Parses IDX bytes; gzip (1f 8b) is detected and inflated first. */
export function parseIdx(bytes: Uint8Array, source = 'idx data'): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.byteLength < 4)
    throw new IdxFormatError(`${source}: ${raw.byteLength} bytes, too short for an IDX header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (view.getUint16(0) !== 0) {
    throw new IdxFormatError(
      `${source}: first two bytes are ${view.getUint16(0)}, an IDX file starts with 0 0`,
    );
  }
  const type = view.getUint8(2);
  if (type !== UNSIGNED_BYTE) {
    throw new IdxFormatError(
      `${source}: element type 0x${type.toString(16)} is not supported; only unsigned bytes (0x08) are`,
    );
  }
  const rank = view.getUint8(3);
  const headerBytes = 4 + 4 * rank;
  if (raw.byteLength < headerBytes) {
    throw new IdxFormatError(
      `${source}: header of rank ${rank} needs ${headerBytes} bytes, file has ${raw.byteLength}`,
    );
  }
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  if (raw.byteLength !== headerBytes + count) {
    throw new IdxFormatError(
      `${source}: shape [${shape.join(', ')}] needs ${headerBytes + count} bytes, file has ${raw.byteLength} (truncated or corrupt)`,
    );
  }
  return { shape, data: raw.subarray(headerBytes) };
}

export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(new Uint8Array(await readFile(path)), path);
}

/** Encodes unsigned bytes as IDX (for writing dataset subsets). */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  view.setUint8(2, UNSIGNED_BYTE);
  view.setUint8(3, shape.length);
  shape.forEach((dim, i) => {
    view.setUint32(4 + 4 * i, dim);
  });
  const out = new Uint8Array(header.byteLength + data.byteLength);
  out.set(header);
  out.set(data, header.byteLength);
  return out;
}
