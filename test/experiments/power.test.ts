import { describe, expect, it } from 'vitest';
import {
  chiSquaredSf,
  normalCdf,
  normalQuantile,
  tCdf,
  tQuantile,
} from '../../collector/experiments/distributions.js';
import { boardsNeeded, minimumDetectableEffect, periodsNeeded } from '../../collector/experiments/power.js';

describe('distributions', () => {
  it('match published values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.8)).toBeCloseTo(0.841621234, 8);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424309, 6);
    expect(normalCdf(-1.959963985)).toBeCloseTo(0.025, 9);
    expect(tQuantile(0.975, 9)).toBeCloseTo(2.262157163, 8);
    expect(tQuantile(0.8, 9)).toBeCloseTo(0.8834038597, 8); // scipy.stats.t.ppf(0.8, 9)
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.70620474, 6);
    expect(tCdf(2.228138852, 10)).toBeCloseTo(0.975, 9);
    expect(chiSquaredSf(3.841458821, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquaredSf(13.81551056, 2)).toBeCloseTo(0.001, 9);
  });
});

const paired = {
  design: 'crossover' as const,
  boards: 10,
  periods: 2,
  arms: 2,
  alpha: 0.05,
  power: 0.8,
  periodSdRel: 0,
  interactionSdRel: 0.1,
};

describe('power formulas', () => {
  it('tend to the anchors’ z formula, MDE = 2.80·σ_d/√n, for many boards', () => {
    const n = 5000;
    expect(minimumDetectableEffect({ ...paired, boards: n }) / ((2.8016 * 0.1) / Math.sqrt(n))).toBeCloseTo(
      1,
      3,
    );
  });

  it('need a few more boards than the z formula with few boards (t, not z)', () => {
    // z: 7.85·(σ_d/δ)² = 31.4 → 32 boards (anchors §2.2); t with n − 1 df needs 34.
    expect(boardsNeeded(paired, 0.05)).toBe(34);
    expect(minimumDetectableEffect(paired)).toBeGreaterThan((2.8 * 0.1) / Math.sqrt(10));
  });

  it('periods lower the MDE down to the floor set by the board-to-board spread of the effect', () => {
    const noisy = { ...paired, periodSdRel: 0.05, interactionSdRel: 0.01 };
    expect(minimumDetectableEffect({ ...noisy, periods: 8 })).toBeLessThan(minimumDetectableEffect(noisy));
    // σ_d² = 0.01² + 2·0.05²/k ≤ (0.03·√10 / (t₀.₉₇₅,₉ + t₀.₈,₉))² ⇒ k ≥ 6.2: 7 periods per arm.
    expect(periodsNeeded(noisy, 0.03)).toBe(14);
    expect(periodsNeeded({ ...paired, interactionSdRel: 0.1 }, 0.05)).toBeNull();
  });

  it('parallel designs need many more boards (between-board spread does not cancel)', () => {
    const parallel = {
      ...paired,
      design: 'parallel' as const,
      boardSdRel: 0.2,
      interactionSdRel: 0,
      periodSdRel: 0,
    };
    // anchors §2.2 (z): 2·7.85·(0.2/0.05)² = 251.2 → 252 per arm; t with 500 df: 253.
    expect(boardsNeeded(parallel, 0.05)).toBe(2 * 253);
  });
});
