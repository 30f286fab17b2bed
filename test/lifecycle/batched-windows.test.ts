// Batched windows in the collector's statistics: the N records of one window are one measurement.
// A coverage test on simulated data with a known truth pins the standard error (its 95 % interval
// must hold the true mean about 95 % of the time, not 20 %), and the above-idle energy of a window
// takes the baseline over the window's span, gaps between its inferences included.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compare, measure, validateScenario } from '../../collector/lifecycle/index.js';
import { fillStandardNormal, Xoshiro128 } from '../../collector/lifecycle/random.js';
import { SqliteStore } from '../../collector/store/sqlite.js';
import { type InferenceRecord, meanOverWindows, recordWindows } from '../../protocol/index.js';
import { tempDir } from './helpers.js';

const MODEL = 'ef'.repeat(32);
const N = 50;

/** The N records the agent writes for one batched window (windowInferences N, energy ÷ N each). */
function windowRecords(
  firstSeq: number,
  startUs: number,
  perInferenceJ: number,
  options: { inferenceUs: number; gapUs: number; baselineW: number; n?: number },
): InferenceRecord[] {
  const n = options.n ?? N;
  return Array.from({ length: n }, (_, i) => ({
    seq: firstSeq + i,
    startUs: startUs + i * (options.inferenceUs + options.gapUs),
    durationUs: options.inferenceUs,
    energyJ: perInferenceJ,
    energyUncertaintyJ: 1e-6,
    baselineW: options.baselineW,
    sampleCount: 100,
    provenance: 'measured' as const,
    sensor: 'ina219',
    modelId: MODEL,
    variant: 'dense',
    backend: 'wasm',
    batchSize: 1,
    inputBytes: 784,
    outputBytes: 40,
    correct: null,
    method: n > 1 ? ('batched' as const) : ('single' as const),
    windowInferences: n,
  }));
}

/** W batched windows whose per-inference energy is truth + σ × normal noise (one draw per window). */
function simulatedRun(rng: Xoshiro128, truthJ: number, sigmaJ: number, windows: number): InferenceRecord[] {
  const noise = fillStandardNormal(rng, new Float64Array(windows));
  const records: InferenceRecord[] = [];
  for (let w = 0; w < windows; w++) {
    const energy = truthJ + sigmaJ * (noise[w] ?? 0);
    records.push(
      ...windowRecords(w * N, 1_700_000_000_000_000 + w * 1_000_000, energy, {
        inferenceUs: 200,
        gapUs: 0,
        baselineW: 2,
      }),
    );
  }
  return records;
}

describe('standard error over windows, not records', () => {
  it('groups a batched window’s records into one window, single records into one each', () => {
    const batched = windowRecords(0, 0, 0.001, { inferenceUs: 200, gapUs: 0, baselineW: 2 });
    const again = windowRecords(N, 20_000, 0.001, { inferenceUs: 200, gapUs: 0, baselineW: 2 });
    const singles = [0.002, 0.003].map((e, i) => ({
      ...windowRecords(2 * N + i, 40_000 + i * 1000, e, {
        inferenceUs: 500,
        gapUs: 0,
        baselineW: 2,
        n: 1,
      })[0],
    })) as InferenceRecord[];
    const windows = recordWindows([...batched, ...again, ...singles]);
    // Two windows of equal energy back to back stay two: a window holds at most windowInferences records.
    expect(windows.map((w) => w.records)).toEqual([N, N, 1, 1]);
  });

  it('coverage: the 95 % interval from the standard error holds the true mean ~95 % of the time', () => {
    const rng = new Xoshiro128(13);
    const truthJ = 0.004;
    const trials = 400;
    let covered = 0;
    let coveredByRecords = 0;
    for (let t = 0; t < trials; t++) {
      const records = simulatedRun(rng, truthJ, 0.0004, 20);
      const stat = meanOverWindows(recordWindows(records), (w) => w.energyPerInferenceJ);
      if (Math.abs(stat.mean - truthJ) <= 1.96 * stat.standardError) covered++;
      // What the records-as-independent formula claims: s/√n over all 1000 records.
      const n = records.length;
      const mean = records.reduce((s, r) => s + r.energyJ, 0) / n;
      const sd = Math.sqrt(records.reduce((s, r) => s + (r.energyJ - mean) ** 2, 0) / (n - 1));
      if (Math.abs(mean - truthJ) <= (1.96 * sd) / Math.sqrt(n)) coveredByRecords++;
    }
    // 20 windows: a t interval would be exact; 1.96 gives ~93.6 %.
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.98);
    // The per-record formula is √50 ≈ 7× too narrow: it covers the truth about a quarter of the time.
    expect(coveredByRecords / trials).toBeLessThan(0.4);
  });

  it('windows of one record give the textbook s/√n', () => {
    const energies = [0.01, 0.012, 0.011, 0.013, 0.009];
    const records = energies.map(
      (e, i) => windowRecords(i, i * 1000, e, { inferenceUs: 500, gapUs: 0, baselineW: 2, n: 1 })[0],
    ) as InferenceRecord[];
    const stat = meanOverWindows(recordWindows(records), (w) => w.energyPerInferenceJ);
    const mean = energies.reduce((s, x) => s + x, 0) / energies.length;
    const sd = Math.sqrt(energies.reduce((s, x) => s + (x - mean) ** 2, 0) / (energies.length - 1));
    expect(stat.mean).toBeCloseTo(mean, 15);
    expect(stat.standardError).toBeCloseTo(sd / Math.sqrt(energies.length), 15);
  });
});

describe('measured values from the store for a batched run', () => {
  const dir = tempDir();
  const store = new SqliteStore(join(dir.path, 'batched.sqlite'));
  const perWindowJ = [0.0031, 0.0029, 0.0033, 0.0027];
  const options = { inferenceUs: 300, gapUs: 100, baselineW: 2 };

  beforeAll(async () => {
    await store.connect();
    const records = perWindowJ.flatMap((e, w) =>
      windowRecords(w * N, 1_700_000_000_000_000 + w * 100_000, e, options),
    );
    await store.writeBatch('lab', 'mcu-01', records);
    await store.writeBatch(
      'lab',
      'mcu-02',
      records.map((r) => ({ ...r, baselineUncertaintyW: 0.05 })),
    );
  });
  afterAll(async () => {
    await store.close();
    dir.remove();
  });

  it('takes the standard error over the 4 windows, not the 200 records', async () => {
    const m = await measure(store, { device: 'mcu-01', model: MODEL });
    const mean = perWindowJ.reduce((s, x) => s + x, 0) / perWindowJ.length;
    const sd = Math.sqrt(perWindowJ.reduce((s, x) => s + (x - mean) ** 2, 0) / (perWindowJ.length - 1));
    expect(m.records).toBe(4 * N);
    expect(m.windows).toBe(4);
    expect(m.energyJ.mean).toBeCloseTo(mean, 15);
    expect(m.energyJ.standardError).toBeCloseTo(sd / 2, 15);
  });

  it('subtracts the baseline over the window’s span ÷ N, gaps included', async () => {
    const m = await measure(store, { device: 'mcu-01', model: MODEL });
    const mean = perWindowJ.reduce((s, x) => s + x, 0) / perWindowJ.length;
    // Span: N inferences of 300 µs with 100 µs between them = N × 400 − 100 µs.
    const spanS = (N * 400 - 100) / 1e6;
    expect(m.marginalEnergyJ.mean).toBeCloseTo(mean - (2 * spanS) / N, 15);
    // Not the old baseline × each inference's own 300 µs.
    expect(Math.abs(m.marginalEnergyJ.mean - (mean - 2 * 300e-6))).toBeGreaterThan(1e-5);
  });

  it('the baseline’s own uncertainty enters the above-idle uncertainty, over the window’s span ÷ N', async () => {
    const spanS = (N * 400 - 100) / 1e6;
    const m = await measure(store, { device: 'mcu-02', model: MODEL });
    expect(m.marginalEnergyJ.baselineUncertaintyJ).toBeCloseTo((0.05 * spanS) / N, 15);
    const without = await measure(store, { device: 'mcu-01', model: MODEL });
    expect(without.marginalEnergyJ.baselineUncertaintyJ).toBe(0);
    const result = compare(
      validateScenario({
        samples: 1,
        energyBasis: 'marginal',
        workload: { inferencesPerDay: 1000, inputBytes: 784, outputBytes: 40 },
        device: {
          profile: 'rpi4',
          region: 'BE',
          measured: { device: 'mcu-02', model: MODEL },
          lifetimeYears: 5,
        },
        network: { profile: 'wifi', rttS: 0.05 },
        datacenter: { profile: 'gpu-server', region: 'US', energyJ: 0.002 },
      }),
      () => m,
    );
    const entry = result.provenance['device.energyJ'];
    const sigma = Math.hypot(
      m.marginalEnergyJ.standardError,
      m.energyJ.sensorUncertaintyJ,
      m.marginalEnergyJ.baselineUncertaintyJ,
    );
    expect(((entry?.high ?? 0) - (entry?.low ?? 0)) / 2 / 1.6448536269514722).toBeCloseTo(sigma, 12);
    expect(entry?.note).toMatch(/baseline uncertainty²/);
  });

  it('the store summary (the demo table) uses the same above-idle energy', () => {
    const [row] = store.summary();
    const mean = perWindowJ.reduce((s, x) => s + x, 0) / perWindowJ.length;
    const spanS = (N * 400 - 100) / 1e6;
    expect(row?.meanMarginalEnergyJ).toBeCloseTo(mean - (2 * spanS) / N, 12);
    expect(row?.windows).toBe(4);
    expect(row?.energyStandardErrorJ).toBeCloseTo(
      Math.sqrt(perWindowJ.reduce((s, x) => s + (x - mean) ** 2, 0) / 3) / 2,
      12,
    );
  });
});
