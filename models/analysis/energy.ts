// Estimated energy per inference on each board profile, from latency windows measured on this
// machine and the simulated sensor's model (idle + (load − idle) × CPU utilisation). An ESTIMATE:
// this host's timing stands in for the board's, and no power sensor is read. Labelled as such.

import { BOARDS } from '../../agent/boards/index.js';
import { SimulatedSensor } from '../../agent/sensors/simulated.js';
import type { LatencyResult } from './evaluate.js';

export interface EnergyEstimate {
  board: string;
  /** Mean gross energy per inference (board idle power included), joules. */
  energyJ: number;
  /** Mean energy above the idle baseline, joules: what the inference itself adds. */
  marginalJ: number;
  /** Mean standard uncertainty of the gross energy (k = 1), joules. */
  uncertaintyJ: number;
  provenance: 'estimated';
  method: string;
}

export function estimateEnergy(latency: LatencyResult): EnergyEstimate[] {
  return BOARDS.map((board) => {
    const sensor = new SimulatedSensor(board);
    let energyJ = 0;
    let marginalJ = 0;
    let uncertaintyJ = 0;
    for (const window of latency.windows) {
      const estimate = sensor.estimate(window);
      const durationS = Number(window.endNs - window.startNs) / 1e9;
      energyJ += estimate.energyJ;
      marginalJ += estimate.energyJ - estimate.baselineW * durationS;
      uncertaintyJ += estimate.uncertaintyJ;
    }
    const n = Math.max(1, latency.windows.length);
    return {
      board: board.id,
      energyJ: energyJ / n,
      marginalJ: marginalJ / n,
      uncertaintyJ: uncertaintyJ / n,
      provenance: 'estimated',
      method: `simulated:${board.id} on this host's latency and CPU time`,
    };
  });
}
