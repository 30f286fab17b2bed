import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RegisterIo } from '../../agent/sensors/i2c.js';
import { InaOverflowError } from '../../agent/sensors/ina-common.js';
import { Ina219Source, ina219Options, ina219Setup } from '../../agent/sensors/ina219.js';
import { Ina226Source, ina226Options, ina226Setup } from '../../agent/sensors/ina226.js';
import { createSensor, SensorConfigError } from '../../agent/sensors/index.js';
import type { SampledSensor } from '../../agent/sensors/sampled-sensor.js';
import { FakeI2cBus, FakeInaChip } from './support/fake-ina.js';
import { BUS_V, trueCurrentA } from './support/fake-ina-module.js';

function rig(kind: 'ina219' | 'ina226', shuntOhms = 0.1) {
  const chip = new FakeInaChip(kind, shuntOhms);
  const bus = new FakeI2cBus(new Map([[0x40, chip]]));
  return { chip, bus, io: new RegisterIo(bus, 0x40) };
}

const ina219 = (options: Record<string, string>) => ina219Setup(ina219Options.parse(options));
const ina226 = (options: Record<string, string>) => ina226Setup(ina226Options.parse(options));

describe('INA219 registers (datasheet SBOS448)', () => {
  it('writes config 0x399F then calibration 4194 for 0.1 Ω, 3.2 A, 32 V, 12-bit (the chip default config)', () => {
    const { bus, io } = rig('ina219');
    new Ina219Source(io, ina219({}), 0.01);
    expect(bus.writes).toEqual([
      { address: 0x40, register: 0x00, value: 0x399f },
      { address: 0x40, register: 0x05, value: 4194 },
    ]);
  });

  it('writes config 0x0667 and calibration 33554 for 0.1 Ω, 0.4 A, 16 V range, 16 samples averaged', () => {
    const { bus, io } = rig('ina219');
    new Ina219Source(io, ina219({ maxCurrentA: '0.4', busRangeV: '16', samples: '16' }), 0.01);
    expect(bus.writes.map((w) => [w.register, w.value])).toEqual([
      [0x00, 0x0667],
      [0x05, 33554],
    ]);
  });

  it('swaps bytes on the SMBus word transfer (MSB first on the chip)', () => {
    const { bus, io } = rig('ina219');
    const words: number[] = [];
    const original = bus.writeWordSync.bind(bus);
    bus.writeWordSync = (address, command, word) => {
      words.push(word);
      original(address, command, word);
    };
    new Ina219Source(io, ina219({}), 0.01);
    expect(words[0]).toBe(0x9f39);
  });

  it('converts raw registers to volts (4 mV, bits 15..3), amperes (signed × LSB) and watts (20 × LSB)', () => {
    const { chip, io } = rig('ina219');
    const source = new Ina219Source(io, ina219({}), 0.01);
    const lsbA = 3.2 / 32768;
    chip.registers.set(0x02, (1250 << 3) | 0b10);
    chip.registers.set(0x04, 0xf000);
    chip.registers.set(0x03, 1920);
    chip.registers.set(0x01, 0xfc18);
    expect(source.busVoltageV()).toBeCloseTo(5.0, 12);
    expect(source.currentA()).toBeCloseTo(-4096 * lsbA, 12);
    expect(source.read()).toBeCloseTo(1920 * 20 * lsbA, 12);
    expect(source.shuntVoltageV()).toBeCloseTo(-1000 * 10e-6, 12);
  });

  it('reads 5 V × 0.75 A as 3.75 W within two power LSBs, through the chip arithmetic', () => {
    const { chip, io } = rig('ina219');
    const source = new Ina219Source(io, ina219({}), 0.01);
    chip.measure(5, 0.75);
    expect(Math.abs(source.read() - 3.75)).toBeLessThan(2 * source.setup.powerLsbW);
    const [rail] = source.rails();
    expect(rail?.voltageV).toBeCloseTo(5, 9);
    expect(Math.abs((rail?.currentA ?? 0) - 0.75)).toBeLessThan(2 * source.setup.currentLsbA);
  });

  it('throws InaOverflowError on the OVF flag and counts it', () => {
    const { chip, io } = rig('ina219');
    const source = new Ina219Source(io, ina219({}), 0.01);
    chip.registers.set(0x02, (1250 << 3) | 0b11);
    expect(() => source.read()).toThrow(InaOverflowError);
    expect(() => source.read()).toThrow(/0x40.*raise maxCurrentA/);
    expect(source.overflows).toBe(2);
  });

  it('rejects a calibration out of range and a current beyond the 320 mV shunt range, naming the fix', () => {
    expect(() => ina219({ shuntOhms: '0.01', maxCurrentA: '2' })).toThrow(
      /calibration 67108.*raise maxCurrentA/,
    );
    expect(() => ina219({ shuntOhms: '0.1', maxCurrentA: '4' })).toThrow(/400 mV exceeds the 320 mV/);
  });

  it('reports gain error (chip 1 % + shunt tolerance) and the power LSB as quantum', () => {
    const { io } = rig('ina219');
    const source = new Ina219Source(io, ina219({}), 0.01);
    expect(source.accuracy.gainErrorRel).toBeCloseTo(0.02, 12);
    expect(source.accuracy.quantum).toBeCloseTo((20 * 3.2) / 32768, 12);
    expect(source.defaultPeriodMs).toBeCloseTo(1.064, 9);
  });
});

describe('INA226 registers (datasheet SBOS547)', () => {
  it('checks the manufacturer ID, then writes config 0x4207 and calibration 2097 for 0.1 Ω, 0.8 A, 4 averages', () => {
    const { bus, io } = rig('ina226');
    new Ina226Source(io, ina226({}), 0.01);
    expect(bus.writes).toEqual([
      { address: 0x40, register: 0x00, value: 0x4207 },
      { address: 0x40, register: 0x05, value: 2097 },
    ]);
  });

  it('writes config 0x451F and calibration 4194 for 2 mΩ, 20 A, 16 averages, 1.1 ms bus and 588 µs shunt', () => {
    const { bus, io } = rig('ina226', 0.002);
    const setup = ina226({
      shuntOhms: '0.002',
      maxCurrentA: '20',
      averages: '16',
      busConversionUs: '1100',
      shuntConversionUs: '588',
    });
    new Ina226Source(io, setup, 0.01);
    expect(bus.writes.map((w) => [w.register, w.value])).toEqual([
      [0x00, 0x451f],
      [0x05, 4194],
    ]);
    expect(setup.cycleUs).toBe(16 * (1100 + 588));
  });

  it('converts raw registers: bus 1.25 mV LSB, signed current, power 25 × LSB, shunt 2.5 µV', () => {
    const { chip, io } = rig('ina226');
    const source = new Ina226Source(io, ina226({}), 0.01);
    const lsbA = 0.8 / 32768;
    chip.registers.set(0x02, 4000);
    chip.registers.set(0x04, 0xffff);
    chip.registers.set(0x03, 300);
    chip.registers.set(0x01, 0x0190);
    chip.registers.set(0x06, 0);
    expect(source.busVoltageV()).toBeCloseTo(5.0, 12);
    expect(source.currentA()).toBeCloseTo(-lsbA, 15);
    expect(source.read()).toBeCloseTo(300 * 25 * lsbA, 12);
    expect(source.shuntVoltageV()).toBeCloseTo(400 * 2.5e-6, 12);
  });

  it('reads 12 V × 0.5 A as 6 W within two power LSBs, through the chip arithmetic', () => {
    const { chip, io } = rig('ina226');
    const source = new Ina226Source(io, ina226({}), 0.01);
    chip.measure(12, 0.5);
    expect(Math.abs(source.read() - 6)).toBeLessThan(2 * source.setup.powerLsbW);
  });

  it('throws InaOverflowError when Mask/Enable has OVF (bit 2)', () => {
    const { chip, io } = rig('ina226');
    const source = new Ina226Source(io, ina226({}), 0.01);
    chip.registers.set(0x06, 1 << 2);
    expect(() => source.read()).toThrow(InaOverflowError);
    expect(source.overflows).toBe(1);
  });

  it('refuses a chip whose manufacturer ID is not TI, and writes nothing to it', () => {
    const chip = new FakeInaChip('ina219', 0.1);
    const bus = new FakeI2cBus(new Map([[0x40, chip]]));
    expect(() => new Ina226Source(new RegisterIo(bus, 0x40), ina226({}), 0.01)).toThrow(
      /manufacturer ID 0x0/,
    );
    expect(bus.writes).toEqual([]);
  });

  it('rejects a current range beyond the 81.92 mV shunt range', () => {
    expect(() => ina226({ maxCurrentA: '1' })).toThrow(/100.0 mV exceeds the 81.92 mV/);
  });

  it('rejects an averaging count the chip does not have', () => {
    expect(() => ina226Options.parse({ averages: '5' })).toThrow();
  });
});

describe('INA sensors through the sampling worker (fake bus module)', () => {
  const busModule = fileURLToPath(new URL('./support/fake-ina-module.ts', import.meta.url));

  it.each([
    ['ina219', '0x40'],
    ['ina226', '0x41'],
  ])(
    '%s samples in a worker thread and integrates a known 5 V sine-current load within 2 %%',
    async (kind, address) => {
      const sensor = createSensor(
        `${kind}:rpi4:busModule=${busModule},address=${address},periodMs=1,baselineMs=100`,
      ) as SampledSensor;
      await sensor.open();
      try {
        expect(sensor.samplePeriodS).toBeCloseTo(0.001, 6);
        // The load swings between 1.5 W and 3.5 W; the baseline is its mean over the 100 ms at open().
        expect(sensor.baselineW).toBeGreaterThan(1.5);
        expect(sensor.baselineW).toBeLessThan(3.5);
        // A window of 100 ms, longer while it holds fewer than 20 samples: a sampling thread starved
        // of CPU on a loaded machine takes fewer than one a millisecond (waited for, up to 10 s).
        const startNs = process.hrtime.bigint();
        const deadline = Date.now() + 10_000;
        let endNs: bigint;
        let energy: Awaited<ReturnType<typeof sensor.energyOf>>;
        do {
          await new Promise((resolve) => setTimeout(resolve, 100));
          endNs = process.hrtime.bigint();
          energy = await sensor.energyOf({ startNs, endNs, cpuUs: 0 });
        } while (energy.sampleCount < 20 && Date.now() < deadline);
        let trueJ = 0;
        const stepNs = 10_000;
        for (let t = Number(startNs); t < Number(endNs); t += stepNs)
          trueJ += BUS_V * trueCurrentA(t) * (stepNs / 1e9);
        expect(energy.provenance).toBe('measured');
        expect(energy.sampleCount).toBeGreaterThanOrEqual(20);
        expect(Math.abs(energy.energyJ / trueJ - 1)).toBeLessThan(0.02);
        expect(energy.uncertaintyJ).toBeGreaterThan(0);
        expect(energy.baselineW).toBe(sensor.baselineW);
      } finally {
        await sensor.close();
      }
    },
  );

  it('fails open() with the worker error when the bus module has no chip at the address', async () => {
    const sensor = createSensor(`ina226:busModule=${busModule},address=0x45,baselineMs=0`);
    await expect(sensor.open()).rejects.toThrow(/no device at 0x45/);
  });

  it('rejects unknown and malformed options when the sensor is created', () => {
    expect(() => createSensor('ina219:shunt=0.1')).toThrow(SensorConfigError);
    expect(() => createSensor('ina219:shunt=0.1')).toThrow(/no option "shunt".*shuntOhms/);
    expect(() => createSensor('ina219:address=0x90')).toThrow(/address/);
  });
});
