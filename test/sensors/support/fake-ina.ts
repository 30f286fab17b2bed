// A fake I2C bus with INA219/INA226 chips modelled at register level, per the TI datasheets: the
// driver's writes are logged (in chip byte order) and the measurement registers are computed from
// a true bus voltage and current the way the chip computes them (shunt ADC, CAL, power multiply).
// SMBus word transfers are little-endian, so the bus swaps bytes exactly as the real one does.

import type { I2cBus } from '../../../agent/sensors/i2c.js';
import { swap16 } from '../../../agent/sensors/i2c.js';

export interface RegisterWrite {
  address: number;
  register: number;
  value: number;
}

export type ChipKind = 'ina219' | 'ina226';

export class FakeInaChip {
  readonly registers = new Map<number, number>();

  constructor(
    readonly kind: ChipKind,
    readonly shuntOhms: number,
  ) {
    if (kind === 'ina219') this.registers.set(0x00, 0x399f);
    else {
      this.registers.set(0x00, 0x4127);
      this.registers.set(0xfe, 0x5449);
      this.registers.set(0xff, 0x2260);
    }
  }

  /** Sets the measurement registers as the chip would for this bus voltage and current. */
  measure(busV: number, currentA: number): void {
    const cal = this.registers.get(0x05) ?? 0;
    const toU16 = (v: number) => (v < 0 ? v + 0x10000 : v) & 0xffff;
    if (this.kind === 'ina219') {
      const shunt = Math.round((currentA * this.shuntOhms) / 10e-6);
      const busRaw = Math.round(busV / 0.004);
      const current = Math.trunc((shunt * cal) / 4096);
      const power = Math.trunc((current * busRaw) / 5000);
      const overflow = Math.abs(current) > 32767 || power > 65535;
      this.registers.set(0x01, toU16(shunt));
      this.registers.set(0x02, (busRaw << 3) | 0b10 | (overflow ? 1 : 0));
      this.registers.set(0x03, power & 0xffff);
      this.registers.set(0x04, toU16(current));
    } else {
      const shunt = Math.round((currentA * this.shuntOhms) / 2.5e-6);
      const busRaw = Math.round(busV / 0.00125);
      const current = Math.trunc((shunt * cal) / 2048);
      const power = Math.trunc((current * busRaw) / 20000);
      const overflow = Math.abs(current) > 32767 || power > 65535;
      this.registers.set(0x01, toU16(shunt));
      this.registers.set(0x02, busRaw);
      this.registers.set(0x03, power & 0xffff);
      this.registers.set(0x04, toU16(current));
      this.registers.set(0x06, (1 << 3) | (overflow ? 1 << 2 : 0));
    }
  }
}

export class FakeI2cBus implements I2cBus {
  readonly writes: RegisterWrite[] = [];
  reads = 0;
  closed = false;

  constructor(readonly chips: Map<number, FakeInaChip>) {}

  private chip(address: number): FakeInaChip {
    const chip = this.chips.get(address);
    if (chip === undefined)
      throw Object.assign(new Error(`no device at 0x${address.toString(16)}`), { code: 'EIO' });
    return chip;
  }

  readWordSync(address: number, command: number): number {
    this.reads++;
    return swap16(this.chip(address).registers.get(command) ?? 0);
  }

  writeWordSync(address: number, command: number, word: number): void {
    const value = swap16(word);
    this.writes.push({ address, register: command, value });
    this.chip(address).registers.set(command, value);
  }

  closeSync(): void {
    this.closed = true;
  }
}
