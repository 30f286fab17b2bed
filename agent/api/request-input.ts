// What a POST /v1/infer body holds, as model input: JSON arrays, raw tensor bytes (dtype and
// shape from X-Edgewatt-Dtype / X-Edgewatt-Shape or ?dtype=&shape=) or a PNG/JPEG image. Raw
// bytes are the path an application takes when latency matters, and it sends the same dtype and
// shape on every request: they are parsed once per distinct text and reused (issue 14: parsing
// them each time took ~16 µs of a request in place on this VM, under load, with the caches cold
// from the model call before it).

import type { FastifyRequest } from 'fastify';
import {
  type DecodedInput,
  decodeImageInput,
  decodeJsonInput,
  decodeRawInput,
  InputError,
  rawTensorMeta,
} from '../../runtime/decode.js';

export interface RequestInput {
  input: DecodedInput;
  /** The true class the application gave with a JSON input (then the record says if it was right). */
  label?: number;
}

interface RawMeta {
  readonly dtype: string;
  readonly shape: readonly number[];
}

const OCTET_STREAM = 'application/octet-stream';

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The media type of a Content-Type header, lower case, without parameters ('' when absent). */
function mediaType(header: string | undefined): string {
  // The exact header the raw path sends needs no normalising.
  if (header === OCTET_STREAM) return header;
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Decodes request bodies for one API; holds the last raw dtype and shape it parsed. */
export class RequestInputDecoder {
  private metaDtypeText: string | undefined;
  private metaShapeText: string | undefined;
  private meta: RawMeta | undefined;

  /** Throws InputError naming the problem (shape, dtype, size or format) for a body it refuses. */
  decode(request: FastifyRequest, inputShape: readonly number[]): RequestInput {
    const type = mediaType(request.headers['content-type']);
    const body = request.body as Buffer | Record<string, unknown> | undefined;
    if (type === 'application/json') {
      const json = body as { input?: unknown; label?: unknown } | undefined;
      if (json === undefined || typeof json !== 'object' || Array.isArray(json) || !('input' in json))
        throw new InputError(
          'format',
          'a JSON body is an object with "input": nested arrays of the model\'s shape',
        );
      const label = json.label;
      return {
        input: decodeJsonInput(json.input, inputShape),
        ...(typeof label === 'number' && Number.isInteger(label) && label >= 0 ? { label } : {}),
      };
    }
    const bytes =
      body instanceof Buffer ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
    if (bytes === undefined || bytes.byteLength === 0)
      throw new InputError('size', 'the request body is empty');
    if (type === OCTET_STREAM) {
      const { dtype, shape } = this.rawMeta(request);
      // The body is this request's own copy (fastify concatenates what the socket read): the input may view it.
      return { input: decodeRawInput(bytes, dtype, shape, inputShape, { view: true }) };
    }
    if (type === 'image/png' || type === 'image/jpeg') return { input: decodeImageInput(bytes, inputShape) };
    throw new InputError(
      'format',
      `content type ${JSON.stringify(type || '(none)')} is not accepted: use application/json, application/octet-stream (raw tensor), image/png or image/jpeg`,
    );
  }

  /** Reads dtype and shape from the headers, or the query; parsed again only when their text changes. */
  private rawMeta(request: FastifyRequest): RawMeta {
    const query = request.query as Record<string, string | undefined>;
    const dtypeText = headerOf(request, 'x-edgewatt-dtype') ?? query.dtype;
    const shapeText = headerOf(request, 'x-edgewatt-shape') ?? query.shape;
    if (this.meta !== undefined && shapeText === this.metaShapeText && dtypeText === this.metaDtypeText)
      return this.meta;
    // Throws for a bad shape text; only texts that parsed are kept.
    const { dtype, shape } = rawTensorMeta(dtypeText, shapeText);
    this.meta = { dtype, shape: Object.freeze(shape) };
    this.metaDtypeText = dtypeText;
    this.metaShapeText = shapeText;
    return this.meta;
  }
}
