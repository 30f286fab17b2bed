import { describe, expect, it } from 'vitest';
import { monotonicNs } from '../../agent/sensors/clock.js';
import { SampleRing } from '../../agent/sensors/ring-buffer.js';
import { WorkerSampler } from '../../agent/sensors/sampler.js';
import { waitFor } from '../support/stack.js';
import { describeIf } from '../support/tools.js';

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

  it('counts past 2^32 samples without a BigInt (the count is an exact float64)', () => {
    const ring = SampleRing.create(4);
    const beyond = 2 ** 32 + 5;
    new Float64Array(ring.shared.header)[0] = beyond;
    ring.push(1, 2);
    expect(ring.written).toBe(beyond + 1);
    expect(ring.latestNs()).toBe(1);
  });

  it('carries the writer thread CPU time, NaN until the writer reports it', () => {
    const ring = SampleRing.create(4);
    expect(ring.writerCpuS).toBeNaN();
    const reader = new SampleRing(ring.shared);
    ring.writerCpuS = 0.25;
    expect(reader.writerCpuS).toBe(0.25);
  });
});

describe('monotonicNs', () => {
  it('reads the same clock as process.hrtime.bigint(), to within a few microseconds', () => {
    for (let i = 0; i < 20; i++) {
      const before = Number(process.hrtime.bigint());
      const now = monotonicNs();
      const after = Number(process.hrtime.bigint());
      expect(now).toBeGreaterThanOrEqual(before - 5_000);
      expect(now).toBeLessThanOrEqual(after + 5_000);
    }
  });
});

const onLinux = {
  met: process.platform === 'linux',
  reason: `/proc/thread-self exists on Linux only, this is ${process.platform}`,
};

describeIf(onLinux, 'the sampling worker', () => {
  it('publishes its own CPU time (Linux /proc/thread-self) on stop', async () => {
    const busModule = new URL('./support/fake-ina-module.ts', import.meta.url).pathname;
    const sampler = new WorkerSampler(`ina219:busModule=${busModule}`, 1);
    await sampler.start();
    await waitFor('the worker to write 60 samples', () => sampler.ring.written > 60, 20_000);
    await sampler.stop();
    // Positive, and less than the wall time the worker ran (a few seconds at most under load).
    expect(sampler.ring.writerCpuS).toBeGreaterThan(0);
    expect(sampler.ring.writerCpuS).toBeLessThan(5);
  });
});
