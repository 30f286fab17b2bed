// The request body decoder of the agent's API and of edgewatt serve (runtime/request-body.ts):
// raw dtype and shape are parsed once per distinct header text and reused, but a request whose
// text differs (another shape, another dtype, the query instead of the headers, a bad one between
// good ones) is decoded by its own; the raw float32 input is a view of the request body when the
// server says it may be, else a copy; serve's JSON may say "inputs".

import { describe, expect, it } from 'vitest';
import { InputError } from '../../runtime/decode.js';
import { type RequestBody, RequestBodyDecoder } from '../../runtime/request-body.js';

const INPUT_SHAPE = [2, 2, 1];
/** The agent API's decoder. */
const RequestInputDecoder = class extends RequestBodyDecoder {
  constructor() {
    super({ viewBody: true });
  }
};

function request(
  body: unknown,
  headers: Record<string, string | string[]>,
  query: Record<string, string | string[]> = {},
): RequestBody {
  return { body, headers, query };
}

const floats = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);
const raw = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/octet-stream',
  ...extra,
});

describe('RequestBodyDecoder', () => {
  it('decodes a float32 body as a view of the body, with the shape from the header', () => {
    const body = floats(1, 2, 3, 4);
    const { input } = new RequestInputDecoder().decode(
      request(body, raw({ 'x-edgewatt-shape': '2,2,1' })),
      INPUT_SHAPE,
    );
    expect(Array.from(input.values)).toEqual([1, 2, 3, 4]);
    expect(input.count).toBe(1);
    expect(input.values.buffer).toBe(body.buffer);
  });

  it('parses a changed shape, dtype or source again instead of reusing the last one', () => {
    const decoder = new RequestInputDecoder();
    const decode = (body: Buffer, headers: Record<string, string>, query?: Record<string, string>) =>
      decoder.decode(request(body, raw(headers), query), INPUT_SHAPE).input;
    expect(decode(floats(1, 2, 3, 4), { 'x-edgewatt-shape': '2,2,1' }).count).toBe(1);
    // Another shape text: two inputs.
    const two = decode(floats(1, 2, 3, 4, 5, 6, 7, 8), { 'x-edgewatt-shape': '2,2,2,1' });
    expect(two.count).toBe(2);
    // Same shape text, another dtype: 8 bytes are 8 uint8 values (a stale float32 would need 32).
    const bytes = decode(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), {
      'x-edgewatt-shape': '2,2,2,1',
      'x-edgewatt-dtype': 'uint8',
    });
    expect(Array.from(bytes.values)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // A bad shape between good ones is refused, naming it; the good one still decodes after it.
    expect(() => decode(floats(1, 2, 3, 4), { 'x-edgewatt-shape': 'two' })).toThrow(InputError);
    expect(() => decode(floats(1, 2, 3, 4), { 'x-edgewatt-shape': 'two' })).toThrow('"two"');
    expect(decode(floats(1, 2, 3, 4), { 'x-edgewatt-shape': '2,2,1' }).count).toBe(1);
    // From the query when the headers say nothing; then neither: the shape is asked for.
    const fromQuery = decode(Buffer.from([9, 8, 7, 6]), {}, { shape: '2,2,1', dtype: 'uint8' });
    expect(Array.from(fromQuery.values)).toEqual([9, 8, 7, 6]);
    expect(() => decode(floats(1, 2, 3, 4), {})).toThrow('X-Edgewatt-Shape');
  });

  it('reads a content type whatever its case and parameters', () => {
    const { input } = new RequestInputDecoder().decode(
      request(floats(1, 2, 3, 4), {
        'content-type': 'Application/Octet-Stream; charset=binary',
        'x-edgewatt-shape': '2,2,1',
      }),
      INPUT_SHAPE,
    );
    expect(Array.from(input.values)).toEqual([1, 2, 3, 4]);
  });

  it('decodes JSON with its label, and refuses an empty body or a type not served, naming it', () => {
    const decoder = new RequestInputDecoder();
    const json = decoder.decode(
      request(
        {
          input: [
            [[1], [2]],
            [[3], [4]],
          ],
          label: 3,
        },
        { 'content-type': 'application/json' },
      ),
      INPUT_SHAPE,
    );
    expect(Array.from(json.input.values)).toEqual([1, 2, 3, 4]);
    expect(json.label).toBe(3);
    expect(() =>
      decoder.decode(request(Buffer.alloc(0), raw({ 'x-edgewatt-shape': '2,2,1' })), INPUT_SHAPE),
    ).toThrow('empty');
    expect(() =>
      decoder.decode(request(Buffer.from('BM'), { 'content-type': 'image/bmp' }), INPUT_SHAPE),
    ).toThrow('"image/bmp"');
  });

  it('copies a raw body unless the server lets the input view it', () => {
    const body = floats(1, 2, 3, 4);
    const { input } = new RequestBodyDecoder().decode(
      request(body, raw({ 'x-edgewatt-shape': '2,2,1' })),
      INPUT_SHAPE,
    );
    expect(Array.from(input.values)).toEqual([1, 2, 3, 4]);
    expect(input.values.buffer).not.toBe(body.buffer);
  });

  it('names a type not served before an empty body, and refuses JSON null or a list as a format error', () => {
    const decoder = new RequestInputDecoder();
    expect(() =>
      decoder.decode(request(Buffer.alloc(0), { 'content-type': 'text/plain' }), INPUT_SHAPE),
    ).toThrow('"text/plain"');
    expect(() => decoder.decode(request(undefined, {}), INPUT_SHAPE)).toThrow('"(none)"');
    expect(() => decoder.decode(request(undefined, { 'content-type': 'image/png' }), INPUT_SHAPE)).toThrow(
      'empty',
    );
    for (const body of [null, [1, 2], 3, 'x'])
      expect(() =>
        decoder.decode(request(body, { 'content-type': 'application/json' }), INPUT_SHAPE),
      ).toThrow(expect.objectContaining({ problem: 'format' }));
  });

  it('takes "inputs" for "input" only when told (edgewatt serve), and "input" first when both are there', () => {
    const values = [
      [[1], [2]],
      [[3], [4]],
    ];
    const json = { 'content-type': 'application/json' };
    expect(() => new RequestInputDecoder().decode(request({ inputs: values }, json), INPUT_SHAPE)).toThrow(
      '"input"',
    );
    const serve = new RequestBodyDecoder({ inputsKey: true });
    expect(Array.from(serve.decode(request({ inputs: values }, json), INPUT_SHAPE).input.values)).toEqual([
      1, 2, 3, 4,
    ]);
    const both = serve.decode(request({ input: values, inputs: [[[9]]] }, json), INPUT_SHAPE);
    expect(Array.from(both.input.values)).toEqual([1, 2, 3, 4]);
  });

  it('reads the first of a repeated query parameter (a shape error, not a crash, when it is bad)', () => {
    const decoder = new RequestInputDecoder();
    const input = decoder.decode(
      request(Buffer.from([1, 2, 3, 4]), raw(), { shape: ['2,2,1', '9'], dtype: ['uint8', 'int32'] }),
      INPUT_SHAPE,
    ).input;
    expect(Array.from(input.values)).toEqual([1, 2, 3, 4]);
    expect(() =>
      decoder.decode(request(floats(1, 2, 3, 4), raw(), { shape: ['x', '2,2,1'] }), INPUT_SHAPE),
    ).toThrow(InputError);
  });
});
