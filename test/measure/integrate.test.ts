import { describe, expect, it } from 'vitest';
import {
  averagesToCounter,
  differenceCounter,
  integratePower,
  median,
  SampleOrderError,
  type SampleSeries,
  unwrapCounter,
  valueAt,
} from '../../agent/measure/integrate.js';
import { counterWindowUncertainty, powerWindowUncertainty } from '../../agent/measure/uncertainty.js';

const MS = 1e6;

function series(points: [number, number][]): SampleSeries {
  return {
    tNs: Float64Array.from(points.map((p) => p[0])),
    value: Float64Array.from(points.map((p) => p[1])),
    length: points.length,
  };
}

/** Deterministic pseudo-random numbers (mulberry32), so the synthetic traces are the same every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('integratePower', () => {
  it('is exact for a piecewise-linear power with the window edges inside intervals', () => {
    // 2 W → 4 W over 10 ms; window 2.5 ms … 7.5 ms: mean power 3 W × 5 ms = 15 mJ.
    const s = series([
      [0, 2],
      [10 * MS, 4],
    ]);
    const w = integratePower(s, 2.5 * MS, 7.5 * MS);
    expect(w.energyJ).toBeCloseTo(0.015, 12);
    expect(w.sampleCount).toBe(0);
    expect(w.covered).toBe(true);
  });

  it('counts the samples inside [start, end], edges included', () => {
    const s = series([0, 1, 2, 3, 4].map((i) => [i * MS, 1] as [number, number]));
    expect(integratePower(s, 1 * MS, 3 * MS).sampleCount).toBe(3);
    expect(integratePower(s, 1.5 * MS, 2.5 * MS).sampleCount).toBe(1);
  });

  it('says when the window reaches past the last sample (value held, not interpolated)', () => {
    const s = series([
      [0, 1],
      [1 * MS, 1],
    ]);
    expect(integratePower(s, 0, 2 * MS).covered).toBe(false);
    expect(integratePower(s, 0, 2 * MS).energyJ).toBeCloseTo(0.002, 12);
  });

  it('rejects a window that ends before it starts, naming both times', () => {
    expect(() => integratePower(series([[0, 1]]), 5, 1)).toThrow(SampleOrderError);
    expect(() => integratePower(series([[0, 1]]), 5, 1)).toThrow(/end 1 ns is before its start 5 ns/);
  });

  it('interpolates values linearly and holds them outside the samples', () => {
    const s = series([
      [0, 0],
      [10, 10],
    ]);
    expect(valueAt(s, 2.5)).toBe(2.5);
    expect(valueAt(s, -5)).toBe(0);
    expect(valueAt(s, 50)).toBe(10);
  });
});

describe('counters', () => {
  it('unwraps a counter that passes its range', () => {
    expect([...unwrapCounter([90, 98, 3, 10], 4, 100)]).toEqual([90, 98, 103, 110]);
  });

  it('differences across a wrap-around, interpolating at the edges', () => {
    // 10 J per ms; the counter wraps at 100 J between 1 ms and 2 ms.
    const s = series([
      [0, 85],
      [1 * MS, 95],
      [2 * MS, 5],
      [3 * MS, 15],
    ]);
    expect(differenceCounter(s, 0.5 * MS, 2.5 * MS, 100).energyJ).toBeCloseTo(20, 9);
  });

  it('gives a counter uncertainty with two quantisation steps and partly covered intervals', () => {
    const s = series([
      [0, 0],
      [1 * MS, 10],
      [2 * MS, 20],
    ]);
    const aligned = counterWindowUncertainty(s, 0, 2 * MS, 20, { gainErrorRel: 0, quantum: 1 }, Infinity);
    expect(aligned.samplingJ).toBe(0);
    expect(aligned.quantisationJ).toBeCloseTo(Math.SQRT2 / Math.sqrt(12), 12);
    const half = counterWindowUncertainty(s, 0.5 * MS, 2 * MS, 15, { gainErrorRel: 0, quantum: 1 }, Infinity);
    expect(half.samplingJ).toBeCloseTo((0.25 * 10) / Math.sqrt(3), 12);
  });
});

describe('averaging sources', () => {
  it('counts each value over the period before it (energy per interval, not points)', () => {
    // Means 1 W, 3 W over (0, 1 ms], (1 ms, 2 ms]: 4 mJ; the first sample covers the period before it.
    const c = averagesToCounter(
      series([
        [1 * MS, 1],
        [2 * MS, 3],
      ]),
      1 * MS,
    );
    expect(differenceCounter(c, 0, 2 * MS, Infinity).energyJ).toBeCloseTo(0.004, 12);
    expect(differenceCounter(c, 1.5 * MS, 2 * MS, Infinity).energyJ).toBeCloseTo(0.0015, 12);
  });

  it('interpolates across a gap of more than 1.5 periods instead of stretching one average', () => {
    const c = averagesToCounter(
      series([
        [1 * MS, 1],
        [11 * MS, 3],
      ]),
      1 * MS,
    );
    expect(differenceCounter(c, 1 * MS, 11 * MS, Infinity).energyJ).toBeCloseTo(0.02, 12);
  });
});

describe('power uncertainty', () => {
  it('is the gain bound over √3 for a flat trace without quantisation', () => {
    const s = series([0, 1, 2, 3].map((i) => [i * MS, 5] as [number, number]));
    const u = powerWindowUncertainty(s, 0, 3 * MS, 0.015, { gainErrorRel: 0.01, quantum: 0 });
    expect(u.samplingJ).toBe(0);
    expect(u.totalJ).toBeCloseTo((0.015 * 0.01) / Math.sqrt(3), 15);
  });

  it('grows with the power change between samples (the sampling term)', () => {
    const flat = series([0, 1, 2].map((i) => [i * MS, 5] as [number, number]));
    const jumpy = series([
      [0, 1],
      [1 * MS, 9],
      [2 * MS, 1],
    ]);
    const acc = { gainErrorRel: 0, quantum: 0.001 };
    expect(powerWindowUncertainty(jumpy, 0, 2 * MS, 0.01, acc).samplingJ).toBeGreaterThan(
      powerWindowUncertainty(flat, 0, 2 * MS, 0.01, acc).samplingJ,
    );
  });
});

describe('synthetic traces with known true energy', () => {
  // P(t) = 3 + 1.5 sin(2π·7t) + 0.8 sin(2π·23t + 1) + a 2 W load switched on at 0.4 s with a 3 ms
  // logistic rise (a board taking up work), and its exact integral.
  const rise = 0.003;
  const power = (t: number) =>
    3 +
    1.5 * Math.sin(2 * Math.PI * 7 * t) +
    0.8 * Math.sin(2 * Math.PI * 23 * t + 1) +
    2 / (1 + Math.exp(-(t - 0.4) / rise));
  const primitive = (t: number) =>
    3 * t -
    (1.5 / (2 * Math.PI * 7)) * Math.cos(2 * Math.PI * 7 * t) -
    (0.8 / (2 * Math.PI * 23)) * Math.cos(2 * Math.PI * 23 * t + 1) +
    2 * rise * Math.log1p(Math.exp((t - 0.4) / rise));
  const trueEnergy = (a: number, b: number) => primitive(b) - primitive(a);

  /** Samples at 1 kHz with ±100 µs timing jitter, each stamped with its true time. */
  function sampled(seed: number): SampleSeries {
    const rnd = random(seed);
    const points: [number, number][] = [];
    for (let i = 0; i <= 1000; i++) {
      const t = i * 1e-3 + (rnd() - 0.5) * 2e-4;
      points.push([t * 1e9, power(t)]);
    }
    return series(points);
  }

  it('integrates windows of 20 to 300 samples at random offsets with an error under 0.5 %', () => {
    const rnd = random(7);
    let worst = 0;
    for (const seed of [1, 2, 3]) {
      const s = sampled(seed);
      for (let k = 0; k < 200; k++) {
        const lengthS = 0.02 + rnd() * 0.28;
        const start = 0.005 + rnd() * (0.99 - lengthS);
        const w = integratePower(s, start * 1e9, (start + lengthS) * 1e9);
        expect(w.sampleCount).toBeGreaterThanOrEqual(19);
        worst = Math.max(worst, Math.abs(w.energyJ / trueEnergy(start, start + lengthS) - 1));
      }
    }
    expect(worst).toBeLessThan(0.005);
  });

  it('covers the true error with its stated uncertainty (|error| ≤ 3σ) on the load step', () => {
    const s = sampled(4);
    for (const start of [0.39, 0.395, 0.3987]) {
      const w = integratePower(s, start * 1e9, (start + 0.02) * 1e9);
      const u = powerWindowUncertainty(s, start * 1e9, (start + 0.02) * 1e9, w.energyJ, {
        gainErrorRel: 0,
        quantum: 0,
      });
      expect(Math.abs(w.energyJ - trueEnergy(start, start + 0.02))).toBeLessThanOrEqual(3 * u.totalJ);
    }
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
