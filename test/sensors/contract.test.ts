// The same tests for every sensor in the registry, each opened for real (sampled ones in their
// worker thread) against a fake tree, a fake bus, a recorded command or a recorded trace.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSensor, SENSORS } from '../../agent/sensors/index.js';
import type { PowerSensor } from '../../agent/sensors/sensor.js';
import { copyTree, removeCopiedTrees, SYSFS_FIXTURES } from './support/tree.js';

/** Folders made for the cases (a fake command, a trace), removed when the file ends. */
const made: string[] = [];
const caseDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};
afterAll(() => {
  removeCopiedTrees();
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const busModule = fileURLToPath(new URL('./support/fake-ina-module.ts', import.meta.url));
const mlperfRun = fileURLToPath(
  new URL('../fixtures/mlperf-tiny/OctoML__microtvm_cmsis_nn__NUCLEO_L4R5ZI__kws', import.meta.url),
);

function fakeVcgencmd(): string {
  const dir = caseDir('edgewatt-vcgencmd-');
  const script = join(dir, 'vcgencmd');
  writeFileSync(script, `#!/bin/sh\ncat '${join(SYSFS_FIXTURES, 'rpi5-pmic/vcgencmd-pmic_read_adc.txt')}'\n`);
  chmodSync(script, 0o755);
  return script;
}

function csvTrace(): string {
  const path = join(caseDir('edgewatt-trace-'), 'trace.csv');
  const rows = ['time_s,power_w'];
  for (let i = 0; i <= 1000; i++) rows.push(`${(i / 1000).toFixed(3)},${(3 + Math.sin(i / 50)).toFixed(4)}`);
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

/** A spec that opens each registered sensor here; a new sensor without a case fails the suite. */
const CASES: Record<string, () => { spec: string; provenance: 'measured' | 'estimated' }> = {
  simulated: () => ({ spec: 'simulated:rpi4', provenance: 'estimated' }),
  ina219: () => ({ spec: `ina219:rpi4:busModule=${busModule},baselineMs=50`, provenance: 'measured' }),
  ina226: () => ({
    spec: `ina226:rpi4:busModule=${busModule},address=0x41,baselineMs=50`,
    provenance: 'measured',
  }),
  'jetson-ina3221': () => ({
    spec: `jetson-ina3221:jetson-orin-nano:root=${copyTree('jetson-orin-nano-hwmon')},baselineMs=50`,
    provenance: 'measured',
  }),
  rapl: () => ({ spec: `rapl:root=${copyTree('rapl-wrap')},baselineMs=50`, provenance: 'measured' }),
  'pi5-pmic': () => ({
    spec: `pi5-pmic:rpi5:command=${fakeVcgencmd()},periodMs=10,baselineMs=100`,
    provenance: 'measured',
  }),
  replay: () => ({ spec: `replay:file=${csvTrace()},baselineMs=50`, provenance: 'estimated' }),
};

describe('sensor registry', () => {
  it('has a contract case for every registered sensor, and unique kinds', () => {
    const kinds = SENSORS.map((s) => s.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(Object.keys(CASES).sort()).toEqual([...kinds].sort());
  });

  it('has a description for every sensor', () => {
    for (const factory of SENSORS) expect(factory.description.length).toBeGreaterThan(10);
  });
});

describe.each(SENSORS.map((factory) => [factory.kind]))('PowerSensor contract: %s', (kind) => {
  const made = CASES[kind]?.();
  let sensor: PowerSensor | undefined;
  afterAll(async () => {
    await sensor?.close();
  });

  it('is created from its spec with a label that starts with its kind', () => {
    sensor = createSensor(made?.spec ?? '');
    expect(sensor.label.startsWith(kind)).toBe(true);
    expect(sensor.provenance).toBe(made?.provenance);
  });

  it('opens, and gives finite non-negative energy, uncertainty and baseline for a window', async () => {
    const s = sensor ?? createSensor(made?.spec ?? '');
    await s.open();
    // A 30 ms window of a sampled sensor holds samples unless its sampling thread was starved of
    // CPU for the whole window (seen at load 14–21, and three windows in a row were not always
    // enough): a sensor that samples at all has some in a window within 10 s of windows.
    const windowEnergy = async () => {
      const cpuBefore = process.cpuUsage();
      const startNs = process.hrtime.bigint();
      await sleep(30);
      const endNs = process.hrtime.bigint();
      const cpu = process.cpuUsage(cpuBefore);
      return s.energyOf({ startNs, endNs, cpuUs: cpu.user + cpu.system });
    };
    let energy = await windowEnergy();
    const deadline = Date.now() + 10_000;
    while (energy.sampleCount === 0 && s.samplePeriodS !== undefined && Date.now() < deadline)
      energy = await windowEnergy();
    for (const value of [energy.energyJ, energy.uncertaintyJ, energy.baselineW]) {
      expect(Number.isFinite(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(0);
    }
    expect(Number.isInteger(energy.sampleCount)).toBe(true);
    expect(energy.provenance).toBe(s.provenance);
    if (s.samplePeriodS !== undefined) expect(energy.sampleCount).toBeGreaterThan(0);
    else expect(energy.sampleCount).toBe(0);
  });

  it('gives at least as much energy to a window as to a window inside it', async () => {
    const s = sensor ?? createSensor(made?.spec ?? '');
    const startNs = process.hrtime.bigint();
    await sleep(40);
    const endNs = process.hrtime.bigint();
    const inner = await s.energyOf({ startNs: startNs + 10_000_000n, endNs: endNs - 10_000_000n, cpuUs: 0 });
    const outer = await s.energyOf({ startNs, endNs, cpuUs: 0 });
    expect(outer.energyJ).toBeGreaterThanOrEqual(inner.energyJ);
  });

  it('closes, and a second close does not throw', async () => {
    const s = sensor ?? createSensor(made?.spec ?? '');
    await s.close();
    await s.close();
    sensor = undefined;
  });
});

describe('replay of an MLPerf Tiny run folder', () => {
  it('opens as a sensor and replays the recorded power', async () => {
    const sensor = createSensor(`replay:file=${mlperfRun},baselineMs=100`);
    await sensor.open();
    try {
      const startNs = process.hrtime.bigint();
      await sleep(30);
      const energy = await sensor.energyOf({ startNs, endNs: process.hrtime.bigint(), cpuUs: 0 });
      expect(energy.energyJ).toBeGreaterThan(0);
      expect(energy.provenance).toBe('estimated');
    } finally {
      await sensor.close();
    }
  });
});
