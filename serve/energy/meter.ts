// What the inference server needs of an energy meter: a window around each batch's model call
// (begin → end gives the energy over it, the meter's idle power and the duration), the idle power
// it currently assumes or measured, and what it is (provenance and a one-line method that names
// what it covers; an estimate says ESTIMATE). Implementations: rapl.ts, nvml.ts, estimated.ts.
// The model runs on its own thread (serve/compute-thread.ts): that thread reads the meter's marks
// right around the model call (mark.ts), and end() computes the window over exactly those marks.

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

/** One reading taken on the thread that runs the model (plain data: it crosses threads). */
export interface MeterMark {
  /** process.hrtime.bigint(): one monotonic clock for every thread of the process. */
  ns: bigint;
  /** What the mark source reads: [CPU µs] for process-cpu, the raw counters (µJ) for counters. */
  values: number[];
}

/** The marks read just before and just after one model call. */
export interface ComputeMarks {
  start: MeterMark;
  end: MeterMark;
}

/** What the model's thread reads for a mark (mark.ts builds the reader). */
export type MarkSource =
  | { kind: 'clock' }
  | { kind: 'process-cpu' }
  | { kind: 'counters'; paths: readonly string[] };

export interface EnergyMeter {
  readonly provenance: ServerEnergyProvenance;
  /** One line: what is measured or estimated, and what it covers. */
  readonly method: string;
  /** What the model's thread reads around each model call. */
  readonly markSource: MarkSource;
  /** Opens a window (the batch is handed to the model now). */
  begin(): OpenWindow;
  /**
   * Closes it. With `marks` (read on the model's thread right around its call) the energy is over
   * exactly [marks.start, marks.end]; without, over begin() → now.
   */
  end(window: OpenWindow, marks?: ComputeMarks): WindowEnergy;
  /** The idle power now assumed, W (between batches it is what the metrics charge idle time at). */
  idleW(): number;
  close(): Promise<void>;
}
