// A bus module for the sampling worker (busModule=<this file>): an INA219 at 0x40 and an INA226
// at 0x41, each with a 0.1 Ω shunt, on a 5 V rail whose current follows a known function of the
// monotonic clock, so a test or bench can compare sampled energy with the true integral.

import { monotonicNs } from '../../../agent/sensors/clock.js';
import { FakeI2cBus, FakeInaChip } from './fake-ina.js';

export const BUS_V = 5;

/** True current at a monotonic time: 0.5 A plus a 0.2 A, 5 Hz sine. */
export function trueCurrentA(tNs: number): number {
  return 0.5 + 0.2 * Math.sin((2 * Math.PI * 5 * tNs) / 1e9);
}

/** Like the chip, the registers change once per conversion, not on every read. */
const CONVERSION_NS = 500_000;

class LiveBus extends FakeI2cBus {
  private convertedNs = Number.NEGATIVE_INFINITY;

  override readWordSync(address: number, command: number): number {
    const nowNs = monotonicNs();
    if (nowNs - this.convertedNs >= CONVERSION_NS) {
      this.convertedNs = nowNs;
      for (const chip of this.chips.values()) chip.measure(BUS_V, trueCurrentA(nowNs));
    }
    return super.readWordSync(address, command);
  }
}

export function openBus(_busNumber: number): FakeI2cBus {
  return new LiveBus(
    new Map([
      [0x40, new FakeInaChip('ina219', 0.1)],
      [0x41, new FakeInaChip('ina226', 0.1)],
    ]),
  );
}
