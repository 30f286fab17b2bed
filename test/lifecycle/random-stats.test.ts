// The seeded generator and samplers, and the summary statistics: reproducible streams, draws inside
// their ranges with the right moments, percentiles equal to the sorted definition, Spearman ρ.

import { describe, expect, it } from 'vitest';
import {
  fillLognormal,
  fillStandardNormal,
  fillTriangular,
  fillUniformRange,
  Xoshiro128,
} from '../../collector/lifecycle/random.js';
import { drawInto, Z95 } from '../../collector/lifecycle/sample.js';
import { percentiles, ranks, spearman } from '../../collector/lifecycle/stats.js';

const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;

function sortedPercentile(values: Float64Array, p: number): number {
  const s = Float64Array.from(values).sort();
  const h = (s.length - 1) * p;
  const k = Math.floor(h);
  return (s[k] as number) + (h - k) * ((s[Math.min(k + 1, s.length - 1)] as number) - (s[k] as number));
}

describe('random numbers', () => {
  it('a seed gives the same stream; different seeds and streams differ', () => {
    const a = new Xoshiro128(42).fillUniform(new Float64Array(1000));
    const b = new Xoshiro128(42).fillUniform(new Float64Array(1000));
    const c = new Xoshiro128(43).fillUniform(new Float64Array(1000));
    const d = new Xoshiro128(42, 1).fillUniform(new Float64Array(1000));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(d).not.toEqual(a);
    expect(Math.min(...a)).toBeGreaterThan(0);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(mean(a)).toBeCloseTo(0.5, 1);
  });

  it('triangular and uniform draws stay in range with the right mean', () => {
    const rng = new Xoshiro128(1);
    const tri = fillTriangular(rng, new Float64Array(100_000), 1, 2, 6);
    expect(Math.min(...tri)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...tri)).toBeLessThanOrEqual(6);
    expect(mean(tri)).toBeCloseTo(3, 1.5);
    const uni = fillUniformRange(rng, new Float64Array(100_000), -2, 4);
    expect(Math.min(...uni)).toBeGreaterThanOrEqual(-2);
    expect(mean(uni)).toBeCloseTo(1, 1.5);
  });

  it('normals have mean 0 and sd 1; a lognormal range is its central 90 %', () => {
    const z = fillStandardNormal(new Xoshiro128(5), new Float64Array(200_001));
    expect(mean(z)).toBeCloseTo(0, 1.5);
    expect(Math.sqrt(mean(z.map((x) => x * x)))).toBeCloseTo(1, 1.5);
    const ln = fillLognormal(new Xoshiro128(6), new Float64Array(200_000), 10, Math.log(100) / (2 * Z95));
    // median 10, range [1, 100] read as p5..p95
    expect(percentiles(ln, [0.5])[0]).toBeCloseTo(10, 0);
    expect(percentiles(ln, [0.05])[0]).toBeCloseTo(1, 0.5);
    expect(percentiles(ln, [0.95])[0]).toBeGreaterThan(90);
    expect(percentiles(ln, [0.95])[0]).toBeLessThan(110);
  });

  it('drawInto: zero width is the constant exactly; each parameter has its own stream', () => {
    const out = drawInto(
      new Float64Array(100),
      { central: 0.1, low: 0.1, high: 0.1, distribution: 'lognormal', source: '' },
      1,
      'a',
    );
    expect(new Set(out)).toEqual(new Set([0.1]));
    const spec = { central: 1, low: 0, high: 2, distribution: 'triangular' as const, source: '' };
    expect(drawInto(new Float64Array(10), spec, 1, 'a')).not.toEqual(
      drawInto(new Float64Array(10), spec, 1, 'b'),
    );
    expect(drawInto(new Float64Array(10), spec, 1, 'a')).toEqual(
      drawInto(new Float64Array(10), spec, 1, 'a'),
    );
  });
});

describe('statistics', () => {
  it('percentiles by selection equal the sorted definition (type 7), ties and constants included', () => {
    const rng = new Xoshiro128(9);
    for (const n of [1, 2, 3, 10, 101, 5000]) {
      const values = fillUniformRange(rng, new Float64Array(n), 0, 1).map((x) => Math.round(x * 20));
      const ps = [0.05, 0.5, 0.95, 0, 1];
      const got = percentiles(values, ps);
      for (const [i, p] of ps.entries()) expect(got[i]).toBe(sortedPercentile(values, p));
    }
    expect(percentiles(new Float64Array(1_000_000).fill(3), [0.05, 0.5, 0.95])).toEqual([3, 3, 3]);
  });

  it('ranks average ties; Spearman is ±1 for monotone relations and ~0 for independent ones', () => {
    expect([...ranks(Float64Array.from([10, 20, 20, 5]))]).toEqual([2, 3.5, 3.5, 1]);
    const x = fillUniformRange(new Xoshiro128(1), new Float64Array(5000), 0, 1);
    const y = fillUniformRange(new Xoshiro128(2), new Float64Array(5000), 0, 1);
    expect(
      spearman(
        x,
        x.map((v) => Math.exp(v)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearman(
        x,
        x.map((v) => -v * v),
      ),
    ).toBeCloseTo(-1, 12);
    expect(Math.abs(spearman(x, y))).toBeLessThan(0.05);
  });
});
