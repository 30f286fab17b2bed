// The framing layer alone: bytes in, packets out. CRC against its published check value, COBS
// round trips at the block boundaries, and a decoder that resynchronises after garbage.

import { describe, expect, it } from 'vitest';
import { CobsError, cobsDecode, cobsEncode } from '../../firmware-bridge/framing/cobs.js';
import { crc16CcittFalse } from '../../firmware-bridge/framing/crc16.js';
import { frameZeroDelimited, ZeroDelimitedDeframer } from '../../firmware-bridge/framing/zero-delimited.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('CRC-16/CCITT-FALSE', () => {
  it('gives the published check value 0x29B1 over "123456789"', () => {
    expect(crc16CcittFalse(ascii('123456789'))).toBe(0x29b1);
  });
  it('is 0xFFFF over nothing (its init value) and changes with one flipped bit', () => {
    expect(crc16CcittFalse(new Uint8Array())).toBe(0xffff);
    expect(crc16CcittFalse(ascii('123456788'))).not.toBe(0x29b1);
  });
});

describe('COBS', () => {
  // Vectors from the COBS paper / Wikipedia's table.
  it.each([
    [[0x00], [0x01, 0x01]],
    [
      [0x00, 0x00],
      [0x01, 0x01, 0x01],
    ],
    [
      [0x11, 0x22, 0x00, 0x33],
      [0x03, 0x11, 0x22, 0x02, 0x33],
    ],
    [
      [0x11, 0x00, 0x00, 0x00],
      [0x02, 0x11, 0x01, 0x01, 0x01],
    ],
  ])('encodes %j as %j', (input, encoded) => {
    expect([...cobsEncode(Uint8Array.from(input))]).toEqual(encoded);
    expect([...cobsDecode(Uint8Array.from(encoded))]).toEqual(input);
  });

  it.each([0, 1, 253, 254, 255, 508, 1000])('round-trips %i bytes with and without zeros', (length) => {
    for (const zeroEvery of [0, 7]) {
      const input = Uint8Array.from({ length }, (_, i) =>
        zeroEvery > 0 && i % zeroEvery === 0 ? 0 : (i % 255) + 1,
      );
      const encoded = cobsEncode(input);
      expect(encoded.includes(0)).toBe(false);
      expect([...cobsDecode(encoded)]).toEqual([...input]);
    }
  });

  it('refuses a code that runs past the end', () => {
    expect(() => cobsDecode(Uint8Array.from([5, 1, 2]))).toThrow(CobsError);
  });
});

describe('zero-delimited frames', () => {
  const payloads = [ascii('hello'), Uint8Array.from([0, 0, 1, 0]), new Uint8Array(300).fill(7)];
  const stream = Buffer.concat(payloads.map(frameZeroDelimited));

  it('decodes the same packets however the stream is split', () => {
    for (const chunk of [1, 2, 3, 7, 64, stream.length]) {
      const got: number[][] = [];
      const deframer = new ZeroDelimitedDeframer((p) => got.push([...p]));
      for (let i = 0; i < stream.length; i += chunk) deframer.push(stream.subarray(i, i + chunk));
      expect(got).toEqual(payloads.map((p) => [...p]));
      expect(deframer.counters).toEqual({ packets: 3, framingErrors: 0, crcErrors: 0 });
    }
  });

  it('counts a corrupted packet as a CRC error and keeps the next one', () => {
    const bad = Buffer.from(stream);
    bad[3] = (bad[3] as number) ^ 0x40; // inside the first packet
    const got: string[] = [];
    const deframer = new ZeroDelimitedDeframer((p) => got.push(Buffer.from(p).toString('hex')));
    deframer.push(bad);
    expect(got.length).toBe(2);
    expect(deframer.counters.crcErrors + deframer.counters.framingErrors).toBe(1);
  });

  it('treats bytes at a wrong baud rate as framing errors, never as values', () => {
    const deframer = new ZeroDelimitedDeframer(() => {
      throw new Error('no packet can come out of noise');
    });
    let seed = 42;
    const noise = Uint8Array.from({ length: 5000 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % 7 === 0 ? 0 : seed & 0xff;
    });
    // A random run can pass a 16-bit CRC 1 time in 65,536; this seed's noise does not.
    deframer.push(noise);
    expect(deframer.counters.packets).toBe(0);
    expect(deframer.counters.framingErrors + deframer.counters.crcErrors).toBeGreaterThan(100);
  });

  it('drops a run longer than any packet without growing its buffer', () => {
    const deframer = new ZeroDelimitedDeframer(() => undefined);
    deframer.push(new Uint8Array(100_000).fill(0x41));
    deframer.push(Uint8Array.from([0]));
    expect(deframer.counters.framingErrors).toBe(1);
  });
});
