// Golden vectors: the exact bytes of a fixed inference batch and a fixed status message, pinned
// in test/protocol/golden/. Agents, bridges and collectors of different releases (and non-JS
// implementations) must agree on these bytes. If this test fails because the bytes changed, that
// is a PROTOCOL CHANGE: do not just regenerate the files — bump PROTOCOL_VERSION (and the topic
// version) or prove that old decoders still accept the new bytes and new decoders the old ones.

import { readFileSync } from 'node:fs';
import { Decoder } from 'cbor-x';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, quantizeOffloadRecord, quantizeRecord } from '../../protocol/index.js';
import { GOLDEN_VECTORS, INFERENCE_3 } from './golden-inputs.js';

const golden = (name: string): string =>
  readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8').trimEnd();

const toHexString = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const textBytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const vectors = GOLDEN_VECTORS.map(
  ([name, message, encoding]) =>
    [name, message, encoding, encoding === 'cbor' ? hexBytes : textBytes] as const,
);

describe('golden vectors', () => {
  it('the fixed inputs are already at wire resolution', () => {
    for (const [, message] of GOLDEN_VECTORS) {
      if (message.type === 'inference') expect(message.records.map(quantizeRecord)).toEqual(message.records);
      if (message.type === 'offload')
        expect(message.records.map(quantizeOffloadRecord)).toEqual(message.records);
    }
  });

  it('the golden hex files hold lowercase hex of a tagged CBOR payload', () => {
    for (const name of vectors.map(([name]) => name).filter((name) => name.endsWith('.hex'))) {
      expect(golden(name)).toMatch(/^d9d9f7([0-9a-f]{2})+$/);
    }
  });

  it.each(vectors)(
    'encodeMessage output equals golden/%s byte for byte',
    (name, message, encoding, bytes) => {
      const expected = bytes(golden(name));
      const actual = encodeMessage(message, encoding);
      expect(Buffer.from(actual).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    },
  );

  it('writes integers of 2^32 and beyond as CBOR 64-bit integers (head 1b), never as floats', () => {
    const status = golden('status.cbor.hex');
    // "atUs" (64 61 74 55 73) followed by a uint64 head and 1_730_999_999_000_000.
    expect(status).toContain(`6461745573${'1b'}${(1_730_999_999_000_000).toString(16).padStart(16, '0')}`);
    // "startUs" (67 73 74 61 72 74 55 73), a 3-element array (83), then the absolute start as uint64.
    const start = (1_731_000_000_000_000).toString(16).padStart(16, '0');
    expect(golden('inference-3.cbor.hex')).toContain(`6773746172745573831b${start}`);
  });

  it('a batch without the optional columns is the same batch as before they existed', () => {
    for (const [, message] of GOLDEN_VECTORS) {
      if (message.type !== 'inference' || message === INFERENCE_3) continue;
      const without = {
        ...message,
        records: message.records.map(
          ({
            method: _m,
            windowInferences: _w,
            experiment: _e,
            arm: _a,
            placement: _p,
            baselineUncertaintyW: _b,
            inputSource: _i,
            ...rest
          }) => rest,
        ),
      };
      expect(toHexString(encodeMessage(without, 'cbor'))).toBe(golden('inference-3.cbor.hex'));
    }
  });

  it('the CBOR and the JSON vector of a message hold the same wire object (read by a plain CBOR decoder)', () => {
    const plain = new Decoder({
      useRecords: false,
      mapsAsObjects: true,
      int64AsNumber: true,
    } as ConstructorParameters<typeof Decoder>[0]);
    for (const [name] of GOLDEN_VECTORS.filter(([name]) => name.endsWith('.cbor.hex'))) {
      const fromCbor: unknown = plain.decode(hexBytes(golden(name)).subarray(3));
      const fromJson: unknown = JSON.parse(golden(name.replace('.cbor.hex', '.json')));
      expect(fromCbor).toEqual(fromJson);
    }
  });

  it.each(vectors)('decoding golden/%s gives the fixed input', (name, message, _encoding, bytes) => {
    expect(decodeMessage(bytes(golden(name)))).toEqual({ ok: true, value: message });
  });
});
