// Golden vectors: the exact bytes of a fixed inference batch and a fixed status message, pinned
// in test/protocol/golden/. Agents, bridges and collectors of different releases (and non-JS
// implementations) must agree on these bytes. If this test fails because the bytes changed, that
// is a PROTOCOL CHANGE: do not just regenerate the files — bump PROTOCOL_VERSION (and the topic
// version) or prove that old decoders still accept the new bytes and new decoders the old ones.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeMessage,
  type InferenceBatch,
  quantizeRecord,
  type StatusMessage,
} from '../../protocol/index.js';

const MODEL_ID = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

const base = {
  sensor: 'ina219',
  modelId: MODEL_ID,
  variant: 'pruned-50',
  backend: 'wasm',
  batchSize: 1,
  inputBytes: 3136,
  outputBytes: 40,
  baselineW: 2.712345,
} as const;

/** Fixed input: varying and constant columns, correct true/false/null, mixed provenance. */
const INFERENCE_3: InferenceBatch = {
  v: 1,
  type: 'inference',
  device: 'rpi4-lab-01',
  records: [
    {
      ...base,
      seq: 1041,
      startUs: 1_731_000_000_000_000,
      durationUs: 8_250,
      energyJ: 0.031415926,
      energyUncertaintyJ: 0.000412,
      sampleCount: 9,
      provenance: 'measured',
      correct: true,
    },
    {
      ...base,
      seq: 1042,
      startUs: 1_731_000_000_012_500,
      durationUs: 8_113,
      energyJ: 0.030999001,
      energyUncertaintyJ: 0.000412,
      sampleCount: 8,
      provenance: 'measured',
      correct: false,
    },
    {
      ...base,
      seq: 1043,
      startUs: 1_731_000_000_025_001,
      durationUs: 8_200,
      energyJ: 0.0305,
      energyUncertaintyJ: 0.0031,
      sampleCount: 0,
      provenance: 'estimated',
      sensor: 'simulated:rpi4',
      correct: null,
    },
  ],
};

/** Fixed input: an online birth message with every optional field. */
const STATUS: StatusMessage = {
  v: 1,
  type: 'status',
  device: 'rpi4-lab-01',
  state: 'online',
  seq: 1041,
  atUs: 1_730_999_999_000_000,
  board: 'rpi4',
  sensor: 'ina219',
  backend: 'wasm',
  modelId: MODEL_ID,
  variant: 'pruned-50',
  agentVersion: '0.1.0',
};

const golden = (name: string): string =>
  readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8').trimEnd();

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const textBytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const vectors = [
  ['inference-3.cbor.hex', INFERENCE_3, 'cbor', hexBytes],
  ['inference-3.json', INFERENCE_3, 'json', textBytes],
  ['status.cbor.hex', STATUS, 'cbor', hexBytes],
  ['status.json', STATUS, 'json', textBytes],
] as const;

describe('golden vectors', () => {
  it('the fixed inputs are already at wire resolution', () => {
    expect(INFERENCE_3.records.map(quantizeRecord)).toEqual(INFERENCE_3.records);
  });

  it('the golden hex files hold lowercase hex of a tagged CBOR payload', () => {
    for (const name of ['inference-3.cbor.hex', 'status.cbor.hex']) {
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

  it.each(vectors)('decoding golden/%s gives the fixed input', (name, message, _encoding, bytes) => {
    expect(decodeMessage(bytes(golden(name)))).toEqual({ ok: true, value: message });
  });
});
