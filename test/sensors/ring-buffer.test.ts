import { describe, expect, it } from 'vitest';
import { SampleRing } from '../../agent/sensors/ring-buffer.js';

describe('SampleRing', () => {
  it('returns the samples from a time on, with the one just before it for edge interpolation', () => {
    const ring = SampleRing.create(16);
    for (let i = 0; i < 10; i++) ring.push(i * 100, i);
    const s = ring.series(450);
    expect(Array.from(s.tNs).slice(0, s.length)).toEqual([400, 500, 600, 700, 800, 900]);
    expect(Array.from(s.value).slice(0, s.length)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(ring.latestNs()).toBe(900);
  });

  it('overwrites the oldest samples when full, and counts them', () => {
    const ring = SampleRing.create(4);
    for (let i = 0; i < 10; i++) ring.push(i, i * 2);
    expect(ring.written).toBe(10);
    expect(ring.overwritten).toBe(6);
    const s = ring.series();
    expect(Array.from(s.tNs).slice(0, s.length)).toEqual([6, 7, 8, 9]);
    expect(Array.from(s.value).slice(0, s.length)).toEqual([12, 14, 16, 18]);
  });

  it('is empty before the first sample', () => {
    const ring = SampleRing.create(4);
    expect(ring.latestNs()).toBe(Number.NEGATIVE_INFINITY);
    expect(ring.series().length).toBe(0);
  });

  it('is shared: a second view on the same buffers sees the writes', () => {
    const writer = SampleRing.create(8);
    const reader = new SampleRing(writer.shared);
    writer.push(5, 1.5);
    expect(reader.written).toBe(1);
    expect(reader.series().value[0]).toBe(1.5);
  });

  it('stops a writer on request and lets a new one run after clearStop', () => {
    const ring = SampleRing.create(4);
    expect(ring.stopRequested).toBe(false);
    ring.requestStop();
    expect(ring.stopRequested).toBe(true);
    ring.clearStop();
    expect(ring.stopRequested).toBe(false);
  });
});
