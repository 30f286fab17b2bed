// The one interface every power source implements: turn an inference window into energy with its
// provenance and uncertainty. Real sensors (issue: INA219/INA226, INA3221, RAPL, PMIC) sample off
// the inference thread and integrate; the simulated one computes an estimate from a board profile.

import type { Provenance } from '../../protocol/index.js';
import type { BoardProfile } from '../boards/index.js';

/** What happened during one inference, as the runtime saw it. */
export interface InferenceWindow {
  /** Monotonic clock at start and end, nanoseconds (process.hrtime.bigint()). */
  startNs: bigint;
  endNs: bigint;
  /** CPU time this process spent inside the window (user + system), microseconds. */
  cpuUs: number;
}

export interface WindowEnergy {
  /** Gross energy over the window, joules. */
  energyJ: number;
  /** Standard uncertainty (k = 1), joules. */
  uncertaintyJ: number;
  /** Idle baseline power, watts. */
  baselineW: number;
  sampleCount: number;
  provenance: Provenance;
}

export interface PowerSensor {
  /** `kind[:board]`, as it appears in records (e.g. `simulated:rpi4`). */
  readonly label: string;
  readonly provenance: Provenance;
  open(): Promise<void>;
  energyOf(window: InferenceWindow): Promise<WindowEnergy>;
  close(): Promise<void>;
}

export interface SensorSpec {
  kind: string;
  board: BoardProfile | undefined;
}

export interface SensorFactory {
  kind: string;
  description: string;
  create(spec: SensorSpec): PowerSensor;
}

export class SensorConfigError extends Error {
  override readonly name = 'SensorConfigError';
}
