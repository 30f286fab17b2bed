// An inference request's body as model input, for every server that takes one (the agent's local
// API and its fast path, `edgewatt serve`): JSON `{ "input": nested arrays }`, raw tensor bytes
// (application/octet-stream, dtype and shape from X-Edgewatt-Dtype / X-Edgewatt-Shape or
// ?dtype=&shape=) or a PNG/JPEG image, each refused with an InputError naming the problem class.
// Raw bytes are the path an application takes when latency matters, and it sends the same dtype
// and shape on every request: they are parsed once per distinct text and reused (issue 14: parsing
// them each time took ~16 µs of a request on this VM, under load, with the caches cold from the
// model call before it).

import {
  type DecodedInput,
  decodeImageInput,
  decodeJsonInput,
  decodeRawInput,
  InputError,
  rawTensorMeta,
} from './decode.js';

const OCTET_STREAM = 'application/octet-stream';
const ACCEPTED = ['application/json', OCTET_STREAM, 'image/png', 'image/jpeg'];

/** What a request gives the decoder: node:http's headers and the parsed query, as fastify has them. */
export interface RequestBody {
  /** The parsed JSON value for application/json, else the body's bytes. */
  body: unknown;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed query string (an object of texts), if any. */
  query: unknown;
}

export interface RequestInput {
  input: DecodedInput;
  /** The true class an application gave with a JSON input (then the record says if it was right). */
  label?: number;
}

export interface RequestBodyOptions {
  /** JSON may spell the key `"inputs"` too (edgewatt serve's callers). */
  inputsKey?: boolean;
  /**
   * The body is the request's own copy, left as it is while the input is in use: float32 input may
   * be a view of it rather than a copy (the agent's API: a 1024-input request is 3 MiB).
   */
  viewBody?: boolean;
}

interface RawMeta {
  readonly dtype: string;
  readonly shape: readonly number[];
}

/** The media type of a Content-Type header, lower case, without parameters ('' when absent). */
export function mediaType(header: string | undefined): string {
  // The exact header the raw path sends needs no normalising.
  if (header === OCTET_STREAM) return header;
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A header's or a query parameter's text (the first of a repeated one). */
function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/** Decodes request bodies for one server; holds the last raw dtype and shape it parsed. */
export class RequestBodyDecoder {
  private metaDtypeText: string | undefined;
  private metaShapeText: string | undefined;
  private meta: RawMeta | undefined;

  constructor(private readonly options: RequestBodyOptions = {}) {}

  /** Throws InputError naming the problem (shape, dtype, size or format) for a body it refuses. */
  decode(request: RequestBody, inputShape: readonly number[]): RequestInput {
    const type = mediaType(textOf(request.headers['content-type']));
    const { body } = request;
    if (type === 'application/json') return this.decodeJson(body, inputShape);
    if (!ACCEPTED.includes(type))
      throw new InputError(
        'format',
        `content type ${JSON.stringify(type || '(none)')} is not accepted: use application/json, application/octet-stream (raw tensor), image/png or image/jpeg`,
      );
    // fastify gives a Buffer (a Uint8Array) for every type but JSON; nothing for an empty untyped body.
    const bytes = body instanceof Uint8Array ? body : undefined;
    if (bytes === undefined) throw new InputError('size', 'the request body is empty');
    if (type === OCTET_STREAM) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      const input = this.decodeRaw(
        bytes,
        textOf(request.headers['x-edgewatt-dtype']) ?? textOf(query.dtype),
        textOf(request.headers['x-edgewatt-shape']) ?? textOf(query.shape),
        inputShape,
      );
      return { input };
    }
    if (bytes.byteLength === 0) throw new InputError('size', 'the request body is empty');
    return { input: decodeImageInput(bytes, inputShape) };
  }

  /**
   * Raw tensor bytes with their dtype and shape texts (absent: float32, and a shape error). The
   * agent's fast path calls this directly: its requests carry both in headers.
   */
  decodeRaw(
    bytes: Uint8Array,
    dtypeText: string | undefined,
    shapeText: string | undefined,
    inputShape: readonly number[],
  ): DecodedInput {
    if (bytes.byteLength === 0) throw new InputError('size', 'the request body is empty');
    const { dtype, shape } = this.rawMeta(dtypeText, shapeText);
    return decodeRawInput(bytes, dtype, shape, inputShape, { view: this.options.viewBody === true });
  }

  private decodeJson(body: unknown, inputShape: readonly number[]): RequestInput {
    const json = body as Record<string, unknown>;
    const isObject = json !== null && typeof json === 'object' && !Array.isArray(json);
    const key = isObject && this.options.inputsKey === true && !('input' in json) ? 'inputs' : 'input';
    if (!isObject || !(key in json))
      throw new InputError(
        'format',
        'a JSON body is an object with "input": nested arrays of the model\'s shape',
      );
    const label = json.label;
    return {
      input: decodeJsonInput(json[key], inputShape),
      ...(typeof label === 'number' && Number.isInteger(label) && label >= 0 ? { label } : {}),
    };
  }

  /** Parsed again only when the dtype or shape text changes. */
  private rawMeta(dtypeText: string | undefined, shapeText: string | undefined): RawMeta {
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
