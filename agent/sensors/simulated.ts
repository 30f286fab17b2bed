// Model-based power estimate for boards without a sensor (and for this machine, which has none).
// Power = idle + (load − idle) × utilisation, utilisation = CPU time / (wall time × board cores).
// It is an ESTIMATE, always labelled so: the CPU time is this host's, not the board's, and the
// linear utilisation model is itself approximate. The uncertainty combines the sourced ranges
// of the board's idle and load power (triangular distributions) with a 25 % model-form term.

import { BOARDS, type BoardProfile, type RangedFigure } from '../boards/index.js';
import {
  type InferenceWindow,
  type PowerSensor,
  SensorConfigError,
  type SensorFactory,
  type WindowEnergy,
} from './sensor.js';

/** Relative standard uncertainty we assume for the linear utilisation model itself. */
const MODEL_FORM_RELATIVE_UNCERTAINTY = 0.25;

/** Standard deviation of a triangular distribution over [low, high] with mode central. */
export function triangularSd(figure: RangedFigure): number {
  const { low: a, central: c, high: b } = figure;
  return Math.sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18);
}

export class SimulatedSensor implements PowerSensor {
  readonly provenance = 'estimated' as const;
  readonly label: string;

  constructor(private readonly board: BoardProfile) {
    this.label = `simulated:${board.id}`;
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  async energyOf(window: InferenceWindow): Promise<WindowEnergy> {
    return this.estimate(window);
  }

  estimate(window: InferenceWindow): WindowEnergy {
    const durationS = Number(window.endNs - window.startNs) / 1e9;
    const cpuS = window.cpuUs / 1e6;
    const utilisation = durationS > 0 ? Math.min(1, cpuS / (durationS * this.board.cpuCores)) : 0;
    const idleW = this.board.idleW.central;
    const dynamicW = (this.board.loadW.central - idleW) * utilisation;
    const powerW = idleW + dynamicW;
    const idleSdW = triangularSd(this.board.idleW) * (1 - utilisation);
    const loadSdW = triangularSd(this.board.loadW) * utilisation;
    const modelSdW = dynamicW * MODEL_FORM_RELATIVE_UNCERTAINTY;
    const powerSdW = Math.sqrt(idleSdW ** 2 + loadSdW ** 2 + modelSdW ** 2);
    return {
      energyJ: powerW * durationS,
      uncertaintyJ: powerSdW * durationS,
      baselineW: idleW,
      sampleCount: 0,
      provenance: 'estimated',
    };
  }
}

export const simulatedSensorFactory: SensorFactory = {
  kind: 'simulated',
  description: 'estimate from a board profile and the CPU time the inference used (labelled estimated)',
  create(spec) {
    if (Object.keys(spec.options).length > 0)
      throw new SensorConfigError(
        `sensor "simulated" takes no options (got ${Object.keys(spec.options).join(', ')}); write --sensor simulated:<board>`,
      );
    if (spec.board === undefined) {
      throw new SensorConfigError(
        `sensor "simulated" needs a board profile: write --sensor simulated:<board> with board one of ${BOARDS.map((b) => b.id).join(', ')}`,
      );
    }
    return new SimulatedSensor(spec.board);
  },
};
