// The body of POST /v1/infer as model input, in the formats the agent's local API takes (and the
// same runtime/decode.ts underneath, so a refusal names the same problem class): JSON
// `{ "input": nested arrays }` (`"inputs"` is accepted too), raw tensor bytes
// (application/octet-stream with X-Edgewatt-Dtype and X-Edgewatt-Shape, or ?dtype=&shape=), or a
// PNG/JPEG image. The agent's offload client sends raw float32 bytes.

import {
  type DecodedInput,
  decodeImageInput,
  decodeJsonInput,
  decodeRawInput,
  InputError,
  rawTensorMeta,
} from '../runtime/decode.js';

export interface RequestParts {
  /** The media type of Content-Type, lower case, without parameters ('' when absent). */
  contentType: string;
  /** A parsed JSON object, or the raw bytes. */
  body: unknown;
  header(name: string): string | undefined;
  query: Record<string, string | undefined>;
}

function rawMeta(parts: RequestParts): { dtype: string; shape: number[] } {
  return rawTensorMeta(
    parts.header('x-edgewatt-dtype') ?? parts.query.dtype,
    parts.header('x-edgewatt-shape') ?? parts.query.shape,
  );
}

export function decodeRequestBody(parts: RequestParts, inputShape: readonly number[]): DecodedInput {
  const { contentType: type, body } = parts;
  if (type === 'application/json') {
    const json = body as Record<string, unknown> | undefined;
    const key = json !== null && typeof json === 'object' ? ('input' in json ? 'input' : 'inputs') : 'input';
    if (json === null || typeof json !== 'object' || Array.isArray(json) || !(key in json))
      throw new InputError(
        'format',
        'a JSON body is an object with "input": nested arrays of the model\'s shape',
      );
    return decodeJsonInput(json[key], inputShape);
  }
  if (!['image/png', 'image/jpeg', 'application/octet-stream'].includes(type))
    throw new InputError(
      'format',
      `content type ${JSON.stringify(type || '(none)')} is not accepted: use application/json, application/octet-stream (raw tensor), image/png or image/jpeg`,
    );
  const bytes =
    body instanceof Buffer ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
  if (bytes === undefined || bytes.byteLength === 0)
    throw new InputError('size', 'the request body is empty');
  if (type === 'application/octet-stream') {
    const { dtype, shape } = rawMeta(parts);
    return decodeRawInput(bytes, dtype, shape, inputShape);
  }
  return decodeImageInput(bytes, inputShape);
}
