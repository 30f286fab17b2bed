// What the INA219 and INA226 sources share once their registers are set up: calibration and
// configuration written at open, power and current read through the chip's own arithmetic, the
// overflow check before every reading, and the accuracy from the chip's gain error plus the
// shunt's tolerance. Each chip says how it flags an overflow and scales its voltages.

import type { SensorAccuracy } from '../measure/uncertainty.js';
import { openI2cBus, RegisterIo } from './i2c.js';
import { InaOverflowError } from './ina-common.js';
import type { RailReading, SampleSource } from './sensor.js';

/** Register addresses every INA2xx has. */
export interface InaRegisterMap {
  config: number;
  shunt: number;
  bus: number;
  power: number;
  current: number;
  calibration: number;
}

/** Register values and scales computed from the options (per datasheet). */
export interface InaScales {
  config: number;
  calibration: number;
  currentLsbA: number;
  powerLsbW: number;
}

export interface InaChip {
  kind: 'ina219' | 'ina226';
  registers: InaRegisterMap;
  /** Gain error bound of the chip (relative). */
  gainErrorRel: number;
}

export abstract class InaSource<S extends InaScales> implements SampleSource {
  readonly quantity = 'power' as const;
  readonly counterRangeJ = Number.POSITIVE_INFINITY;
  readonly accuracy: SensorAccuracy;
  readonly delayNs = 0;
  readonly averaging = true;
  readonly defaultPeriodMs: number;
  overflows = 0;

  protected constructor(
    protected readonly io: RegisterIo,
    readonly setup: S,
    protected readonly chip: InaChip,
    shuntTolerance: number,
    /** One full conversion cycle, µs: the default sampling period (at least 1 ms). */
    cycleUs: number,
  ) {
    io.write(chip.registers.config, setup.config);
    io.write(chip.registers.calibration, setup.calibration);
    this.accuracy = { gainErrorRel: chip.gainErrorRel + shuntTolerance, quantum: setup.powerLsbW };
    this.defaultPeriodMs = Math.max(1, cycleUs / 1000);
  }

  /** True when the chip flags a math overflow (current or power beyond range) for this reading. */
  protected abstract overflowFlagged(): boolean;
  abstract busVoltageV(): number;
  abstract shuntVoltageV(): number;

  /** Throws (and counts) InaOverflowError when the chip flags an overflow: the sample is dropped. */
  protected checkOverflow(): void {
    if (!this.overflowFlagged()) return;
    this.overflows++;
    throw new InaOverflowError(this.chip.kind, this.io.address);
  }

  currentA(): number {
    return this.io.readSigned(this.chip.registers.current) * this.setup.currentLsbA;
  }

  powerW(): number {
    return this.io.read(this.chip.registers.power) * this.setup.powerLsbW;
  }

  read(): number {
    this.checkOverflow();
    return this.powerW();
  }

  rails(): RailReading[] {
    this.checkOverflow();
    return [
      { name: 'input', voltageV: this.busVoltageV(), currentA: this.currentA(), powerW: this.powerW() },
    ];
  }

  close(): void {
    this.io.close();
  }
}

/** Opens the bus and the chip's source; the bus is closed again if the source refuses the chip. */
export async function openInaSource<T extends SampleSource>(
  options: { bus: number; address: number; busModule?: string | undefined },
  make: (io: RegisterIo) => T,
): Promise<T> {
  const io = new RegisterIo(await openI2cBus(options.bus, options.busModule), options.address);
  try {
    return make(io);
  } catch (error) {
    io.close();
    throw error;
  }
}
