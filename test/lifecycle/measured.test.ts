// `measured` device values from a real SQLite store in a temp dir: mean and standard error of the
// energy (gross and above idle), latency, accuracy from the `correct` labels, and provenance in the
// result saying which values were measured and which came from profiles.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compare,
  type Measurement,
  MeasurementError,
  measure,
  parseScenario,
  type Scenario,
  validateScenario,
} from '../../collector/lifecycle/index.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import type { InferenceRecord } from '../../protocol/index.js';
import { EXAMPLES, tempDir } from './helpers.js';

const MODEL = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
const ENERGIES = [0.01, 0.012, 0.011, 0.013, 0.009, 0.01, 0.012, 0.011];

function record(seq: number, energyJ: number, overrides: Partial<InferenceRecord> = {}): InferenceRecord {
  return {
    seq,
    startUs: 1_700_000_000_000_000 + seq * 100_000,
    durationUs: 2000 + (seq % 2) * 1000,
    energyJ,
    energyUncertaintyJ: 0.0005,
    baselineW: 2,
    sampleCount: 4,
    provenance: 'measured',
    sensor: 'ina219',
    modelId: MODEL,
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 784,
    outputBytes: 40,
    correct: seq % 4 === 0 ? null : seq % 4 !== 3,
    ...overrides,
  };
}

describe('measured device values from the SQLite store', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'm.sqlite'));
  /** What runComparison() does: read the scenario's device.measured from the store, then compare. */
  const measuredFrom = async (scenario: Scenario): Promise<() => Measurement> => {
    const query = scenario.device.measured;
    if (query === undefined) throw new Error('the scenario reads no measured values');
    const m = await measure(store, query);
    return () => m;
  };

  beforeAll(async () => {
    await store.connect();
    await store.writeBatch(
      'lab',
      'pi4-01',
      ENERGIES.map((e, i) => record(i, e)),
    );
    await store.writeBatch('lab', 'pi4-02', [record(0, 5, { modelId: OTHER })]);
    const estimated = {
      provenance: 'estimated' as const,
      sensor: 'simulated:rpi4',
      variant: 'cnn-base',
    };
    await store.writeBatch('demo', 'pi4-kitchen', [record(0, 0.006, estimated), record(1, 0.007, estimated)]);
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('computes mean and standard error by the textbook formulas', async () => {
    const m = await measure(store, { device: 'pi4-01', model: MODEL.slice(0, 12) });
    const n = ENERGIES.length;
    const mean = ENERGIES.reduce((s, x) => s + x, 0) / n;
    const sd = Math.sqrt(ENERGIES.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    expect(m.records).toBe(n);
    expect(m.energyJ.mean).toBeCloseTo(mean, 15);
    expect(m.energyJ.standardError).toBeCloseTo(sd / Math.sqrt(n), 15);
    expect(m.energyJ.sensorUncertaintyJ).toBeCloseTo(0.0005, 15);
    // durations alternate 2 ms / 3 ms; marginal = energy − 2 W × duration
    expect(m.latencyS.mean).toBeCloseTo(0.0025, 12);
    expect(m.marginalEnergyJ.mean).toBeCloseTo(mean - 2 * 0.0025, 12);
    // seq 0 and 4 unlabelled; of 1,2,3,5,6,7: 3 and 7 wrong
    expect(m.accuracy?.labelled).toBe(6);
    expect(m.accuracy?.mean).toBeCloseTo(4 / 6, 12);
    expect(m.accuracy?.standardError).toBeCloseTo(Math.sqrt(((4 / 6) * (2 / 6)) / 6), 12);
    expect(m.energyProvenance).toBe('measured');
  });

  it('the comparison uses them, says so in provenance, and keeps profile values labelled as profile', async () => {
    const scenario = validateScenario({
      samples: 2000,
      workload: { inferencesPerDay: 1000, inputBytes: 784, outputBytes: 40 },
      device: {
        profile: 'rpi4',
        region: 'BE',
        measured: { device: 'pi4-01', model: MODEL },
        lifetimeYears: 5,
      },
      network: { profile: 'wifi', rttS: 0.05 },
      datacenter: { profile: 'gpu-server', region: 'US', energyJ: 0.002, accuracy: 0.93 },
    });
    const result = compare(scenario, await measuredFrom(scenario));
    const p = result.provenance;
    expect(p['device.energyJ']?.origin).toBe('measured');
    expect(p['device.energyJ']?.central).toBeCloseTo(
      ENERGIES.reduce((s, x) => s + x, 0) / ENERGIES.length,
      15,
    );
    expect(p['device.energyJ']?.distribution).toBe('normal');
    expect(p['device.energyJ']?.source).toMatch(/store: 8 records of pi4-01/);
    expect(p['device.accuracy']?.origin).toBe('measured');
    expect(p['device.embodiedKg']?.origin).toBe('profile');
    expect(p['device.lifetimeYears']?.origin).toBe('scenario');
    expect(result.measurement?.records).toBe(8);
    expect('edge' in result.perCorrectInference).toBe(true);
  });

  it('marginal basis takes the above-idle energy', async () => {
    const scenario = validateScenario({
      samples: 1,
      energyBasis: 'marginal',
      workload: { inferencesPerDay: 1000, inputBytes: 784, outputBytes: 40 },
      device: {
        profile: 'rpi4',
        region: 'BE',
        measured: { device: 'pi4-01', model: MODEL },
        lifetimeYears: 5,
      },
      network: { profile: 'wifi', rttS: 0.05 },
      datacenter: { profile: 'gpu-server', region: 'US', energyJ: 0.002 },
    });
    const result = compare(scenario, await measuredFrom(scenario));
    const mean = ENERGIES.reduce((s, x) => s + x, 0) / ENERGIES.length;
    expect(result.provenance['device.energyJ']?.central).toBeCloseTo(mean - 0.005, 12);
  });

  it('examples/scenarios/pi4-measured.yaml: estimated store energy is labelled store-estimate, not measured', async () => {
    const scenario = parseScenario(readFileSync(join(EXAMPLES, 'pi4-measured.yaml'), 'utf8'), 'pi4-measured');
    const result = compare({ ...scenario, samples: 500 }, await measuredFrom(scenario));
    expect(result.provenance['device.energyJ']?.origin).toBe('store-estimate');
    expect(result.provenance['device.energyJ']?.central).toBeCloseTo(0.0065, 12);
    expect(result.measurement?.energyProvenance).toBe('estimated');
    expect(result.measurement?.sensors).toEqual(['simulated:rpi4']);
  });

  it('an unknown device or model is an error that names the field and the ids', async () => {
    await expect(measure(store, { device: 'nope', model: MODEL })).rejects.toThrow(MeasurementError);
    await expect(measure(store, { device: 'pi4-01', model: OTHER })).rejects.toThrow(
      /device\.measured: the store has no inference records for device "pi4-01"/,
    );
  });
});
