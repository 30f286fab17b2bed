// NVIDIA Jetson on-module INA3221 monitors through sysfs, in both layouts found in the field:
// hwmon (JetPack 5 and later: in<N>_label, in<N>_input mV, curr<N>_input mA, channels 1..3) and
// IIO (JetPack 4: rail_name_<N>, in_voltage<N>_input mV, in_current<N>_input mA, in_power<N>_input
// mW, channels 0..2). Unconnected (NC) and sum channels are skipped; the board input rail (VDD_IN,
// POM_5V_IN) is the total. Module rails do not include the carrier board.

import { join } from 'node:path';
import { z } from 'zod';
import type { RailReading, SampleSource } from './sensor.js';
import { SensorConfigError } from './sensor.js';
import { sampledSensorFactory } from './sources.js';
import { listDir, readNumber, readTrimmed, SysfsAttribute } from './sysfs.js';

export const INPUT_RAILS = ['VDD_IN', 'POM_5V_IN'];
/** INA3221 gain error bound (±0.25 %) plus an unknown on-module shunt tolerance (1 %). */
const GAIN_ERROR = 0.0125;

export interface Ina3221Rail {
  name: string;
  layout: 'hwmon' | 'iio';
  /** Attribute files: voltage (mV) and current (mA), or power (mW) where the driver gives it. */
  voltagePath: string;
  currentPath: string;
  powerPath: string | undefined;
}

function isSkipped(label: string): boolean {
  return label === '' || /^NC$/i.test(label) || /sum/i.test(label);
}

function hwmonRails(root: string): Ina3221Rail[] {
  const base = join(root, 'sys/class/hwmon');
  const rails: Ina3221Rail[] = [];
  for (const entry of listDir(base)) {
    const dir = join(base, entry);
    if (readTrimmed(join(dir, 'name')) !== 'ina3221') continue;
    // in1..in3 are the bus voltages; in4..in6 shunt voltages and in7/curr4 the sum: not rails.
    for (const n of [1, 2, 3]) {
      const label = readTrimmed(join(dir, `in${n}_label`));
      if (label === undefined || isSkipped(label)) continue;
      if (readNumber(join(dir, `curr${n}_input`)) === undefined) continue;
      rails.push({
        name: label,
        layout: 'hwmon',
        voltagePath: join(dir, `in${n}_input`),
        currentPath: join(dir, `curr${n}_input`),
        powerPath: undefined,
      });
    }
  }
  return rails;
}

function iioDevices(root: string): string[] {
  const dirs = new Set<string>();
  const bus = join(root, 'sys/bus/iio/devices');
  for (const entry of listDir(bus)) if (entry.startsWith('iio:device')) dirs.add(join(bus, entry));
  const drivers = join(root, 'sys/bus/i2c/drivers/ina3221x');
  for (const client of listDir(drivers))
    for (const entry of listDir(join(drivers, client)))
      if (entry.startsWith('iio:device')) dirs.add(join(drivers, client, entry));
  return [...dirs];
}

function iioRails(root: string): Ina3221Rail[] {
  const rails: Ina3221Rail[] = [];
  const seen = new Set<string>();
  for (const dir of iioDevices(root)) {
    if (readTrimmed(join(dir, 'name')) !== 'ina3221x') continue;
    for (const n of [0, 1, 2]) {
      const label = readTrimmed(join(dir, `rail_name_${n}`));
      if (label === undefined || isSkipped(label) || seen.has(label)) continue;
      seen.add(label);
      const powerPath = join(dir, `in_power${n}_input`);
      rails.push({
        name: label,
        layout: 'iio',
        voltagePath: join(dir, `in_voltage${n}_input`),
        currentPath: join(dir, `in_current${n}_input`),
        powerPath: readNumber(powerPath) === undefined ? undefined : powerPath,
      });
    }
  }
  return rails;
}

/** Every connected rail under `root`, hwmon layout first. */
export function findIna3221Rails(root: string): Ina3221Rail[] {
  const hwmon = hwmonRails(root);
  return hwmon.length > 0 ? hwmon : iioRails(root);
}

export function readRail(rail: Ina3221Rail): RailReading {
  const voltageV = (readNumber(rail.voltagePath) ?? Number.NaN) / 1000;
  const currentA = (readNumber(rail.currentPath) ?? Number.NaN) / 1000;
  const powerW =
    rail.powerPath === undefined ? voltageV * currentA : (readNumber(rail.powerPath) ?? Number.NaN) / 1000;
  return { name: rail.name, voltageV, currentA, powerW };
}

export function inputRail(rails: readonly Ina3221Rail[]): Ina3221Rail | undefined {
  return rails.find((rail) => INPUT_RAILS.includes(rail.name.toUpperCase()));
}

export class JetsonIna3221Source implements SampleSource {
  readonly quantity = 'power' as const;
  readonly counterRangeJ = Number.POSITIVE_INFINITY;
  readonly accuracy;
  readonly delayNs = 0;
  readonly defaultPeriodMs = 10;
  /** The rail read as the total, or undefined when the rails are summed (no input rail). */
  readonly totalRail: string | undefined;
  private readonly attributes: { v: SysfsAttribute; i: SysfsAttribute; p: SysfsAttribute | undefined }[];

  constructor(readonly channels: readonly Ina3221Rail[]) {
    if (channels.length === 0)
      throw new SensorConfigError(
        'jetson-ina3221: no INA3221 rail found in /sys/class/hwmon (name ina3221) or /sys/bus/iio/devices (name ina3221x); is this a Jetson?',
      );
    const input = inputRail(channels);
    this.totalRail = input?.name;
    const read = input === undefined ? channels : [input];
    this.attributes = read.map((rail) => ({
      v: new SysfsAttribute(rail.voltagePath),
      i: new SysfsAttribute(rail.currentPath),
      p: rail.powerPath === undefined ? undefined : new SysfsAttribute(rail.powerPath),
    }));
    // sysfs gives whole mV and mA: one step is 1 mA at the input voltage (plus 1 mV × current).
    const first = readRail(read[0] as Ina3221Rail);
    this.accuracy = {
      gainErrorRel: GAIN_ERROR,
      quantum: 0.001 * Math.max(first.voltageV ?? 0, 1) + 0.001 * Math.abs(first.currentA ?? 0),
    };
  }

  read(): number {
    let totalW = 0;
    for (const { v, i, p } of this.attributes)
      totalW += p === undefined ? (v.readNumber() / 1000) * (i.readNumber() / 1000) : p.readNumber() / 1000;
    return totalW;
  }

  rails(): RailReading[] {
    return this.channels.map(readRail);
  }

  close(): void {
    for (const { v, i, p } of this.attributes) {
      v.close();
      i.close();
      p?.close();
    }
  }
}

export const jetsonIna3221SensorFactory = sampledSensorFactory({
  kind: 'jetson-ina3221',
  coverage: 'module-rails',
  description: 'NVIDIA Jetson INA3221 rails via sysfs, hwmon or IIO layout (option root for a fake tree)',
  preference: 100,
  provenance: 'measured',
  options: z.object({ root: z.string().default('/') }),
  async open(options) {
    return new JetsonIna3221Source(findIna3221Rails(options.root));
  },
  async probe(env) {
    const rails = findIna3221Rails(env.root);
    if (rails.length === 0) return [];
    const readings = rails.map(readRail);
    const input = inputRail(rails);
    const totalW =
      input === undefined
        ? readings.reduce((sum, r) => sum + r.powerW, 0)
        : (readings.find((r) => r.name === input.name)?.powerW ?? Number.NaN);
    return [
      {
        spec: env.root === '/' ? 'jetson-ina3221' : `jetson-ina3221:root=${env.root}`,
        usable: Number.isFinite(totalW),
        detail: `${rails[0]?.layout} layout, rails ${rails.map((r) => r.name).join(', ')}; total = ${input === undefined ? 'sum of the module rails (no VDD_IN/POM_5V_IN rail)' : input.name}; module rails exclude the carrier board`,
        rails: readings,
        totalW,
      },
    ];
  },
});
