// The health gate on simulated boards with known truth: records with noise and a slow drift
// (correlated records, as real boards give), batches of records sharing one measured window. No
// regression → the gate rolls back in at most 5 % of seeded runs; a true +15 % energy (or latency)
// regression is caught in at least 95 %; a −2 pt accuracy margin is held the same way.

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GATE,
  describeVerdict,
  type GateRecord,
  judgeCanary,
  normalQuantile,
  tQuantile,
} from '../../../collector/deploy/health-gate.js';
import { Xoshiro128 } from '../../../collector/lifecycle/random.js';

interface Truth {
  energyJ: number;
  latencyUs: number;
  accuracy?: number;
}

/** `n` records of one board: 8 % noise, an AR(1) drift (thermal state), windows of 4 records sharing a reading. */
function simulate(rng: Xoshiro128, n: number, truth: Truth, startUs: number): GateRecord[] {
  const normal = () => Math.sqrt(-2 * Math.log(rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const records: GateRecord[] = [];
  let drift = 0;
  let windowEnergy = 0;
  for (let i = 0; i < n; i++) {
    drift = 0.9 * drift + 0.02 * normal();
    if (i % 4 === 0) windowEnergy = truth.energyJ * (1 + drift) * (1 + 0.08 * normal());
    const latencyUs = truth.latencyUs * (1 + drift) * Math.exp(0.15 * normal());
    records.push({
      startUs: startUs + i * 10_000,
      durationUs: latencyUs,
      energyJ: windowEnergy,
      ...(truth.accuracy === undefined ? {} : { correct: rng.next() < truth.accuracy }),
    });
  }
  return records;
}

function rollbackRate(
  pre: Truth,
  post: Truth,
  runs: number,
  n = 200,
): { rate: number; byMetric: Record<string, number> } {
  let rolledBack = 0;
  const byMetric: Record<string, number> = {};
  for (let seed = 1; seed <= runs; seed++) {
    const rng = new Xoshiro128(seed, 15);
    const verdict = judgeCanary(simulate(rng, n, pre, 0), simulate(rng, n, post, 1e9), DEFAULT_GATE);
    if (verdict.regressed) rolledBack++;
    for (const m of verdict.metrics)
      if (m.verdict === 'regressed') byMetric[m.metric] = (byMetric[m.metric] ?? 0) + 1;
  }
  return { rate: rolledBack / runs, byMetric };
}

const base: Truth = { energyJ: 0.012, latencyUs: 8000, accuracy: 0.9 };
const RUNS = 300;

describe('health gate', () => {
  it('t and normal quantiles match tables', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228, 2);
    expect(tQuantile(0.975, 30)).toBeCloseTo(2.042, 2);
    expect(tQuantile(0.975, 5)).toBeCloseTo(2.571, 1);
  });

  it('rolls back in at most 5 % of seeded runs when nothing regressed', () => {
    const { rate } = rollbackRate(base, base, RUNS);
    expect(rate).toBeLessThanOrEqual(0.05);
  });

  it('rolls back in at most 5 % of runs for a change inside the margin (+3 % energy)', () => {
    const { rate } = rollbackRate(base, { ...base, energyJ: base.energyJ * 1.03 }, RUNS);
    expect(rate).toBeLessThanOrEqual(0.05);
  });

  it('catches a true +15 % energy regression in at least 95 % of runs, on the energy metric', () => {
    const { rate, byMetric } = rollbackRate(base, { ...base, energyJ: base.energyJ * 1.15 }, RUNS);
    expect(rate).toBeGreaterThanOrEqual(0.95);
    expect(byMetric.energyPerInferenceJ ?? 0).toBeGreaterThanOrEqual(0.95 * RUNS);
  });

  it('catches a true +15 % p95 latency regression in at least 95 % of runs', () => {
    const { byMetric } = rollbackRate(base, { ...base, latencyUs: base.latencyUs * 1.15 }, RUNS, 400);
    expect(byMetric.p95LatencyUs ?? 0).toBeGreaterThanOrEqual(0.95 * RUNS);
  });

  it('catches a 10-point accuracy drop with 800 labelled records per period (82 % with 400), and not a model as accurate', () => {
    expect(
      rollbackRate(base, { ...base, accuracy: 0.8 }, 100, 800).byMetric.accuracy ?? 0,
    ).toBeGreaterThanOrEqual(95);
    expect(rollbackRate(base, base, 100, 400).byMetric.accuracy ?? 0).toBeLessThanOrEqual(5);
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
