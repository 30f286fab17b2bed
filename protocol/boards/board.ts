// What a board is, as plain data: its name and id, how to recognise it, which power sensors can
// measure it, and its sourced power and embodied-carbon figures. It lives in protocol/ because the
// agent, doctor, models/ and the collector's life-cycle engine all read it. Every figure names the
// factor it was copied from (collector/lifecycle/data/factors.json); test/protocol/boards.test.ts
// checks that each number equals that factor, so this file needs no import from the collector.

/** A figure copied from one factor of the factor file: central value and range, in this field's unit. */
export interface FactorFigure {
  central: number;
  /** The factor's low and high; a side the factor leaves blank is the central value (no spread there). */
  low: number;
  high: number;
  /** Id of the factor in collector/lifecycle/data/factors.json. */
  factor: string;
  /** Converts the factor's unit into this field's (mA at 3.3 V → W is 0.0033); 1 when absent. */
  scale?: number;
  /** What a reader must know: a DERIVED formula, a proxy, a budget that is not a measurement. */
  note?: string;
}

/** A field no source gives: whoever uses it (a life-cycle scenario) has to supply the value. */
export interface UnsourcedFigure {
  unsourced: string;
}

/**
 * A figure no source gives but the code needs, stated as an assumption with a range and labelled
 * so wherever it is used (the host-to-board speed factor of the simulated estimate).
 */
export interface AssumedFigure {
  central: number;
  low: number;
  high: number;
  /** Starts with `UNSOURCED assumption:` and says what it rests on. */
  assumption: string;
}

export interface Board {
  /** Short id used on the command line, in scenarios and on the wire, e.g. `rpi4`. */
  id: string;
  name: string;
  /**
   * Case-insensitive substrings of the model the board reports: /proc/device-tree/model on Linux
   * boards, the DMI product name on x86, the chip model a firmware bridge reports.
   */
  recognise: { modelContains: readonly string[] };
  /** CPU cores (hardware specification, not a factor): the simulated estimate's utilisation is per core. */
  cpuCores: number;
  /**
   * Kinds of power sensor (agent/sensors) that can measure this board, most direct first. Sensors
   * that fit any board (simulated, replay) are not listed.
   */
  sensors: readonly string[];
  /** Board power at idle, W. */
  idleW: FactorFigure;
  /** Board power at full CPU load, W. */
  loadW: FactorFigure;
  /** Power while the board waits for an offloaded answer, W, where it differs from idleW (a radio listening). */
  offloadWaitW?: FactorFigure;
  /** Embodied (manufacturing) carbon of the board, kgCO2e. */
  embodiedKgCo2e: FactorFigure;
  /** Service life over which the embodied carbon is spread, years. */
  lifetimeYears: FactorFigure | UnsourcedFigure;
  /**
   * How many times longer an inference takes on this board than on the host that runs the
   * simulated estimate (an x86 server core running the TF.js WASM kernels): the estimate charges
   * the board's power for host time × this. No source measures the same model on both.
   */
  hostSpeedFactor: AssumedFigure;
}

export function isUnsourcedFigure(figure: FactorFigure | UnsourcedFigure): figure is UnsourcedFigure {
  return 'unsourced' in figure;
}

/** The power the board draws while it waits for an offloaded answer. */
export function offloadWaitW(board: Board): FactorFigure {
  return board.offloadWaitW ?? board.idleW;
}
