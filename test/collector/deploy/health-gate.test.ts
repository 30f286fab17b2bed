// The health gate's quantiles and verdict lines, on simulated boards (gate-sim.ts). Its error
// rates over hundreds of seeded runs are health-gate.slow.test.ts.

import { describe, expect, it } from 'vitest';
import {
  describeVerdict,
  judgeCanary,
  normalQuantile,
  tQuantile,
} from '../../../collector/deploy/health-gate.js';
import { Xoshiro128 } from '../../../collector/lifecycle/random.js';
import { base, simulate } from './gate-sim.js';

describe('health gate', () => {
  it('t and normal quantiles match tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228, 2);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042, 2);
    expect(tQuantile(0.975, 5)).toBeCloseTo(2.571, 1);
  });

  it('gives no verdict on too few records, and says so in the log line', () => {
    const rng = new Xoshiro128(1, 1);
    const verdict = judgeCanary(simulate(rng, 10, base, 0), simulate(rng, 500, { ...base, energyJ: 1 }, 1e9));
    expect(verdict.regressed).toBe(false);
    expect(verdict.metrics.every((m) => m.verdict === 'insufficient')).toBe(true);
    expect(describeVerdict('lab/pi-1', verdict)).toContain(
      'insufficient data (pre 10, probation 500 records; need 40 each)',
    );
  });

  it('writes the test, the numbers and the margin into the log line', () => {
    const rng = new Xoshiro128(3, 1);
    const verdict = judgeCanary(
      simulate(rng, 200, base, 0),
      simulate(rng, 200, { ...base, energyJ: base.energyJ * 1.3 }, 1e9),
    );
    const line = describeVerdict('lab/pi-1', verdict);
    expect(line).toMatch(/^health gate lab\/pi-1: REGRESSION — Welch t on batch statistics/);
    expect(line).toMatch(
      /energyPerInferenceJ: 1\d\.\d+ mJ → 1\d\.\d+ mJ \(\+\d+\.\d %, 95 % CI \+\d+\.\d % … \+\d+\.\d %, margin \+5\.0 %; n 200\/200\) regressed/,
    );
  });
});
