import { describe, expect, it } from 'vitest';
import {
  energyIntervals,
  meanInterval,
  type ProfiledWindow,
  percentile,
  perDay,
  t975,
} from '../../agent/profile/summary.js';
import { formatJ, formatProfile } from '../../cli/commands/profile.js';

/** Deterministic normal deviates (Box–Muller over a small LCG), so the coverage figure is fixed. */
function normals(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('profile summary figures', () => {
  it('percentile interpolates between order statistics', () => {
    const values = [5, 1, 4, 2, 3];
    expect(percentile(values, 50)).toBe(3);
    expect(percentile(values, 95)).toBeCloseTo(4.8, 12);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBeNaN();
  });

  it('t975 is within 0.1 % of the tabulated Student t quantiles', () => {
    const table: [number, number][] = [
      [3, 3.1824],
      [11, 2.201],
      [15, 2.1314],
      [19, 2.093],
      [40, 2.0211],
      [99, 1.9842],
    ];
    for (const [nu, exact] of table) expect(Math.abs(t975(nu) / exact - 1)).toBeLessThan(0.001);
  });

  it('the 95 % interval of the mean covers the true mean about 95 % of the time (10 windows, known truth)', () => {
    const draw = normals(7);
    const trueJ = 0.004;
    const sdJ = 0.0005;
    const trials = 4000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const windows = Array.from({ length: 10 }, () => trueJ + sdJ * draw());
      const interval = meanInterval(windows);
      if (interval.lowJ <= trueJ && trueJ <= interval.highJ) covered++;
    }
    // Binomial sd at 95 % over 4000 trials is 0.34 %: 93.6–96.4 % is ± 4 sd.
    expect(covered / trials).toBeGreaterThan(0.936);
    expect(covered / trials).toBeLessThan(0.964);
  });

  it('an instrument uncertainty common to all windows widens the interval; one window alone has none', () => {
    const windows = [1, 1.1, 0.9, 1.05, 0.95];
    const plain = meanInterval(windows);
    const widened = meanInterval(windows, 0.2);
    expect(widened.highJ - widened.lowJ).toBeGreaterThan(plain.highJ - plain.lowJ);
    expect(widened.highJ - widened.meanJ).toBeGreaterThan(1.96 * 0.2);
    expect(meanInterval([1]).lowJ).toBeNaN();
  });

  it('above-idle energy and per-day figures follow from the windows and the rate', () => {
    const window = (gross: number): ProfiledWindow => ({
      inferences: 10,
      perInferenceJ: gross,
      perInferenceUncertaintyJ: 0,
      aboveIdlePerInferenceJ: gross - 0.001,
      baselineW: 1,
      sampleCount: 100,
      timePerInferenceS: 0.001,
    });
    const energy = energyIntervals([window(0.003), window(0.003)]);
    expect(energy.gross.meanJ).toBeCloseTo(0.003, 12);
    expect(energy.aboveIdle.meanJ).toBeCloseTo(0.002, 12);
    const day = perDay(energy.gross, energy.aboveIdle, { ratePerDay: 3600 * 1000, gridGPerKWh: 400 });
    expect(day?.grossJ).toBeCloseTo(10_800, 6);
    expect(day?.grossWh).toBeCloseTo(3, 9);
    expect(day?.grossGCo2e).toBeCloseTo(1.2, 9);
    expect(perDay(energy.gross, energy.aboveIdle, { ratePerDay: 10 })?.grossGCo2e).toBeUndefined();
    expect(perDay(energy.gross, energy.aboveIdle, {})).toBeUndefined();
  });

  it('formats joules with a readable prefix and says ESTIMATED for an estimate', () => {
    expect(formatJ(0.00123)).toBe('1.23 mJ');
    expect(formatJ(4.5e-6)).toBe('4.50 µJ');
    expect(formatJ(8270)).toBe('8.27 kJ');
    const interval = { meanJ: 0.001, lowJ: 0.0009, highJ: 0.0011 };
    const text = formatProfile({
      model: { id: 'ab'.repeat(32), variant: 'cnn', format: 'layers-model', inputShape: [28, 28, 1] },
      backend: 'wasm',
      sensor: 'simulated:rpi4',
      provenance: 'estimated',
      estimated: true,
      estimateNote: 'no power sensor',
      warmupInferences: 10,
      inferences: 100,
      windows: 100,
      method: 'single',
      inferencesPerWindow: 1,
      samplesPerWindow: { median: 0, min: 0 },
      latencyMs: { p50: 1, p95: 2, mean: 1.2 },
      energyPerInference: { gross: interval, aboveIdle: interval },
      baselineW: 32.4,
      timePerInferenceMs: 1.2,
      durationS: 1,
    });
    expect(text).toContain('ENERGY IS ESTIMATED, NOT MEASURED');
    expect(text).toMatch(/p50 1\.000 ms\s+p95 2\.000 ms/);
    expect(text).toContain('1.00 mJ  (95 % interval 0.900 mJ … 1.10 mJ)  gross');
  });
});
