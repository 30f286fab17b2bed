// A bounded ring of timestamped samples in a SharedArrayBuffer: the sampling worker writes, the
// agent thread reads, and neither waits for the other. The oldest samples are overwritten (and
// counted) when the reader falls more than `capacity` samples behind.

import type { SampleSeries } from '../measure/integrate.js';

// Header: a float64 count of samples written in total (exact to 2^53), then an int32 that the
// writer stores with Atomics after each sample. That atomic store/load pair orders the plain
// writes (a BigInt64 counter would allocate a BigInt per sample, and the garbage costs more CPU
// than the sampling; aligned float64 accesses never tear).
// A third float64 holds the sampling thread's own CPU time, seconds (NaN where unknown); a fourth
// the time of the writer's latest read attempt, failed or not (-Infinity before the first).
const HEADER_BYTES = 32;
const PUBLISH_INDEX = 2; // int32 index of the publish word (byte 8)
const CPU_SLOT = 2; // float64 index of the writer thread's CPU seconds (byte 16)
const ATTEMPT_SLOT = 3; // float64 index of the writer's latest read attempt, ns (byte 24)
const STOP_INDEX = 0;

export interface RingBufferShared {
  header: SharedArrayBuffer;
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
  capacity: number;
}

export class SampleRing {
  private readonly count: Float64Array;
  private readonly publish: Int32Array;
  private readonly data: Float64Array;
  /** Int32 control word: the writer sleeps on it (Atomics.wait) and stops when it is 1. */
  readonly control: Int32Array;
  readonly capacity: number;

  constructor(readonly shared: RingBufferShared) {
    this.count = new Float64Array(shared.header);
    this.publish = new Int32Array(shared.header);
    this.data = new Float64Array(shared.data);
    this.control = new Int32Array(shared.control);
    this.capacity = shared.capacity;
  }

  static create(capacity: number): SampleRing {
    const ring = new SampleRing({
      header: new SharedArrayBuffer(HEADER_BYTES),
      data: new SharedArrayBuffer(capacity * 2 * 8),
      control: new SharedArrayBuffer(4),
      capacity,
    });
    ring.writerCpuS = Number.NaN;
    ring.attemptedNs = Number.NEGATIVE_INFINITY;
    return ring;
  }

  /** Samples written since creation (including overwritten ones). */
  get written(): number {
    Atomics.load(this.publish, PUBLISH_INDEX);
    return this.count[0] ?? 0;
  }

  /** CPU time the writer (sampling) thread has used, seconds; NaN when the platform cannot tell. */
  get writerCpuS(): number {
    return this.count[CPU_SLOT] ?? Number.NaN;
  }

  set writerCpuS(seconds: number) {
    this.count[CPU_SLOT] = seconds;
  }

  /**
   * When the writer last tried a read (sample time base), whether it gave a sample or failed: a
   * reader waiting for a sample tells a starved writer (not past this time yet) from failing reads.
   */
  get attemptedNs(): number {
    return this.count[ATTEMPT_SLOT] ?? Number.NEGATIVE_INFINITY;
  }

  set attemptedNs(tNs: number) {
    this.count[ATTEMPT_SLOT] = tNs;
  }

  /** Samples lost because the ring was full: written − capacity, when positive. */
  get overwritten(): number {
    return Math.max(0, this.written - this.capacity);
  }

  push(tNs: number, value: number): void {
    const n = this.written;
    const slot = (n % this.capacity) * 2;
    this.data[slot] = tNs;
    this.data[slot + 1] = value;
    this.count[0] = n + 1;
    if (!(tNs <= this.attemptedNs)) this.attemptedNs = tNs;
    Atomics.store(this.publish, PUBLISH_INDEX, (n + 1) | 0);
  }

  /** Time of the newest sample, or -Infinity when there is none. */
  latestNs(): number {
    const n = this.written;
    if (n === 0) return Number.NEGATIVE_INFINITY;
    return this.data[((n - 1) % this.capacity) * 2] ?? Number.NEGATIVE_INFINITY;
  }

  /** Copies the samples with t ≥ fromNs (plus the one just before, for edge interpolation). */
  series(fromNs = Number.NEGATIVE_INFINITY): SampleSeries {
    const end = this.written;
    let start = Math.max(0, end - this.capacity);
    // Binary search for the first sample at or after fromNs; keep one before it.
    let lo = start;
    let hi = end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.data[(mid % this.capacity) * 2] ?? 0) < fromNs) lo = mid + 1;
      else hi = mid - 1;
    }
    start = Math.max(start, lo - 1);
    const length = end - start;
    const tNs = new Float64Array(length);
    const value = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      const slot = ((start + i) % this.capacity) * 2;
      tNs[i] = this.data[slot] ?? 0;
      value[i] = this.data[slot + 1] ?? 0;
    }
    // Samples the writer overwrote while we copied are dropped from the front.
    const lost = Math.max(0, this.written - this.capacity - start);
    if (lost > 0) return { tNs: tNs.subarray(lost), value: value.subarray(lost), length: length - lost };
    return { tNs, value, length };
  }

  requestStop(): void {
    Atomics.store(this.control, STOP_INDEX, 1);
    Atomics.notify(this.control, STOP_INDEX);
  }

  /** Lets a new writer run after a stop (a sensor opened again). */
  clearStop(): void {
    Atomics.store(this.control, STOP_INDEX, 0);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.control, STOP_INDEX) === 1;
  }

  /** Sleeps up to `ms` (sub-millisecond allowed) unless a stop is requested. Worker threads only. */
  sleep(ms: number): void {
    if (ms > 0) Atomics.wait(this.control, STOP_INDEX, 0, ms);
  }
}
