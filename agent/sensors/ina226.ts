// TI INA226 current/power monitor over I2C (datasheet SBOS547). Calibration: Current_LSB =
// Imax / 2^15, CAL = trunc(0.00512 / (Current_LSB × Rshunt)); bus voltage LSB 1.25 mV, power LSB
// 25 × Current_LSB; averaging and conversion times in the configuration register; OVF is bit 2 of
// Mask/Enable (0x06). The manufacturer ID (0xFE = 0x5449 "TI") is checked at open.

import { z } from 'zod';
import type { RegisterIo } from './i2c.js';
import { inaOptions, inaProbe } from './ina-common.js';
import { type InaChip, InaSource, openInaSource } from './ina-source.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';
import { numberOption } from './spec.js';

export const INA226_REG = {
  config: 0x00,
  shunt: 0x01,
  bus: 0x02,
  power: 0x03,
  current: 0x04,
  calibration: 0x05,
  maskEnable: 0x06,
  manufacturerId: 0xfe,
  dieId: 0xff,
};
export const INA226_MANUFACTURER_ID = 0x5449;
const MASK_OVF = 1 << 2;
const AVERAGES = [1, 4, 16, 64, 128, 256, 512, 1024] as const;
const CONVERSION_US = [140, 204, 332, 588, 1100, 2116, 4156, 8244] as const;
/** Gain error bound of the INA226 (datasheet: ±0.1 % max). */
const CHIP_GAIN_ERROR = 0.001;

const conversionOption = z
  .enum(CONVERSION_US.map(String) as [string, ...string[]])
  .transform((s) => Number(s));

export const ina226Options = z.object({
  ...inaOptions,
  /** Largest current expected, amperes (Imax / 2^15 = current LSB); 0.8 A fills 81.92 mV on 0.1 Ω. */
  maxCurrentA: numberOption.pipe(z.number().positive()).default(0.8),
  averages: z
    .enum(AVERAGES.map(String) as [string, ...string[]])
    .default('4')
    .transform((s) => Number(s)),
  busConversionUs: conversionOption.default(140),
  shuntConversionUs: conversionOption.default(140),
});
export type Ina226Options = z.infer<typeof ina226Options>;

export interface Ina226Setup {
  config: number;
  calibration: number;
  currentLsbA: number;
  powerLsbW: number;
  /** One full reading: averages × (bus + shunt conversion), µs. */
  cycleUs: number;
}

export function ina226Setup(options: Ina226Options): Ina226Setup {
  const currentLsbA = options.maxCurrentA / 32768;
  const calibration = Math.trunc(0.00512 / (currentLsbA * options.shuntOhms));
  if (calibration < 1 || calibration > 0x7fff)
    throw new SensorConfigError(
      `ina226: shuntOhms=${options.shuntOhms} with maxCurrentA=${options.maxCurrentA} gives calibration ${calibration}, outside 1..32767; raise maxCurrentA or check shuntOhms`,
    );
  const shuntMv = options.maxCurrentA * options.shuntOhms * 1000;
  if (shuntMv > 81.92 * (1 + 1e-9))
    throw new SensorConfigError(
      `ina226: maxCurrentA=${options.maxCurrentA} × shuntOhms=${options.shuntOhms} = ${shuntMv.toFixed(1)} mV exceeds the 81.92 mV shunt range; use a smaller shunt or lower maxCurrentA`,
    );
  const avgCode = AVERAGES.indexOf(options.averages as (typeof AVERAGES)[number]);
  const busCode = CONVERSION_US.indexOf(options.busConversionUs as (typeof CONVERSION_US)[number]);
  const shuntCode = CONVERSION_US.indexOf(options.shuntConversionUs as (typeof CONVERSION_US)[number]);
  // Bits 14..12 read back as 100; mode 111 = shunt and bus, continuous.
  const config = 0x4000 | (avgCode << 9) | (busCode << 6) | (shuntCode << 3) | 0b111;
  return {
    config,
    calibration,
    currentLsbA,
    powerLsbW: 25 * currentLsbA,
    cycleUs: options.averages * (options.busConversionUs + options.shuntConversionUs),
  };
}

const INA226_CHIP: InaChip = { kind: 'ina226', registers: INA226_REG, gainErrorRel: CHIP_GAIN_ERROR };

export class Ina226Source extends InaSource<Ina226Setup> {
  constructor(io: RegisterIo, setup: Ina226Setup, shuntTolerance: number) {
    // The ID is checked before anything is written to a chip that may not be an INA226.
    const id = io.read(INA226_REG.manufacturerId);
    if (id !== INA226_MANUFACTURER_ID)
      throw new SensorConfigError(
        `ina226 at 0x${io.address.toString(16)}: manufacturer ID 0x${id.toString(16)} is not 0x5449 (TI); check the address, or use ina219 for that chip`,
      );
    super(io, setup, INA226_CHIP, shuntTolerance, setup.cycleUs);
  }

  /** OVF is bit 2 of Mask/Enable. */
  protected overflowFlagged(): boolean {
    return (this.io.read(INA226_REG.maskEnable) & MASK_OVF) !== 0;
  }

  /** Bus voltage in volts (1.25 mV LSB). */
  busVoltageV(): number {
    return this.io.read(INA226_REG.bus) * 0.00125;
  }

  shuntVoltageV(): number {
    return this.io.readSigned(INA226_REG.shunt) * 2.5e-6;
  }
}

export const ina226SensorFactory = sampledSensorFactory({
  kind: 'ina226',
  coverage: 'board-input',
  description:
    'TI INA226 on I2C (options bus, address, shuntOhms, maxCurrentA, averages, busConversionUs, shuntConversionUs)',
  preference: 90,
  provenance: 'measured',
  options: ina226Options,
  async open(options) {
    const setup = ina226Setup(options);
    return openInaSource(options, (io) => new Ina226Source(io, setup, options.shuntTolerance));
  },
  probe: inaProbe('ina226'),
});
