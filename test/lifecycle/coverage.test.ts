// Sensor coverage: every sensor declares what it sees of the board, the protocol table the
// collector reads agrees with it, and `compare` with measured energy scales a partial reading
// (module rails, CPU package, PMIC rails) to the board's input by a labelled factor with a range.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENSORS } from '../../agent/sensors/index.js';
import { coverageFactor, triangularSigma } from '../../collector/lifecycle/coverage.js';
import {
  compare,
  formatComparison,
  type Measurement,
  measure,
  type Scenario,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import {
  COVERAGE_OF_SENSOR_KIND,
  coverageOfSensor,
  type InferenceRecord,
  SENSOR_COVERAGES,
} from '../../protocol/index.js';
import { tempDir } from './helpers.js';

const MODEL = '12'.repeat(32);
const ENERGIES = [0.02, 0.022, 0.021, 0.019, 0.018, 0.02];

function record(seq: number, energyJ: number, sensor: string): InferenceRecord {
  return {
    seq,
    startUs: 1_700_000_000_000_000 + seq * 100_000,
    durationUs: 5000,
    energyJ,
    energyUncertaintyJ: 0.0002,
    baselineW: 3,
    sampleCount: 25,
    provenance: 'measured',
    sensor,
    modelId: MODEL,
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 784,
    outputBytes: 40,
    correct: null,
  };
}

describe('what each sensor covers', () => {
  it('every registered sensor declares a coverage, and the protocol table says the same for its kind', () => {
    expect(SENSORS.map((s) => [s.kind, s.coverage])).toEqual(
      SENSORS.map((s) => [s.kind, COVERAGE_OF_SENSOR_KIND[s.kind]]),
    );
    expect(Object.keys(COVERAGE_OF_SENSOR_KIND).sort()).toEqual(SENSORS.map((s) => s.kind).sort());
    for (const s of SENSORS) expect(SENSOR_COVERAGES).toContain(s.coverage);
  });

  it('a record names its sensor as kind[:board][:options]; the coverage comes from the kind', () => {
    expect(coverageOfSensor('jetson-ina3221:jetson-orin-nano')).toBe('module-rails');
    expect(coverageOfSensor('rapl')).toBe('cpu-package');
    expect(coverageOfSensor('pi5-pmic:rpi5')).toBe('pmic-rails');
    expect(coverageOfSensor('ina219:rpi4:address=0x41')).toBe('board-input');
    expect(coverageOfSensor('simulated:rpi4')).toBe('estimate');
    expect(coverageOfSensor('someone-elses-meter')).toBeUndefined();
    expect(coverageOfSensor('toString')).toBeUndefined();
  });

  it('sensors that see less than the board input have a factor ≥ 1 with a range, sourced or labelled unsourced', () => {
    for (const coverage of ['module-rails', 'cpu-package', 'pmic-rails'] as const) {
      const f = coverageFactor(coverage);
      expect(f, coverage).toBeDefined();
      if (f === undefined) continue;
      expect(f.low).toBeGreaterThanOrEqual(1);
      expect(f.low).toBeLessThan(f.central);
      expect(f.central).toBeLessThan(f.high);
      if (f.source === null) expect(f.assumption).toMatch(/^UNSOURCED assumption/);
    }
    expect(coverageFactor('board-input')).toBeUndefined();
    expect(coverageFactor('estimate')).toBeUndefined();
  });
});

describe('compare with measured energy from a partial sensor', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'coverage.sqlite'));
  beforeAll(async () => {
    await store.connect();
    await store.writeBatch(
      'lab',
      'orin-01',
      ENERGIES.map((e, i) => record(i, e, 'jetson-ina3221:jetson-orin-nano')),
    );
    await store.writeBatch(
      'lab',
      'pi4-01',
      ENERGIES.map((e, i) => record(i, e, 'ina219:rpi4')),
    );
    await store.writeBatch('lab', 'mixed-01', [record(0, 0.02, 'rapl'), record(1, 0.02, 'ina219')]);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  const scenario = (device: string, profile: string) =>
    validateScenario({
      samples: 1,
      workload: { inferencesPerDay: 1000, inputBytes: 784, outputBytes: 40 },
      device: { profile, region: 'BE', measured: { device, model: MODEL }, lifetimeYears: 5 },
      network: { profile: 'wifi', rttS: 0.05 },
      datacenter: { profile: 'gpu-server', region: 'US', energyJ: 0.002 },
    });
  const mean = ENERGIES.reduce((s, x) => s + x, 0) / ENERGIES.length;
  /** What runComparison() does: read the scenario's device.measured from the store, then compare. */
  const measuredFrom = async (s: Scenario): Promise<() => Measurement> => {
    if (s.device.measured === undefined) throw new Error('the scenario reads no measured values');
    const m = await measure(store, s.device.measured);
    return () => m;
  };

  it('Jetson module rails: energy × the coverage factor, its range in ±1σ, and the output says so', async () => {
    const orin = scenario('orin-01', 'jetson-orin-nano');
    const result = compare(orin, await measuredFrom(orin));
    const f = coverageFactor('module-rails');
    if (f === undefined) throw new Error('no module-rails factor');
    const entry = result.provenance['device.energyJ'];
    expect(entry?.central).toBeCloseTo(mean * f.central, 15);
    expect(entry?.note).toMatch(/coverage factor 1\.15 \(1\.05–1\.4, UNSOURCED assumption/);
    const m = await measure(store, { device: 'orin-01', model: MODEL });
    const sigma = Math.hypot(
      Math.hypot(m.energyJ.standardError, m.energyJ.sensorUncertaintyJ) * f.central,
      mean * triangularSigma(f.low, f.central, f.high),
    );
    expect(((entry?.high ?? 0) - (entry?.low ?? 0)) / 2 / 1.6448536269514722).toBeCloseTo(sigma, 12);
    expect(formatComparison(result)).toMatch(/sensor coverage module-rails: the compute module's input rail/);
  });

  it('a board-input sensor (INA219 in the supply line) is taken as it is', async () => {
    const pi4 = scenario('pi4-01', 'rpi4');
    const result = compare(pi4, await measuredFrom(pi4));
    expect(result.provenance['device.energyJ']?.central).toBeCloseTo(mean, 15);
    expect(formatComparison(result)).toMatch(/sensor coverage board-input/);
  });

  it('records from sensors of different coverage are refused, not averaged', async () => {
    await expect(measure(store, { device: 'mixed-01', model: MODEL })).rejects.toThrow(
      /different parts of the board/,
    );
  });
});
