// The life-cycle engine's Comparison as the stores' ComparisonResult (measurement `comparison`,
// comparison-result.ts): per-inference grams with their 5th..95th percentile interval,
// P(edge lower), the break-even rate converted from inferences/day to per second, and identity tags.

import type { ComparisonResult, FootprintInterval } from './comparison-result.js';
import type { Comparison } from './engine.js';
import type { Scenario } from './scenario.js';
import type { Interval } from './stats.js';

/** The engine's intervals run from the 5th to the 95th percentile of the Monte Carlo draws. */
export const INTERVAL_LEVEL = 0.9;
export const SECONDS_PER_DAY = 86_400;
/** Tag value when the scenario does not say (no measured device, no board profile...). */
export const NONE = 'none';

export interface ToResultOptions {
  /** When the comparison was computed, µs since the epoch (the point's timestamp). */
  atUs: number;
  /** Scenario tag when the scenario has no `name`, e.g. the file name without extension. */
  scenarioName?: string;
}

/**
 * `meanG` is the engine's `central` value (the deterministic answer at central parameter values,
 * the figure `edgewatt compare` leads with): the engine does not keep the Monte Carlo mean.
 */
function footprint(i: Interval): FootprintInterval {
  return { meanG: i.central, lowG: i.p5, highG: i.p95 };
}

/**
 * One point per inference (`unit: 'inference'`). `breakEvenPerS` is the central break-even rate
 * N* (inferences/day) ÷ 86,400, and only when edge is lower ABOVE N* (the field's meaning: "rate
 * above which edge wins"); with `time` allocation, no crossing, or edge lower below N*, it is null.
 * Identity: fleet/device/model from the measured data the scenario read, when it read any (the
 * variant is the measured `model` when that named a variant rather than a hash prefix); the board
 * from `device.profile`; `none` where the scenario does not say.
 */
export function toComparisonResult(
  comparison: Comparison,
  scenario: Scenario,
  options: ToResultOptions,
): ComparisonResult {
  const measured = scenario.device.measured;
  const measurement = comparison.measurement;
  const modelId = measurement?.modelId ?? measured?.model ?? NONE;
  const variant =
    measured !== undefined && measurement !== null && !measurement.modelId.startsWith(measured.model)
      ? measured.model
      : NONE;
  const be = comparison.breakEvenInferencesPerDay;
  const breakEvenPerS =
    be.inferencesPerDay !== null && be.edgeLowerWhen === 'above' && Number.isFinite(be.inferencesPerDay)
      ? be.inferencesPerDay / SECONDS_PER_DAY
      : null;
  const device = measurement?.device ?? measured?.device;
  return {
    atUs: options.atUs,
    fleet: measurement?.fleet ?? measured?.fleet ?? NONE,
    ...(device === undefined ? {} : { device }),
    board: scenario.device.profile ?? NONE,
    modelId,
    variant,
    scenario: comparison.scenario.name ?? options.scenarioName ?? NONE,
    unit: 'inference',
    edge: footprint(comparison.edge.total),
    offload: footprint(comparison.offload.total),
    probabilityEdgeWins: comparison.probabilityEdgeLower,
    breakEvenPerS,
    intervalLevel: INTERVAL_LEVEL,
    samples: comparison.scenario.samples,
  };
}
