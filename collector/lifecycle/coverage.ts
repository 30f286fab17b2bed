// Sensor coverage in the comparison: a sensor that sees less than the board's input (Jetson module
// rails, RAPL's CPU package, the Pi 5 PMIC's rails) reads low, so measured energy is scaled to the
// board's input by a labelled coverage factor with a range (data/factors.json, section `coverage`);
// device.psuEfficiency then takes board input to the wall, as the datacenter side is wall × PUE.

import { COVERAGE_DESCRIPTIONS, coverageOfSensor, type SensorCoverage } from '../../protocol/index.js';
import data from './data/factors.json' with { type: 'json' };

export interface CoverageFactor {
  coverage: SensorCoverage;
  id: string;
  description: string;
  central: number;
  low: number;
  high: number;
  distribution: 'triangular';
  /** A citation, or null when the factor is an unsourced assumption (then `assumption` says so). */
  source: string | null;
  assumption: string | null;
}

const FACTORS = data.coverage as CoverageFactor[];

/** The factor taking a reading of `coverage` to the board's input; undefined when it sees it all. */
export function coverageFactor(coverage: SensorCoverage): CoverageFactor | undefined {
  return FACTORS.find((f) => f.coverage === coverage);
}

/** The coverage of records from these sensors, 'mixed' when they differ, 'unknown' for a kind not in the table. */
export function coverageOfSensors(sensors: readonly string[]): SensorCoverage | 'mixed' | 'unknown' {
  const kinds = new Set(sensors.map((s) => coverageOfSensor(s) ?? 'unknown'));
  if (kinds.size > 1) return 'mixed';
  return ([...kinds][0] as SensorCoverage | 'unknown' | undefined) ?? 'unknown';
}

export function describeCoverage(coverage: SensorCoverage | 'mixed' | 'unknown'): string {
  if (coverage === 'mixed') return 'records from sensors of different coverage';
  if (coverage === 'unknown') return 'a sensor kind whose coverage is not known';
  return `${coverage}: ${COVERAGE_DESCRIPTIONS[coverage]}`;
}

/** Standard deviation of a triangular(low, mode, high) distribution. */
export function triangularSigma(low: number, mode: number, high: number): number {
  return Math.sqrt((low * low + mode * mode + high * high - low * mode - low * high - mode * high) / 18);
}
