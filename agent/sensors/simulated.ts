// The simulated sensor, for boards without a power sensor (and for this machine, which has none):
// it gives the model-based estimate of runtime/estimate.ts for its board profile, labelled as
// estimated in every record.

import { type Board, boardIds } from '../../protocol/boards/index.js';
import { type InferenceWindow, type WindowEstimate, windowEstimator } from '../../runtime/estimate.js';
import { type PowerSensor, SensorConfigError, type SensorFactory, type WindowEnergy } from './sensor.js';

export class SimulatedSensor implements PowerSensor {
  readonly provenance = 'estimated' as const;
  readonly label: string;
  /** The board's estimate with its constant figures taken once (runtime/estimate.ts). */
  private readonly estimateOf: (window: InferenceWindow) => WindowEstimate;

  constructor(board: Board) {
    this.label = `simulated:${board.id}`;
    this.estimateOf = windowEstimator(board);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async energyOf(window: InferenceWindow): Promise<WindowEnergy> {
    return this.estimate(window);
  }

  /** No sample to wait for: the estimate is known when the window ends (no promise job in between). */
  energyNow(window: InferenceWindow): WindowEnergy {
    return this.estimate(window);
  }

  estimate(window: InferenceWindow): WindowEnergy {
    const { energyJ, uncertaintyJ, baselineW } = this.estimateOf(window);
    return { energyJ, uncertaintyJ, baselineW, sampleCount: 0, provenance: 'estimated' };
  }
}

export const simulatedSensorFactory: SensorFactory = {
  kind: 'simulated',
  coverage: 'estimate',
  description: 'estimate from a board profile and the CPU time the inference used (labelled estimated)',
  fitsAnyBoard: true,
  create(spec) {
    if (Object.keys(spec.options).length > 0)
      throw new SensorConfigError(
        `sensor "simulated" takes no options (got ${Object.keys(spec.options).join(', ')}); write --sensor simulated:<board>`,
      );
    if (spec.board === undefined) {
      throw new SensorConfigError(
        `sensor "simulated" needs a board profile: write --sensor simulated:<board> with board one of ${boardIds().join(', ')}`,
      );
    }
    return new SimulatedSensor(spec.board);
  },
};
