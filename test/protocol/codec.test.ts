import { describe, expect, it } from 'vitest';
import {
  type DecodeDetail,
  decodeAs,
  decodeMessage,
  detectEncoding,
  ENCODINGS,
  encodeMessage,
  type InferenceBatch,
  type InferenceRecord,
  inferenceCursor,
  quantizeRecord,
  type StatusMessage,
} from '../../protocol/index.js';
import {
  cborPayload,
  constantRecords,
  fullStatus,
  makeBatch,
  makeRecord,
  minimalStatus,
  T0_US,
  varyingRecords,
  wireOf,
} from './fixtures.js';

function decodeBatch(payload: Uint8Array): InferenceBatch {
  const decoded = decodeAs('inference', payload);
  if (!decoded.ok) throw decoded.error;
  return decoded.value;
}

describe.each(ENCODINGS)('%s round trip', (encoding) => {
  it.each([1, 10, 100])('a batch of %i records with varying columns decodes to equal records', (count) => {
    const batch = makeBatch(varyingRecords(count, count));
    expect(decodeBatch(encodeMessage(batch, encoding))).toEqual(batch);
  });

  it.each([1, 10, 100])('a batch of %i records with constant columns decodes to equal records', (count) => {
    const batch = makeBatch(constantRecords(count, 7).map(quantizeRecord));
    expect(decodeBatch(encodeMessage(batch, encoding))).toEqual(batch);
  });

  it('keeps correct true, false and null and provenance measured and estimated per record', () => {
    const records = varyingRecords(6, 3);
    const decoded = decodeBatch(encodeMessage(makeBatch(records), encoding)).records;
    expect(decoded.map((r) => r.correct)).toEqual([true, false, null, true, false, null]);
    expect(decoded.map((r) => r.provenance)).toEqual([
      'measured',
      'measured',
      'estimated',
      'measured',
      'measured',
      'estimated',
    ]);
  });

  it('keeps a batch where correct is null for every record', () => {
    const batch = makeBatch(constantRecords(5).map((r) => ({ ...r, correct: null })));
    expect(decodeBatch(encodeMessage(batch, encoding))).toEqual(batch);
  });

  it('keeps zero values, seq 0 and start times that go backwards (a clock step)', () => {
    const records = [
      makeRecord(0, { startUs: 5_000, energyJ: 0, energyUncertaintyJ: 0, baselineW: 0, sampleCount: 0 }),
      makeRecord(1, { startUs: 2_000, inputBytes: 0, outputBytes: 0 }),
      makeRecord(2, { startUs: 2_000 }),
    ];
    expect(decodeBatch(encodeMessage(makeBatch(records), encoding))).toEqual(makeBatch(records));
  });

  it('keeps a status message with every optional field', () => {
    const status = fullStatus();
    expect(decodeAs('status', encodeMessage(status, encoding))).toEqual({ ok: true, value: status });
  });

  it('keeps a status message with no optional field and adds none', () => {
    const decoded = decodeAs('status', encodeMessage(minimalStatus(), encoding));
    expect(decoded).toEqual({ ok: true, value: minimalStatus() });
    if (!decoded.ok) throw decoded.error;
    for (const key of ['board', 'sensor', 'backend', 'modelId', 'variant', 'agentVersion']) {
      expect(decoded.value).not.toHaveProperty(key);
    }
  });

  it('keeps a status message with some optional fields', () => {
    const status = minimalStatus({ state: 'online', seq: 9, board: 'jetson-nano', agentVersion: '1.2.3' });
    expect(decodeMessage(encodeMessage(status, encoding))).toEqual({ ok: true, value: status });
  });

  it('encodes the same message to the same bytes every time', () => {
    const batch = makeBatch(varyingRecords(10, 99));
    expect(encodeMessage(batch, encoding)).toEqual(encodeMessage(structuredClone(batch), encoding));
  });

  it('does not modify the message it encodes', () => {
    const batch = makeBatch(varyingRecords(10, 5));
    const copy = structuredClone(batch);
    encodeMessage(batch, encoding);
    expect(batch).toEqual(copy);
  });
});

describe('quantization', () => {
  const raw: InferenceRecord = makeRecord(0, {
    startUs: T0_US + 0.25,
    durationUs: 1_234.6,
    energyJ: 0.1234567894,
    energyUncertaintyJ: 0.0000000016,
    baselineW: 2.3456784,
  });

  it.each(ENCODINGS)('%s rounds energy to 1 nJ, baseline to 1 µW and times to 1 µs', (encoding) => {
    const [record] = decodeBatch(encodeMessage(makeBatch([raw]), encoding)).records;
    expect(record).toMatchObject({
      startUs: T0_US,
      durationUs: 1_235,
      energyJ: 0.123456789,
      energyUncertaintyJ: 0.000000002,
      baselineW: 2.345678,
    });
    expect(Math.abs((record?.energyJ ?? 0) - raw.energyJ)).toBeLessThanOrEqual(0.5e-9);
    expect(Math.abs((record?.baselineW ?? 0) - raw.baselineW)).toBeLessThanOrEqual(0.5e-6);
  });

  it('quantizeRecord predicts exactly what a round trip returns', () => {
    const decoded = decodeBatch(encodeMessage(makeBatch([raw]))).records[0];
    expect(decoded).toEqual(quantizeRecord(raw));
  });

  it('quantizeRecord is idempotent and leaves its argument alone', () => {
    const copy = { ...raw };
    const once = quantizeRecord(raw);
    expect(quantizeRecord(once)).toEqual(once);
    expect(raw).toEqual(copy);
  });

  it('an energy below 0.5 nJ is sent as 0', () => {
    expect(wireOf(makeBatch([makeRecord(0, { energyJ: 4e-10 })])).energyNJ).toBe(0);
  });
});

describe('wire columns', () => {
  it('a column that is the same for every record travels as one value', () => {
    const wire = wireOf(makeBatch(constantRecords(3)));
    expect(wire).toMatchObject({ seq: 0, durationUs: 8_250, energyNJ: 12_345_678, baselineUW: 2_712_500 });
    expect(wire.startUs).toEqual([T0_US, 10_000, 10_000]);
  });

  it('a column that varies travels as one value per record', () => {
    const records = [makeRecord(4), makeRecord(5, { energyJ: 0.5, correct: null })];
    const wire = wireOf(makeBatch(records));
    expect(wire.energyNJ).toEqual([12_345_678, 500_000_000]);
    expect(wire.correct).toEqual([true, null]);
    expect(wire.seq).toBe(4);
  });
});

describe('checked columns (DecodeDetail) and their cursor', () => {
  it.each(ENCODINGS)(
    '%s: read one at a time into reused objects, the records are those decode gives, field for field',
    (encoding) => {
      const records = varyingRecords(80, 21).map((r, i) => ({
        ...r,
        ...(i % 3 === 0 ? { experiment: 'exp', arm: i % 2 === 0 ? 'a' : 'b' } : {}),
        ...(i % 5 === 0
          ? { method: 'batched' as const, windowInferences: 4, placement: 'offload' as const }
          : {}),
        ...(i % 4 === 0 ? { baselineUncertaintyW: 0.01 * i } : {}),
      }));
      const detail: DecodeDetail = {};
      const decoded = decodeMessage(encodeMessage(makeBatch(records), encoding), detail);
      if (!decoded.ok || decoded.value.type !== 'inference' || detail.columns === undefined)
        throw new Error('no inference batch with columns');
      const cursor = inferenceCursor(detail.columns);
      expect(cursor.count).toBe(records.length);
      const slots = [cursor.blank(), cursor.blank()];
      decoded.value.records.forEach((record, i) => {
        const read = cursor.next(slots[i & 1] as InferenceRecord);
        expect(read).toBe(slots[i & 1]);
        // Absent optional fields are undefined in the reused object, left out of the record.
        const present = Object.fromEntries(Object.entries(read).filter(([, v]) => v !== undefined));
        expect(present).toStrictEqual({ ...record });
      });
      expect(() => cursor.next(cursor.blank())).toThrow(RangeError);
    },
  );

  it('are handed back only for an inference batch that was accepted', () => {
    const status = fullStatus();
    const detail: DecodeDetail = {};
    expect(decodeMessage(encodeMessage(status), detail).ok).toBe(true);
    expect(detail.columns).toBeUndefined();
    // On another kind's topic the batch is refused, and no columns are left behind.
    expect(decodeAs('status', encodeMessage(makeBatch([makeRecord(1)])), detail).ok).toBe(false);
    expect(detail.columns).toBeUndefined();
    const broken = wireOf(makeBatch([makeRecord(1), makeRecord(2)]));
    broken.durationUs = [1, 2, 3];
    expect(decodeMessage(cborPayload(broken), detail).ok).toBe(false);
    expect(detail.columns).toBeUndefined();
  });
});

describe('payload framing and detectEncoding', () => {
  const batch = makeBatch(constantRecords(2));

  it('a CBOR payload starts with the self-describe tag d9 d9 f7', () => {
    const payload = encodeMessage(batch, 'cbor');
    expect(Array.from(payload.subarray(0, 3))).toEqual([0xd9, 0xd9, 0xf7]);
    expect(encodeMessage(batch)).toEqual(payload);
  });

  it('a JSON payload starts with { and is UTF-8 JSON text', () => {
    const payload = encodeMessage(batch, 'json');
    expect(payload[0]).toBe(0x7b);
    expect(() => JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))).not.toThrow();
  });

  it('detectEncoding names the encoding of encoded payloads', () => {
    for (const encoding of ENCODINGS) expect(detectEncoding(encodeMessage(batch, encoding))).toBe(encoding);
  });

  it('detectEncoding skips JSON whitespace before the {', () => {
    expect(detectEncoding(new TextEncoder().encode(' \t\r\n{}'))).toBe('json');
  });

  it.each([
    ['empty', []],
    ['whitespace only', [0x20, 0x0a]],
    ['two tag bytes', [0xd9, 0xd9]],
    ['another CBOR tag', [0xd9, 0xd9, 0xf6, 0xa0]],
    ['a bare CBOR map', [0xa0]],
    ['a JSON array', [0x5b, 0x5d]],
    ['a UTF-8 byte order mark', [0xef, 0xbb, 0xbf, 0x7b, 0x7d]],
    ['a form feed before {', [0x0c, 0x7b, 0x7d]],
  ])('detectEncoding returns null for %s', (_label, bytes) => {
    expect(detectEncoding(Uint8Array.from(bytes))).toBeNull();
  });

  it('decodes a JSON payload with surrounding whitespace', () => {
    const payload = new TextEncoder().encode(
      `\n  ${new TextDecoder().decode(encodeMessage(batch, 'json'))}\n`,
    );
    expect(decodeMessage(payload)).toEqual({ ok: true, value: batch });
  });

  it('decodes from a Node Buffer as well as a Uint8Array', () => {
    expect(decodeMessage(Buffer.from(encodeMessage(batch)))).toEqual({ ok: true, value: batch });
  });
});

describe('CBOR interoperability', () => {
  // A standard CBOR encoder (a microcontroller's) writes a start time such as 1.7e15 µs as a
  // uint64; cbor-x would hand it over as a BigInt unless told otherwise (int64AsNumber).
  it('accepts integers that another encoder wrote as CBOR uint64', () => {
    const batch = makeBatch(constantRecords(2));
    const wire = wireOf(batch);
    const asUint64 = { ...wire, startUs: [BigInt(T0_US), 10_000], seq: BigInt(0) };
    const payload = cborPayload(asUint64);
    expect(Buffer.from(payload).includes(Buffer.from('1b00060a24181e4000', 'hex'))).toBe(true);
    expect(decodeMessage(payload)).toEqual({ ok: true, value: batch });
  });
});

describe('status messages with optional fields left undefined', () => {
  it('leave the key out in CBOR as in JSON, instead of sending CBOR undefined', () => {
    const status: StatusMessage = {
      v: 1,
      type: 'status',
      device: 'pi4-x',
      state: 'online',
      seq: 3,
      atUs: 1_700_000_000_000_000,
      board: undefined,
    };
    const decoded = decodeMessage(encodeMessage(status, 'cbor'));
    expect(decoded.ok && 'board' in decoded.value).toBe(false);
    expect(Buffer.from(encodeMessage(status, 'cbor')).toString('hex')).not.toContain('626f617264');
  });
});

describe('attribution method columns (optional)', () => {
  it('round-trip batched records with their window size, in both encodings', () => {
    const records = [0, 1, 2, 3].map((i) => ({
      ...makeRecord(i),
      method: i < 2 ? ('batched' as const) : ('single' as const),
      windowInferences: i < 2 ? 40 : 1,
    }));
    for (const encoding of ENCODINGS) {
      expect(decodeBatch(encodeMessage(makeBatch(records), encoding)).records).toEqual(records);
    }
  });

  it('are left out when no record says how it was attributed, and then decode as absent', () => {
    const records = [makeRecord(0), makeRecord(1)];
    const wire = JSON.parse(new TextDecoder().decode(encodeMessage(makeBatch(records), 'json'))) as object;
    expect('method' in wire).toBe(false);
    expect(decodeBatch(encodeMessage(makeBatch(records))).records[0]).not.toHaveProperty('method');
  });

  it('reject an unknown method and a window of zero inferences', () => {
    const base = JSON.parse(new TextDecoder().decode(encodeMessage(makeBatch([makeRecord(0)]), 'json')));
    const bad = (patch: object) =>
      decodeMessage(new TextEncoder().encode(JSON.stringify({ ...base, ...patch })));
    const unknown = bad({ method: 'guessed' });
    expect(unknown.ok === false && unknown.error.message).toMatch(/method/);
    const zero = bad({ method: 'batched', windowInferences: 0 });
    expect(zero.ok === false && zero.error.message).toMatch(/windowInferences/);
  });
});
