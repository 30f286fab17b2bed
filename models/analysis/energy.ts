// Estimated energy per inference on each board profile, from latency windows measured on this
// machine and the simulated sensor's model, runtime/estimate.ts (idle + (load − idle) × CPU utilisation).
// An ESTIMATE: this host's timing × the board's speed factor stands in for the board's, and no power
// sensor is read. Labelled as such.

import { BOARDS } from '../../protocol/boards/index.js';
import { describeSpeedFactor, estimateWindowEnergy } from '../../runtime/estimate.js';
import type { LatencyResult } from './evaluate.js';

export interface EnergyEstimate {
  board: string;
  /** Median over the measured windows of the gross energy per inference (idle included), joules. */
  energyJ: number;
  /** Median energy above the idle baseline, joules: what the inference itself adds. */
  marginalJ: number;
  /** Median standard uncertainty of the gross energy (k = 1), joules. */
  uncertaintyJ: number;
  provenance: 'estimated';
  method: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/**
 * Medians, not means: on a shared machine a few windows stretched by other processes would
 * dominate a mean (idle power × a long window) and hide the difference between variants.
 */
export function estimateEnergy(latency: LatencyResult): EnergyEstimate[] {
  return BOARDS.map((board) => {
    const gross: number[] = [];
    const marginal: number[] = [];
    const uncertainty: number[] = [];
    for (const window of latency.windows) {
      const estimate = estimateWindowEnergy(board, window);
      const durationS = Number(window.endNs - window.startNs) / 1e9;
      gross.push(estimate.energyJ);
      marginal.push(estimate.energyJ - estimate.baselineW * durationS);
      uncertainty.push(estimate.uncertaintyJ);
    }
    return {
      board: board.id,
      energyJ: median(gross),
      marginalJ: median(marginal),
      uncertaintyJ: median(uncertainty),
      provenance: 'estimated',
      method: `simulated:${board.id} on this host's latency and CPU time, ${describeSpeedFactor(board)}; median over the measured inferences`,
    };
  });
}
