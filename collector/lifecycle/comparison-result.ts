// A life-cycle comparison result as the stores keep it (InfluxDB measurement `comparison`, the
// SQLite table `comparison`): the engine's Comparison reduced to per-unit intervals
// (to-comparison-result.ts), written by the API and `compare`, read back by the web page.

/** Per-unit interval of a placement's footprint, gCO2e per functional unit. */
export interface FootprintInterval {
  meanG: number;
  /** Lower and upper bounds of the interval (e.g. 5th and 95th percentile of the Monte Carlo samples). */
  lowG: number;
  highG: number;
}

/**
 * A life-cycle comparison result as written to InfluxDB (measurement `comparison`), one point per
 * (fleet, board, model, variant, scenario, unit) and computation time.
 */
export interface ComparisonResult {
  /** When the comparison was computed, µs since the Unix epoch: the point's timestamp. */
  atUs: number;
  fleet: string;
  /** Device the measurements came from, when the comparison is per device. */
  device?: string;
  /** Board profile id, e.g. `rpi4`. */
  board: string;
  modelId: string;
  variant: string;
  /** Scenario name (grid regions, network model, datacenter...). */
  scenario: string;
  /** Functional unit, e.g. `inference`, `correct-inference`, `1000-inferences`, `device-day`. */
  unit: string;
  edge: FootprintInterval;
  offload: FootprintInterval;
  /** Share of Monte Carlo samples where edge emits less than offload, 0..1. */
  probabilityEdgeWins: number;
  /** Inference rate (per second) above which edge wins, when there is one. */
  breakEvenPerS: number | null;
  /** Interval level of low/high, e.g. 0.9. */
  intervalLevel: number;
  samples: number;
}
