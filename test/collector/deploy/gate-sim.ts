// Simulated boards for the health gate's tests, with known truth: records with noise and a slow
// drift (correlated records, as real boards give), batches of records sharing one measured window.

import type { GateRecord } from '../../../collector/deploy/health-gate.js';
import type { Xoshiro128 } from '../../../collector/lifecycle/random.js';

export interface Truth {
  energyJ: number;
  latencyUs: number;
  accuracy?: number;
}

/** `n` records of one board: 8 % noise, an AR(1) drift (thermal state), windows of 4 records sharing a reading. */
export function simulate(rng: Xoshiro128, n: number, truth: Truth, startUs: number): GateRecord[] {
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

/** The board before any change. */
export const base: Truth = { energyJ: 0.012, latencyUs: 8000, accuracy: 0.9 };
