// Turns what an application sends into model input: JSON arrays, raw tensor bytes with a dtype and
// a shape, or an image file (PNG or JPEG, resized to the model's input, grey when it takes one
// channel). Every refusal is an InputError naming the problem class and the offending value, so
// the local API can answer 400 with it. Pure: no tensors, no I/O (tensors are made by the caller).

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { EdgewattError } from '../protocol/edgewatt-error.js';

/** What was wrong with an input: its shape, its dtype, its byte size, or its format. */
export type InputProblem = 'shape' | 'dtype' | 'size' | 'format';

export class InputError extends EdgewattError {
  override readonly name = 'InputError';
  constructor(
    readonly problem: InputProblem,
    message: string,
    hint?: string,
  ) {
    super(message, hint === undefined ? {} : { hint });
  }
}

/** Model input: `count` inputs of the model's shape, float32, row-major. */
export interface DecodedInput {
  values: Float32Array;
  count: number;
}

export const RAW_DTYPES = ['float32', 'int32', 'uint8'] as const;
export type RawDtype = (typeof RAW_DTYPES)[number];
const BYTES_PER: Record<RawDtype, number> = { float32: 4, int32: 4, uint8: 1 };

/** Largest image edge decoded, pixels: a bound on the memory one request can make us spend. */
export const MAX_IMAGE_EDGE = 4096;
/** Most inputs one request may carry (one model call). */
export const MAX_INPUTS_PER_CALL = 1024;

/** Raw tensor bytes are little-endian; a typed array reads them as they are only on such a host. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// Loops, not closures: a request decodes in a few µs, and each closure made per call costs a
// noticeable share of that (~0.5 µs each where tsx names them, as bench:api runs).
function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function sameShape(a: readonly number[], b: readonly number[], from = 0): boolean {
  if (a.length - from !== b.length) return false;
  for (let i = 0; i < b.length; i++) if (a[from + i] !== b[i]) return false;
  return true;
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * How many inputs `shape` holds for a model taking `inputShape`: the shape itself (1) or with a
 * leading batch dimension (k); anything else is a shape error naming both.
 */
export function inputCount(shape: readonly number[], inputShape: readonly number[]): number {
  if (sameShape(shape, inputShape)) return 1;
  const k = shape[0];
  if (k !== undefined && k >= 1 && k <= MAX_INPUTS_PER_CALL && sameShape(shape, inputShape, 1)) return k;
  throw new InputError(
    'shape',
    `input shape ${shapeText(shape)} does not fit the model, which takes ${shapeText(inputShape)} (or [k, ${inputShape.join(', ')}] for k ≤ ${MAX_INPUTS_PER_CALL} inputs)`,
  );
}

/** Nested JSON arrays of numbers (one input, or a list of inputs). */
export function decodeJsonInput(value: unknown, inputShape: readonly number[]): DecodedInput {
  const shape: number[] = [];
  for (let level: unknown = value; Array.isArray(level); level = level[0]) shape.push(level.length);
  if (shape.length === 0)
    throw new InputError(
      'format',
      `input must be an array of numbers (nested to the model's shape), got ${typeof value}`,
    );
  const count = inputCount(shape, inputShape);
  const values = new Float32Array(size(shape));
  let at = 0;
  const walk = (node: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (typeof node !== 'number' || !Number.isFinite(node))
        throw new InputError('dtype', `input${path} is ${JSON.stringify(node)}, not a finite number`);
      values[at++] = node;
      return;
    }
    if (!Array.isArray(node) || node.length !== shape[depth])
      throw new InputError(
        'shape',
        `input${path} has ${Array.isArray(node) ? node.length : 'no'} elements where ${shape[depth]} were expected (a ragged array)`,
      );
    node.forEach((child, i) => {
      walk(child, depth + 1, `${path}[${i}]`);
    });
  };
  walk(value, 0, '');
  return { values, count };
}

/**
 * Raw little-endian tensor bytes of `dtype` and `shape`. `view`: the caller owns `bytes` and
 * leaves them as they are while the input is in use, so float32 values may be a view of them
 * instead of a copy (the local API's request body: issue 14, a 1024-input request is 3 MiB).
 */
export function decodeRawInput(
  bytes: Uint8Array,
  dtype: string,
  shape: readonly number[],
  inputShape: readonly number[],
  options: { view?: boolean } = {},
): DecodedInput {
  if (!(RAW_DTYPES as readonly string[]).includes(dtype))
    throw new InputError(
      'dtype',
      `dtype ${JSON.stringify(dtype)} is not supported (use ${RAW_DTYPES.join(', ')})`,
    );
  const count = inputCount(shape, inputShape);
  const per = BYTES_PER[dtype as RawDtype];
  const n = size(shape);
  const expected = n * per;
  if (bytes.byteLength !== expected)
    throw new InputError(
      'size',
      `body is ${bytes.byteLength} bytes; shape ${shapeText(shape)} of ${dtype} needs ${expected}`,
    );
  // Typed views of the body (no per-element reads through a DataView) when it is aligned and
  // this machine is little-endian, as the bytes are; else element by element.
  const fast = LITTLE_ENDIAN && bytes.byteOffset % per === 0;
  let values: Float32Array;
  if (fast && dtype === 'float32') {
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, n);
    values = options.view === true ? floats : floats.slice();
  } else {
    values = new Float32Array(n);
    if (fast && dtype === 'int32') values.set(new Int32Array(bytes.buffer, bytes.byteOffset, n));
    else if (dtype === 'uint8') values.set(bytes);
    else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < n; i++)
        values[i] = dtype === 'float32' ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
    }
  }
  // Only float32 can hold NaN or ±Infinity (int32 and uint8 values are all finite).
  if (dtype === 'float32')
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isFinite(v)) throw new InputError('dtype', `element ${i} is ${v}, not a finite number`);
    }
  return { values, count };
}

/** PNG or JPEG bytes, resized to the model's [height, width(, channels)], pixels scaled to 0..1. */
export function decodeImageInput(bytes: Uint8Array, inputShape: readonly number[]): DecodedInput {
  const [height, width, channels = 1] = inputShape;
  if (height === undefined || width === undefined || inputShape.length > 3 || ![1, 3].includes(channels))
    throw new InputError(
      'shape',
      `the model takes ${shapeText(inputShape)}, not an image ([height, width] or [height, width, 1 or 3])`,
    );
  const image = decodeImage(bytes);
  const values = new Float32Array(height * width * channels);
  // Nearest-neighbour resampling: cheap, and exact when the sizes already agree.
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      const p = (sy * image.width + sx) * 4;
      const r = image.rgba[p] ?? 0;
      const g = image.rgba[p + 1] ?? 0;
      const b = image.rgba[p + 2] ?? 0;
      const at = (y * width + x) * channels;
      if (channels === 1) values[at] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      else {
        values[at] = r / 255;
        values[at + 1] = g / 255;
        values[at + 2] = b / 255;
      }
    }
  }
  return { values, count: 1 };
}

function decodeImage(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) {
    const head = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new InputError(
      'format',
      `image starts with bytes ${head}: neither PNG (89504e47) nor JPEG (ffd8ff)`,
    );
  }
  try {
    if (isPng) {
      // IHDR's size first: pngjs would allocate whatever a hostile header claims.
      if (bytes.byteLength >= 24) {
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        checkEdges(view.getUint32(16), view.getUint32(20));
      }
      const png = PNG.sync.read(Buffer.from(bytes));
      checkEdges(png.width, png.height);
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: (MAX_IMAGE_EDGE * MAX_IMAGE_EDGE) / 1e6,
      maxMemoryUsageInMB: 256,
    });
    checkEdges(decoded.width, decoded.height);
    return { width: decoded.width, height: decoded.height, rgba: decoded.data };
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      'format',
      `${isPng ? 'PNG' : 'JPEG'} cannot be decoded: ${(error as Error).message}`,
    );
  }
}

function checkEdges(width: number, height: number): void {
  if (width < 1 || height < 1 || width > MAX_IMAGE_EDGE || height > MAX_IMAGE_EDGE)
    throw new InputError(
      'size',
      `image is ${width}×${height}; edges of 1 to ${MAX_IMAGE_EDGE} pixels are accepted`,
    );
}

/** The dtype and shape of a raw tensor body, from X-Edgewatt-Dtype / X-Edgewatt-Shape or ?dtype=&shape= (the agent's API and edgewatt serve). */
export function rawTensorMeta(
  dtypeText: string | undefined,
  shapeText: string | undefined,
): { dtype: string; shape: number[] } {
  const dtype = dtypeText ?? 'float32';
  if (shapeText === undefined)
    throw new InputError(
      'shape',
      'raw tensor bytes need their shape: X-Edgewatt-Shape: 28,28,1 (or ?shape=28,28,1)',
    );
  const shape = shapeText
    .split(/[,x×\s]+/)
    .filter((s) => s !== '')
    .map(Number);
  if (shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 1))
    throw new InputError('shape', `shape ${JSON.stringify(shapeText)} is not a list of positive integers`);
  return { dtype, shape };
}
