// The health gate's error rates on seeded simulated boards with known truth (gate-sim.ts): no
// regression → the gate rolls back in at most 5 % of runs; a true +15 % energy (or latency)
// regression is caught in at least 95 %; a −2 pt accuracy margin is held the same way. 1,400
// judged canaries: a slow set file (npm test, npm run test:slow).

import { describe, expect, it } from 'vitest';
import { DEFAULT_GATE, judgeCanary } from '../../../collector/deploy/health-gate.js';
import { Xoshiro128 } from '../../../collector/lifecycle/random.js';
import { base, simulate, type Truth } from './gate-sim.js';

const RUNS = 300;

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

describe('health gate on seeded simulated boards', () => {
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
});
