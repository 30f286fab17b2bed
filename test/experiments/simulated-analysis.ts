// A real analysis of a simulated fleet: exp-analysis's simulator (collector/experiments/simulate.ts)
// makes the records with known truth, the real analysis (analyse.ts) analyses them. Used by the
// report's browser test and by the README screenshot (bench/docs-screenshots.ts).

import { analyseRecords } from '../../collector/experiments/analyse.js';
import type { AnalysisResult } from '../../collector/experiments/analysis-result.js';
import {
  defaultFleetSpec,
  experimentOf,
  type FleetSpec,
  type SimulatedFleet,
  simulateFleet,
} from '../../collector/experiments/simulate.js';

export function simulatedAnalysis(
  overrides: Partial<FleetSpec> = {},
  options: { replicates?: number; carbonSamples?: number } = {},
): { fleet: SimulatedFleet; analysis: AnalysisResult } {
  const fleet = simulateFleet(defaultFleetSpec({ boards: 6, ...overrides }));
  const { spec } = fleet;
  const analysis = analyseRecords(
    {
      experiment: experimentOf(spec, fleet.devices),
      devices: fleet.devices,
      startedAtMs: fleet.startMs,
      endedAtMs: fleet.startMs + spec.periods * spec.periodS * 1000,
      replicates: options.replicates ?? 999,
      carbonSamples: options.carbonSamples ?? 2000,
      now: () => new Date(fleet.startMs + spec.periods * spec.periodS * 1000 + 60_000),
    },
    fleet.records,
    fleet.offloads,
  );
  return { fleet, analysis };
}
