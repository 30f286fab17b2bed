// A board profile is plain data: what the board is, how to recognise it, and the sourced power
// and embodied-carbon figures (central value with a range) that estimates and the life-cycle
// engine use. Adding a board is adding one file and one line in boards/index.ts.

/** A sourced figure: central value with the range the sources span. */
export interface RangedFigure {
  central: number;
  low: number;
  high: number;
  /** Id in shared/reference/factors.json, or a citation. */
  source: string;
}

export interface BoardProfile {
  /** Short id used on the command line and on the wire, e.g. `rpi4`. */
  id: string;
  name: string;
  /** Matches /proc/device-tree/model (or DMI product name) of the board. */
  recognise: RegExp;
  cpuCores: number;
  /** Board power at idle, watts. */
  idleW: RangedFigure;
  /** Board power at full CPU load, watts. */
  loadW: RangedFigure;
  /** Embodied (manufacturing) carbon of the board, kgCO2e. */
  embodiedKgCo2e: RangedFigure;
  /** Power sensors this board usually has, by sensor kind; used by later auto-detection. */
  sensors: readonly string[];
}
