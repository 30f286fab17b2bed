// Power analysis for `edgewatt experiment plan`: the minimum detectable effect (relative) for the
// planned boards and periods, and how many boards or periods a target effect needs.
// Crossover (paired): σ_d² = σ_int² + 2σ_p²/k, with k periods per arm per board, σ_p the relative
// SD of one board's period mean and σ_int the spread across boards of the effect itself;
//   MDE = (t_{1−α/2, n−1} + t_{power, n−1}) · σ_d / √n            (anchors §2.2: 2.80·σ_d/√n for large n)
// Parallel: each of K groups has m = n/K boards; a board's mean varies by σ_y² = σ_b² + σ_p²/P;
//   MDE = (t_{1−α/2, 2m−2} + t_{power, 2m−2}) · σ_y · √(2/m).
// t rather than z: with the 5–20 boards of a lab fleet, z overstates the power (simulation checks it).

import { tQuantile } from './distributions.js';

export interface PowerInputs {
  design: 'crossover' | 'parallel';
  boards: number;
  periods: number;
  arms: number;
  alpha: number;
  power: number;
  periodSdRel: number;
  interactionSdRel: number;
  /** Parallel only. */
  boardSdRel?: number | undefined;
}

const MAX_SEARCH = 100_000;

function multiplier(alpha: number, power: number, df: number): number {
  return tQuantile(1 - alpha / 2, df) + tQuantile(power, df);
}

/** Relative minimum detectable effect; Infinity when the design cannot estimate it (too few boards). */
export function minimumDetectableEffect(p: PowerInputs): number {
  if (p.design === 'crossover') {
    if (p.boards < 2) return Number.POSITIVE_INFINITY;
    const k = Math.floor(p.periods / p.arms);
    if (k < 1) return Number.POSITIVE_INFINITY;
    const sigmaD = Math.sqrt(p.interactionSdRel ** 2 + (2 * p.periodSdRel ** 2) / k);
    return (multiplier(p.alpha, p.power, p.boards - 1) * sigmaD) / Math.sqrt(p.boards);
  }
  const m = Math.floor(p.boards / p.arms);
  if (m < 2) return Number.POSITIVE_INFINITY;
  const boardSd = p.boardSdRel ?? 0;
  const sigmaY = Math.sqrt(boardSd ** 2 + p.interactionSdRel ** 2 / 2 + p.periodSdRel ** 2 / p.periods);
  return multiplier(p.alpha, p.power, 2 * m - 2) * sigmaY * Math.sqrt(2 / m);
}

/** Fewest boards (whole groups of `arms` for parallel) reaching `target`; null beyond the search range. */
export function boardsNeeded(p: PowerInputs, target: number): number | null {
  const step = p.design === 'parallel' ? p.arms : 1;
  for (let n = Math.max(2, step * 2); n <= MAX_SEARCH; n += step) {
    if (minimumDetectableEffect({ ...p, boards: n }) <= target) return n;
  }
  return null;
}

/**
 * Fewest periods (a multiple of the arms in a crossover) reaching `target` with the planned boards;
 * null when more periods cannot get there (the board × arm spread sets a floor).
 */
export function periodsNeeded(p: PowerInputs, target: number): number | null {
  const step = p.design === 'crossover' ? p.arms : 1;
  for (let periods = step; periods <= 10_000; periods += step) {
    if (minimumDetectableEffect({ ...p, periods }) <= target) return periods;
  }
  return null;
}
