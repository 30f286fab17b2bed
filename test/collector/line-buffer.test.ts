// The byte writer of InfluxDB bodies: its integers must be the very characters `${Math.trunc(v)}`
// gives (a point rendered at send time must equal the one built at ingest, to overwrite it).

import { describe, expect, it } from 'vitest';
import { LineBuffer } from '../../collector/store/line-buffer.js';
import { mulberry32 } from '../protocol/fixtures.js';

const written = (write: (b: LineBuffer) => void, initialBytes?: number) => {
  const b = new LineBuffer(initialBytes);
  write(b);
  return b.take().toString('utf8');
};

describe('LineBuffer', () => {
  it('writes integers as String(Math.trunc(v)) does, on both sides of every split and past 2^53', () => {
    const values = [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99,
      100,
      12345,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      99_999_999,
      100_000_000,
      100_000_001,
      1_000_000_000,
      1_763_700_000_123_456,
      -1_763_700_000_123_456,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      2 ** 53,
      2 ** 60,
      1e21,
      -1e22,
      3.99,
      -3.99,
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ];
    const random = mulberry32(11);
    for (let k = 0; k < 2_000; k++) values.push(Math.floor((random() - 0.5) * 2 ** (1 + (k % 54))));
    for (const v of values) {
      expect(
        written((b) => {
          b.reserve(40);
          b.putInt(v);
        }),
      ).toBe(`${Math.trunc(v)}`);
    }
  });

  it('grows, keeps what was written, and forgets past a truncation', () => {
    const text = written((b) => {
      for (let i = 0; i < 500; i++) b.utf8(`point été ${i}\n`);
      const at = b.length;
      b.bytes(Buffer.from('half a point'));
      b.truncate(at);
      b.reserve(3);
      b.putAscii('end');
    }, 16);
    expect(text).toBe(`${Array.from({ length: 500 }, (_, i) => `point été ${i}\n`).join('')}end`);
  });
});
