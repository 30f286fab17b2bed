// What the inference server needs of an energy meter: a window around each batch's model call
// (begin → end gives the energy over it, the meter's idle power and the duration), the idle power
// it currently assumes or measured, and what it is (provenance and a one-line method that names
// what it covers; an estimate says ESTIMATE). Implementations: rapl.ts, nvml.ts, estimated.ts.

import type { ServerEnergyProvenance } from '../../protocol/serve-answer.js';

/** The energy of one window, as the meter read it. */
export interface WindowEnergy {
  /** Energy over the window, idle included, J. */
  grossJ: number;
  /** Standard uncertainty (k = 1) of the energy above idle, grossJ − idleW × durationS, J. */
  uncertaintyJ: number;
  /** Idle power the meter assumes or measured for this window, W. */
  idleW: number;
  /** Window duration, s. */
  durationS: number;
}

/** An open window: the meter's reading at its start. */
export interface OpenWindow {
  startNs: bigint;
  /** Meter-specific reading at the start (counter, CPU time). */
  mark: number;
}

export interface EnergyMeter {
  readonly provenance: ServerEnergyProvenance;
  /** One line: what is measured or estimated, and what it covers. */
  readonly method: string;
  begin(): OpenWindow;
  end(window: OpenWindow): WindowEnergy;
  /** The idle power now assumed, W (between batches it is what the metrics charge idle time at). */
  idleW(): number;
  close(): Promise<void>;
}
