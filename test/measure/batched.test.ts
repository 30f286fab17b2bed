import { describe, expect, it } from 'vitest';
import {
  attributeWindow,
  BATCHED_WINDOW_PERIODS,
  inferencesPerWindow,
  MIN_SAMPLES_PER_WINDOW,
  measureWindows,
  summarise,
} from '../../agent/measure/batched.js';
import { SampledSensor } from '../../agent/sensors/sampled-sensor.js';
import type { PowerSensor } from '../../agent/sensors/sensor.js';
import { ManualFeed } from '../sensors/support/manual-feed.js';

// A board idling at 2 W runs inferences of 0.3 ms back to back: 6 W for the first 0.1 ms, 4.5 W
// for the rest, so each inference takes exactly 1.5 mJ. The sensor samples every 1 ms, far longer
// than an inference.
const IDLE_W = 2;
const INFERENCE_S = 0.3e-3;
const TRUE_PER_INFERENCE_J = 6 * 0.1e-3 + 4.5 * 0.2e-3;
const PERIOD_S = 1e-3;

function powerAt(t: number, runs: readonly { start: number; n: number }[]): number {
  for (const run of runs) {
    const into = t - run.start;
    if (into >= 0 && into < run.n * INFERENCE_S) return into % INFERENCE_S < 0.1e-3 ? 6 : 4.5;
  }
  return IDLE_W;
}

/** Fills a feed as an averaging ADC read once per cycle would: each sample is the mean power of the period before it. */
function averagingSensor(runs: { start: number; n: number }[], totalS: number): SampledSensor {
  const feed = ManualFeed.power(PERIOD_S * 1000, { gainErrorRel: 0.01, quantum: 0.001 }, true);
  const steps = 100;
  for (let k = 1; k * PERIOD_S <= totalS; k++) {
    let sum = 0;
    for (let j = 0; j < steps; j++) sum += powerAt((k - 1 + (j + 0.5) / steps) * PERIOD_S, runs);
    feed.push(k * PERIOD_S * 1e9, sum / steps);
  }
  return new SampledSensor('test', 'measured', feed, { baselineMs: 0 });
}

function pointSensor(runs: { start: number; n: number }[], totalS: number): SampledSensor {
  const feed = ManualFeed.power(PERIOD_S * 1000);
  for (let k = 0; k * PERIOD_S <= totalS; k++) feed.push(k * PERIOD_S * 1e9, powerAt(k * PERIOD_S, runs));
  return new SampledSensor('test', 'measured', feed, { baselineMs: 0 });
}

const ns = (s: number) => BigInt(Math.round(s * 1e9));

describe('inferencesPerWindow', () => {
  it('batches enough inferences to span BATCHED_WINDOW_PERIODS sample periods', () => {
    expect(inferencesPerWindow(0.3e-3, 1e-3)).toBe(Math.ceil((BATCHED_WINDOW_PERIODS * 1e-3) / 0.3e-3));
    expect(inferencesPerWindow(5e-3, 1e-3)).toBe(20);
  });

  it('keeps single inferences when one spans MIN_SAMPLES_PER_WINDOW periods, or the sensor does not sample', () => {
    expect(inferencesPerWindow(MIN_SAMPLES_PER_WINDOW * 1e-3, 1e-3)).toBe(1);
    expect(inferencesPerWindow(0.05, 1e-3)).toBe(1);
    expect(inferencesPerWindow(1e-4, undefined)).toBe(1);
  });
});

describe.each([
  ['an averaging ADC (INA-like)', averagingSensor],
  ['point samples', pointSensor],
])('batched method on %s', (_name, makeSensor) => {
  const n = inferencesPerWindow(INFERENCE_S, PERIOD_S);
  // Five windows at offsets that do not line up with the sampling grid, idle in between.
  const starts = [0.05137, 0.2502, 0.45071, 0.65049, 0.85093] as const;
  const runs = starts.map((start) => ({ start, n }));
  const sensor = makeSensor(runs, starts[4] + n * INFERENCE_S + 0.05);

  it('recovers the known per-inference energy within 1 % from windows of N back-to-back inferences', async () => {
    await sensor.open();
    const windows = [];
    for (const start of starts) {
      const window = { startNs: ns(start), endNs: ns(start + n * INFERENCE_S), cpuUs: 0 };
      windows.push(attributeWindow(window, await sensor.energyOf(window), n));
    }
    const result = summarise(windows);
    expect(result.method).toBe('batched');
    expect(result.inferencesPerWindow).toBe(n);
    expect(result.windows).toHaveLength(5);
    expect(Math.abs(result.medianPerInferenceJ / TRUE_PER_INFERENCE_J - 1)).toBeLessThan(0.01);
    for (const w of result.windows)
      expect(w.energy.sampleCount).toBeGreaterThanOrEqual(BATCHED_WINDOW_PERIODS - 1);
  });

  it('cannot do it from a single inference window (why the batched method exists)', async () => {
    await sensor.open();
    const start = starts[2] ?? 0;
    const window = { startNs: ns(start + 3 * INFERENCE_S), endNs: ns(start + 4 * INFERENCE_S), cpuUs: 0 };
    const energy = await sensor.energyOf(window);
    expect(energy.sampleCount).toBeLessThanOrEqual(1);
    expect(Math.abs(energy.energyJ / TRUE_PER_INFERENCE_J - 1)).toBeGreaterThan(0.01);
  });
});

describe('measureWindows', () => {
  it('runs N inferences per window, divides each window by N and reports the median', async () => {
    const seen: bigint[][] = [];
    const energies = [3e-3, 1e-3, 2e-3];
    const sensor: PowerSensor = {
      label: 'fake',
      provenance: 'measured',
      async open() {},
      async close() {},
      async energyOf(window) {
        seen.push([window.startNs, window.endNs]);
        return {
          energyJ: energies[seen.length - 1] ?? 0,
          uncertaintyJ: 1e-4,
          baselineW: 0,
          sampleCount: 25,
          provenance: 'measured',
        };
      },
    };
    let calls = 0;
    const result = await measureWindows(sensor, () => calls++, 10, 3);
    expect(calls).toBe(30);
    expect(seen).toHaveLength(3);
    expect(result.windows.map((w) => w.perInferenceJ)).toEqual([3e-3 / 10, 1e-3 / 10, 2e-3 / 10]);
    expect(result.medianPerInferenceJ).toBeCloseTo(2e-4, 15);
    expect(result.windows[0]?.perInferenceUncertaintyJ).toBeCloseTo(1e-5, 15);
    expect(result.method).toBe('batched');
  });
});
