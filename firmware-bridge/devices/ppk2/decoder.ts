// PPK2 bytes in, measured windows out: 4-byte alignment across reads, the 6-bit counter checked on
// every sample (Nordic's Python API ignores it and cannot see loss: wave2_anchors §3.2), current
// by the calibration formula, power at the known supply voltage, and logic input D0 as the
// inference-window pin. A gap in the counter becomes missing samples in SampleWindows, so a
// window that lost samples is marked, never integrated as if whole. (The counter wraps at 64: a
// loss of exactly a multiple of 64 samples is invisible, as it is to Nordic's app.)

import { type MeasuredWindow, SampleWindows } from '../sample-windows.js';
import { currentA, DEFAULT_CALIBRATION, PPK2_SAMPLE_RATE_HZ, type Ppk2Calibration } from './protocol.js';

export class Ppk2Decoder {
  private remainder = new Uint8Array(4);
  private remainderLength = 0;
  private expectedCounter: number | null = null;
  private index = 0;
  private pin = 0;
  private batch: number[] = [];
  private batchFirst = 0;
  readonly windows: SampleWindows;
  lostSamples = 0;
  counterJumps = 0;

  constructor(
    private readonly vddMv: number,
    onWindow: (window: MeasuredWindow) => void,
    private readonly calibration: Ppk2Calibration = DEFAULT_CALIBRATION,
    private readonly windowPinMask = 0x01,
  ) {
    this.windows = new SampleWindows(PPK2_SAMPLE_RATE_HZ, onWindow);
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    if (this.remainderLength > 0) {
      const need = 4 - this.remainderLength;
      this.remainder.set(chunk.subarray(0, need), this.remainderLength);
      if (chunk.length < need) {
        this.remainderLength += chunk.length;
        return;
      }
      this.sample(new DataView(this.remainder.buffer).getUint32(0, true));
      this.remainderLength = 0;
      offset = need;
    }
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (; offset + 4 <= chunk.length; offset += 4) this.sample(view.getUint32(offset, true));
    const rest = chunk.length - offset;
    if (rest > 0) {
      this.remainder.set(chunk.subarray(offset));
      this.remainderLength = rest;
    }
    this.flush();
  }

  private sample(word: number): void {
    const adc = word & 0x3fff;
    const range = (word >>> 14) & 0x7;
    const counter = (word >>> 18) & 0x3f;
    const logic = (word >>> 24) & 0xff;
    if (this.expectedCounter !== null && counter !== this.expectedCounter) {
      const missing = (counter - this.expectedCounter + 64) & 0x3f;
      this.lostSamples += missing;
      this.counterJumps++;
      this.flush();
      this.index += missing;
    }
    this.expectedCounter = (counter + 1) & 0x3f;
    const level = logic & this.windowPinMask ? 1 : 0;
    if (level !== this.pin) {
      this.flush();
      this.windows.mark(this.index, level);
      this.pin = level;
    }
    if (this.batch.length === 0) this.batchFirst = this.index;
    this.batch.push(currentA(adc, range, this.vddMv, this.calibration) * (this.vddMv / 1000));
    this.index++;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.windows.samples(this.batchFirst, this.batch);
    this.batch = [];
  }
}
