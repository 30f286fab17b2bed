// Each arm's carbon per inference (and per correct inference) through the life-cycle engine, with
// the arm's measured energy per inference (its board-bootstrap interval as a normal uncertainty),
// latency and accuracy put into the scenario's device section; an offload arm's offload terms come
// from its offload records as compare's measured offload takes them (offload-carbon.ts). The
// scenario is the experiment's `lifecycle.scenario` file, or the built-in one below, which is an
// assumption and says so.

import {
  type Comparison,
  compare,
  type Measurement,
  type Scenario,
  validateScenario,
} from '../lifecycle/index.js';
import type { OffloadMeasurement } from '../lifecycle/measured-offload.js';
import type { AnalysisResult } from './analysis-result.js';
import {
  assumedOffload,
  assumedOffloadProvenance,
  measuredOffloadProvenance,
  withMeasuredOffload,
} from './offload-carbon.js';

/** Used when the experiment file names no scenario: a Raspberry Pi 4 in Belgium vs a GPU server in the US over Wi-Fi. */
export const DEFAULT_SCENARIO = {
  name: 'experiment default (assumed: rpi4 in BE, Wi-Fi, gpu-server in US)',
  samples: 4000,
  seed: 1,
  // The board is shared: an inference is charged for the time it takes (so arms that differ in
  // energy and latency differ in carbon), not for a whole day of idle power.
  allocation: 'time',
  workload: { inferencesPerDay: 20000, inputBytes: 3136, outputBytes: 40 },
  device: { profile: 'rpi4', region: 'BE', lifetimeYears: { central: 5, low: 3, high: 7 } },
  offloadDevice: { profile: 'esp32' },
  network: { profile: 'wifi', rttS: { central: 0.05, low: 0.02, high: 0.2 } },
  datacenter: { profile: 'gpu-server', region: 'US', pue: 'hyperscale', energyJ: 0.00833 },
} as const;

export interface ArmMeasured {
  arm: string;
  placement: 'edge' | 'offload' | 'auto';
  energyJ: { mean: number; lo: number; hi: number };
  /** Above idle, used when the scenario's energyBasis is `marginal`. */
  aboveIdleJ: { mean: number; lo: number; hi: number };
  latencyP95Ms: number | null;
  meanLatencyS: number | null;
  accuracy: number | null;
  inputBytes: number | null;
  outputBytes: number | null;
}

/** One row of the result's break-even list. */
export type BreakEvenRow = NonNullable<AnalysisResult['breakeven']>[number];

export interface ArmCarbon {
  carbonPerInferenceG: AnalysisResult['arms'][number]['carbonPerInferenceG'];
  carbonPerCorrectG: AnalysisResult['arms'][number]['carbonPerCorrectG'];
  provenance: string;
  breakeven: BreakEvenRow;
  /** Offload priced on the scenario's offload terms: why, and which (offload-carbon.ts). */
  assumedOffload?: NonNullable<AnalysisResult['arms'][number]['assumedOffload']>;
}

/** 95 % interval half-width → the 90 % range the scenario's `normal` numbers use. */
const Z975 = 1.959963984540054;
const Z95 = 1.6448536269514722;

/** The scenario an arm is priced on, and the measurement its measured offload values come from. */
export interface ArmScenario {
  scenario: Scenario;
  source: (() => Measurement) | undefined;
  /** The measured offload values taken (an offload arm's, when it has answered requests). */
  measuredOffload: OffloadMeasurement | null;
}

/**
 * The arm's measured values put into the scenario: its energy (interval as a normal), latency
 * and accuracy in the device section; for an offload arm (`placement: 'offload'`) with `offload`
 * (offload-measures.ts), the offload terms from those measured values (offload-carbon.ts).
 */
export function armScenario(
  base: Scenario,
  measured: ArmMeasured,
  scenarioName: string,
  offload: OffloadMeasurement | null = null,
): ArmScenario {
  const basis = base.energyBasis === 'marginal' ? measured.aboveIdleJ : measured.energyJ;
  const sigma = Math.max(0, (basis.hi - basis.lo) / (2 * Z975));
  const energy = basis.mean;
  const device: Record<string, unknown> = {
    ...base.device,
    energyJ:
      sigma > 0
        ? {
            central: energy,
            low: Math.max(0, energy - Z95 * sigma),
            high: energy + Z95 * sigma,
            distribution: 'normal',
          }
        : energy,
  };
  delete device.measured;
  if (measured.meanLatencyS !== null && measured.meanLatencyS > 0) device.latencyS = measured.meanLatencyS;
  // The arm's model is what runs on the board (edge) or on the server (offload): the measured
  // accuracy stands for both sides, so per-correct figures exist for either placement.
  const datacenter: Record<string, unknown> = { ...base.datacenter };
  if (measured.accuracy !== null && measured.accuracy > 0) {
    device.accuracy = measured.accuracy;
    datacenter.accuracy = measured.accuracy;
  }
  const workload = {
    ...base.workload,
    ...(measured.inputBytes === null ? {} : { inputBytes: measured.inputBytes }),
    ...(measured.outputBytes === null ? {} : { outputBytes: measured.outputBytes }),
  };
  const given = { ...base, device, datacenter, workload };
  const measuredOffload = measured.placement === 'offload' ? offload : null;
  const input =
    measuredOffload === null
      ? { scenario: given, source: undefined }
      : withMeasuredOffload(given, measuredOffload, measured.meanLatencyS);
  return {
    scenario: validateScenario(input.scenario, scenarioName),
    source: input.source,
    measuredOffload,
  };
}

/**
 * Break-even only exists when the board is dedicated (idle and embodied shares depend on the rate):
 * asked of the scenario at central values under `dedicated`, whatever the scenario's allocation.
 */
export function breakEvenOf(
  priced: ArmScenario,
  result?: Comparison,
): { inferencesPerDay: number | null; note: string } {
  const { scenario, source } = priced;
  const breakEven =
    scenario.allocation === 'dedicated' && result !== undefined
      ? result.breakEvenInferencesPerDay
      : compare({ ...scenario, allocation: 'dedicated', samples: 1 }, source).breakEvenInferencesPerDay;
  return {
    inferencesPerDay: breakEven.inferencesPerDay,
    note: `${scenario.allocation === 'dedicated' ? '' : 'for a board dedicated to this workload: '}${breakEven.reason}`,
  };
}

/** An arm priced: its carbon, and the scenario and comparison it came from (auto arms mix two). */
export interface PricedArm {
  carbon: ArmCarbon;
  priced: ArmScenario;
  result: Comparison;
}

/** Why an offload arm priced without measured offload values has none, when the caller does not say. */
export const NO_MEASURED_OFFLOAD = 'no measured offload values were given to the analysis';

/**
 * `offload`: the arm's measured offload values (offload-measures.ts); for an offload arm they
 * replace the scenario's offload terms (offload-carbon.ts). Null or absent: the scenario's, and
 * `unmeasured` says why (provenance and `assumedOffload` name the terms taken).
 */
export function priceArm(
  base: Scenario,
  measured: ArmMeasured,
  scenarioName: string,
  offload: OffloadMeasurement | null = null,
  unmeasured: string = NO_MEASURED_OFFLOAD,
): PricedArm {
  const priced = armScenario(base, measured, scenarioName, offload);
  const { scenario, source, measuredOffload } = priced;
  const energy = (base.energyBasis === 'marginal' ? measured.aboveIdleJ : measured.energyJ).mean;
  const result = compare(scenario, source);
  // An edge arm's carbon is the edge side on its measured energy; an offload arm's the offload side,
  // on its measured offload values when it has answered requests, else on the scenario's terms.
  const side = measured.placement === 'offload' ? result.offload.total : result.edge.total;
  const perCorrect =
    'reason' in result.perCorrectInference
      ? null
      : measured.placement === 'offload'
        ? result.perCorrectInference.offload
        : result.perCorrectInference.edge;
  const assumed =
    measured.placement === 'offload' && measuredOffload === null ? assumedOffload(result, unmeasured) : null;
  const carbon: ArmCarbon = {
    carbonPerInferenceG: { central: side.central, lo: side.p5, hi: side.p95 },
    carbonPerCorrectG:
      perCorrect === null ? null : { central: perCorrect.central, lo: perCorrect.p5, hi: perCorrect.p95 },
    provenance:
      measuredOffload !== null
        ? measuredOffloadProvenance(result, measuredOffload, scenarioName)
        : assumed !== null
          ? assumedOffloadProvenance(scenarioName, assumed, energy, measured.accuracy)
          : `life-cycle engine, scenario "${scenarioName}" (${measured.placement}), device energy measured in the experiment (${energy.toPrecision(4)} J per inference${base.energyBasis === 'marginal' ? ' above idle' : ''}${measured.accuracy === null ? '' : `, accuracy ${measured.accuracy.toFixed(3)}`}); carbon intervals are the Monte Carlo 5th–95th percentiles`,
    breakeven: { arm: measured.arm, ...breakEvenOf(priced, result) },
    ...(assumed === null ? {} : { assumedOffload: assumed }),
  };
  return { carbon, priced, result };
}

export function armCarbon(
  base: Scenario,
  measured: ArmMeasured,
  scenarioName: string,
  offload: OffloadMeasurement | null = null,
  unmeasured: string = NO_MEASURED_OFFLOAD,
): ArmCarbon {
  return priceArm(base, measured, scenarioName, offload, unmeasured).carbon;
}

export function defaultScenario(): Scenario {
  return validateScenario(DEFAULT_SCENARIO, 'built-in experiment scenario');
}
