// TI INA219 current/power monitor over I2C (datasheet SBOS448). Calibration from the shunt and
// the maximum expected current: Current_LSB = Imax / 2^15, CAL = trunc(0.04096 / (Current_LSB ×
// Rshunt)); bus voltage LSB 4 mV (bits 15..3), power LSB 20 × Current_LSB; OVF (bit 0 of the bus
// voltage register) marks a math overflow, and that sample is dropped and counted.

import { z } from 'zod';
import type { RegisterIo } from './i2c.js';
import { inaOptions, inaProbe } from './ina-common.js';
import { type InaChip, InaSource, openInaSource } from './ina-source.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';
import { numberOption } from './spec.js';

export const INA219_REG = {
  config: 0x00,
  shunt: 0x01,
  bus: 0x02,
  power: 0x03,
  current: 0x04,
  calibration: 0x05,
};

/** Averaged samples → BADC/SADC code and conversion time (datasheet table 5, 12-bit). */
const ADC_MODES: Record<number, { code: number; conversionUs: number }> = {
  1: { code: 0b0011, conversionUs: 532 },
  2: { code: 0b1001, conversionUs: 1060 },
  4: { code: 0b1010, conversionUs: 2130 },
  8: { code: 0b1011, conversionUs: 4260 },
  16: { code: 0b1100, conversionUs: 8510 },
  32: { code: 0b1101, conversionUs: 17020 },
  64: { code: 0b1110, conversionUs: 34050 },
  128: { code: 0b1111, conversionUs: 68100 },
};
/** PGA: shunt full-scale range in mV → PG bits. */
const PGA: Record<number, number> = { 40: 0b00, 80: 0b01, 160: 0b10, 320: 0b11 };
/** Current error bound of the INA219A over temperature (datasheet: ±1 %); B grade is ±0.5 %. */
const CHIP_GAIN_ERROR = 0.01;

export const ina219Options = z.object({
  ...inaOptions,
  /** Largest current expected, amperes: sets the current LSB (Imax / 2^15); 3.2 A fills 320 mV on 0.1 Ω. */
  maxCurrentA: numberOption.pipe(z.number().positive()).default(3.2),
  samples: z
    .enum(['1', '2', '4', '8', '16', '32', '64', '128'])
    .default('1')
    .transform((s) => Number(s)),
  busRangeV: z
    .enum(['16', '32'])
    .default('32')
    .transform((s) => Number(s)),
});
export type Ina219Options = z.infer<typeof ina219Options>;

export interface Ina219Setup {
  config: number;
  calibration: number;
  currentLsbA: number;
  powerLsbW: number;
  conversionUs: number;
}

/** Register values for the configured shunt, current range, averaging and bus range. */
export function ina219Setup(options: Ina219Options): Ina219Setup {
  const currentLsbA = options.maxCurrentA / 32768;
  const calibration = Math.trunc(0.04096 / (currentLsbA * options.shuntOhms));
  if (calibration < 1 || calibration > 0xfffe)
    throw new SensorConfigError(
      `ina219: shuntOhms=${options.shuntOhms} with maxCurrentA=${options.maxCurrentA} gives calibration ${calibration}, outside 1..65534; raise maxCurrentA or check shuntOhms`,
    );
  const shuntMv = options.maxCurrentA * options.shuntOhms * 1000;
  // A relative margin, so that 3.2 A × 0.1 Ω is 320 mV and not 320.00000000000006.
  const range = [40, 80, 160, 320].find((mv) => mv * (1 + 1e-9) >= shuntMv);
  if (range === undefined)
    throw new SensorConfigError(
      `ina219: maxCurrentA=${options.maxCurrentA} × shuntOhms=${options.shuntOhms} = ${shuntMv.toFixed(0)} mV exceeds the 320 mV shunt range; use a smaller shunt`,
    );
  const adc = ADC_MODES[options.samples] ?? { code: 0b0011, conversionUs: 532 };
  const config =
    ((options.busRangeV === 32 ? 1 : 0) << 13) |
    ((PGA[range] ?? 0b11) << 11) |
    (adc.code << 7) |
    (adc.code << 3) |
    0b111;
  // Bit 0 of the calibration register is not used by the chip (datasheet 8.6.3.6).
  return {
    config,
    calibration: calibration & 0xfffe,
    currentLsbA,
    powerLsbW: 20 * currentLsbA,
    conversionUs: 2 * adc.conversionUs,
  };
}

const INA219_CHIP: InaChip = { kind: 'ina219', registers: INA219_REG, gainErrorRel: CHIP_GAIN_ERROR };

export class Ina219Source extends InaSource<Ina219Setup> {
  constructor(io: RegisterIo, setup: Ina219Setup, shuntTolerance: number) {
    super(io, setup, INA219_CHIP, shuntTolerance, setup.conversionUs);
  }

  /** OVF is bit 0 of the bus voltage register. */
  protected overflowFlagged(): boolean {
    return (this.io.read(INA219_REG.bus) & 0x1) !== 0;
  }

  /** Bus voltage in volts (bits 15..3, 4 mV). */
  busVoltageV(): number {
    return (this.io.read(INA219_REG.bus) >> 3) * 0.004;
  }

  shuntVoltageV(): number {
    return this.io.readSigned(INA219_REG.shunt) * 10e-6;
  }
}

export const ina219SensorFactory = sampledSensorFactory({
  kind: 'ina219',
  coverage: 'board-input',
  description: 'TI INA219 on I2C (options bus, address, shuntOhms, maxCurrentA, samples, busRangeV)',
  preference: 90,
  provenance: 'measured',
  options: ina219Options,
  async open(options) {
    const setup = ina219Setup(options);
    return openInaSource(options, (io) => new Ina219Source(io, setup, options.shuntTolerance));
  },
  probe: inaProbe('ina219'),
});
