import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { differenceCounter } from '../../agent/measure/integrate.js';
import {
  findIna3221Rails,
  JetsonIna3221Source,
  jetsonIna3221SensorFactory,
  readRail,
} from '../../agent/sensors/jetson-ina3221.js';
import { Pi5PmicSource, parsePmicAdc, pi5PmicSensorFactory } from '../../agent/sensors/pi5-pmic.js';
import { findRaplZones, packageZones, RaplSource, raplSensorFactory } from '../../agent/sensors/rapl.js';
import type { ProbeEnv, RailReading } from '../../agent/sensors/sensor.js';
import { copyTree, expected, removeCopiedTrees, SYSFS_FIXTURES } from './support/tree.js';

afterAll(removeCopiedTrees);

interface JetsonExpected {
  layout: 'hwmon' | 'iio';
  totalRail: string;
  totalW: number;
  rails: RailReading[];
}

const noCommands: ProbeEnv['run'] = () => {
  throw Object.assign(new Error('not found'), { code: 'ENOENT' });
};

describe.each([
  ['jetson-nano-iio', 'Jetson Nano, JetPack 4'],
  ['jetson-orin-nano-hwmon', 'Jetson Orin Nano, JetPack 5'],
])('golden tree %s (%s)', (name) => {
  const want = expected<JetsonExpected>(name);

  it('finds the connected rails, skipping NC and sum channels and other hwmon devices', () => {
    const rails = findIna3221Rails(copyTree(name));
    expect(rails.map((r) => r.name)).toEqual(want.rails.map((r) => r.name));
    expect(new Set(rails.map((r) => r.layout))).toEqual(new Set([want.layout]));
  });

  it('reads every rail in volts, amperes and watts', () => {
    const readings = findIna3221Rails(copyTree(name)).map(readRail);
    readings.forEach((reading, i) => {
      const rail = want.rails[i];
      expect(reading.name).toBe(rail?.name);
      expect(reading.voltageV).toBeCloseTo(rail?.voltageV ?? Number.NaN, 9);
      expect(reading.currentA).toBeCloseTo(rail?.currentA ?? Number.NaN, 9);
      expect(reading.powerW).toBeCloseTo(rail?.powerW ?? Number.NaN, 9);
    });
  });

  it('takes the board input rail as the total and follows it as the files change', () => {
    const root = copyTree(name);
    const source = new JetsonIna3221Source(findIna3221Rails(root));
    try {
      expect(source.totalRail).toBe(want.totalRail);
      expect(source.read()).toBeCloseTo(want.totalW, 9);
      const rail = findIna3221Rails(root).find((r) => r.name === want.totalRail);
      const path = rail?.powerPath ?? rail?.currentPath ?? '';
      writeFileSync(path, `${Number(readFileSync(path, 'utf8')) * 2}\n`);
      expect(source.read()).toBeCloseTo(want.totalW * 2, 9);
    } finally {
      source.close();
    }
  });

  it('is found by the doctor probe, usable, with the total and the carrier-board caveat', async () => {
    const root = copyTree(name);
    const [found] = (await jetsonIna3221SensorFactory.probe?.({ root, run: noCommands })) ?? [];
    expect(found?.usable).toBe(true);
    expect(found?.totalW).toBeCloseTo(want.totalW, 9);
    expect(found?.spec).toBe(`jetson-ina3221:root=${root}`);
    expect(found?.detail).toContain(want.totalRail);
    expect(found?.detail).toContain('exclude the carrier board');
  });
});

describe('Jetson without an input rail (AGX-style labels)', () => {
  it('sums the module rails and says so', async () => {
    const root = copyTree('jetson-orin-nano-hwmon');
    writeFileSync(join(root, 'sys/class/hwmon/hwmon1/in1_label'), 'VDD_GPU_SOC\n');
    const source = new JetsonIna3221Source(findIna3221Rails(root));
    expect(source.totalRail).toBeUndefined();
    expect(source.read()).toBeCloseTo(5.096 * (1.456 + 0.312 + 0.584), 9);
    source.close();
    const [found] = (await jetsonIna3221SensorFactory.probe?.({ root, run: noCommands })) ?? [];
    expect(found?.detail).toContain('sum of the module rails');
  });
});

describe('golden tree rapl-wrap', () => {
  const want = expected<{ zones: string[]; counterRangeJ: number; startJ: number }>('rapl-wrap');

  it('uses the package zones (not psys, not sub-zones) with their wrap range', () => {
    const zones = packageZones(findRaplZones(copyTree('rapl-wrap')));
    expect(zones.map((z) => z.name)).toEqual(want.zones);
    const source = new RaplSource(zones);
    expect(source.counterRangeJ).toBeCloseTo(want.counterRangeJ, 9);
    expect(source.read()).toBeCloseTo(want.startJ, 9);
    source.close();
  });

  it('differences the counter across its wrap-around: 0.5 J to the wrap plus 1.5 J after = 2 J', () => {
    const root = copyTree('rapl-wrap');
    const source = new RaplSource(packageZones(findRaplZones(root)));
    const energyPath = join(root, 'sys/class/powercap/intel-rapl:0/energy_uj');
    const before = source.read();
    writeFileSync(energyPath, '1500000\n');
    const after = source.read();
    source.close();
    expect(after).toBeLessThan(before);
    const series = { tNs: [0, 1e9], value: [before, after], length: 2 };
    expect(differenceCounter(series, 0, 1e9, source.counterRangeJ).energyJ).toBeCloseTo(2, 6);
    expect(differenceCounter(series, 0, 0.5e9, source.counterRangeJ).energyJ).toBeCloseTo(1, 6);
  });

  it('unwraps each package itself when there are two, and sums them', () => {
    const root = copyTree('rapl-wrap');
    const second = join(root, 'sys/class/powercap/intel-rapl:2');
    mkdirSync(second);
    writeFileSync(join(second, 'name'), 'package-1\n');
    writeFileSync(join(second, 'energy_uj'), '1000000\n');
    writeFileSync(join(second, 'max_energy_range_uj'), '262143328850\n');
    const source = new RaplSource(packageZones(findRaplZones(root)));
    expect(source.counterRangeJ).toBe(Number.POSITIVE_INFINITY);
    const first = source.read();
    writeFileSync(join(root, 'sys/class/powercap/intel-rapl:0/energy_uj'), '1500000\n');
    writeFileSync(join(second, 'energy_uj'), '4000000\n');
    expect(source.read() - first).toBeCloseTo(2 + 3, 6);
    source.close();
  });

  it('reports permission denied with the chmod fix, and refuses to open', async () => {
    const root = copyTree('rapl-wrap');
    const [found] = (await raplSensorFactory.probe?.({ root, run: noCommands, canRead: () => false })) ?? [];
    expect(found?.usable).toBe(false);
    expect(found?.detail).toMatch(
      /permission denied.*chmod o\+r \/sys\/class\/powercap\/intel-rapl:\*\/energy_uj/,
    );
    expect(() => new RaplSource(packageZones(findRaplZones(root, () => false)))).toThrow(/chmod o\+r/);
  });
});

describe('golden tree no-sensor', () => {
  it('has no Jetson rail, no RAPL zone and no PMIC', async () => {
    const root = copyTree('no-sensor');
    const env = { root, run: noCommands };
    expect(findIna3221Rails(root)).toEqual([]);
    expect(await jetsonIna3221SensorFactory.probe?.(env)).toEqual([]);
    expect(await raplSensorFactory.probe?.(env)).toEqual([]);
    expect(await pi5PmicSensorFactory.probe?.(env)).toEqual([]);
  });

  it('refuses to open a Jetson source there, saying where it looked', () => {
    expect(() => new JetsonIna3221Source(findIna3221Rails(copyTree('no-sensor')))).toThrow(
      /no INA3221 rail found in \/sys\/class\/hwmon/,
    );
  });
});

describe('Raspberry Pi 5 PMIC (recorded vcgencmd pmic_read_adc output)', () => {
  const recorded = readFileSync(join(SYSFS_FIXTURES, 'rpi5-pmic/vcgencmd-pmic_read_adc.txt'), 'utf8');
  const want = expected<{ railCount: number; totalW: number; vddCoreW: number }>('rpi5-pmic');

  it('pairs currents and voltages by rail name; EXT5V_V and BATT_V have no current and are left out', () => {
    const rails = parsePmicAdc(recorded);
    expect(rails).toHaveLength(want.railCount);
    expect(rails.find((r) => r.name === 'VDD_CORE')?.powerW).toBeCloseTo(want.vddCoreW, 9);
    expect(rails.map((r) => r.name)).not.toContain('EXT5V');
    expect(rails.map((r) => r.name)).not.toContain('BATT');
  });

  it('reads the sum of V × I through the injected command runner', () => {
    const calls: string[][] = [];
    const source = new Pi5PmicSource('vcgencmd', (command, args) => {
      calls.push([command, ...args]);
      return recorded;
    });
    expect(source.read()).toBeCloseTo(want.totalW, 9);
    expect(calls).toEqual([['vcgencmd', 'pmic_read_adc']]);
  });

  it('is usable in doctor when the command prints rails, and names the fix when it fails', async () => {
    const ok = await pi5PmicSensorFactory.probe?.({ root: '/', run: () => recorded });
    expect(ok?.[0]?.usable).toBe(true);
    expect(ok?.[0]?.totalW).toBeCloseTo(want.totalW, 9);
    const failing = await pi5PmicSensorFactory.probe?.({
      root: '/',
      run: () => {
        throw new Error('Command not registered');
      },
    });
    expect(failing?.[0]?.usable).toBe(false);
    expect(failing?.[0]?.detail).toMatch(/Command not registered.*Raspberry Pi 5/);
  });

  it('rejects output without any rail pair, quoting it', () => {
    expect(() => parsePmicAdc('error=1 error_msg="Command not registered"')).toThrow(
      /no rail.*Command not registered/,
    );
  });
});
