// Each arm's carbon per inference (and per correct inference) through the life-cycle engine, with
// the arm's measured energy per inference (its board-bootstrap interval as a normal uncertainty),
// latency and accuracy put into the scenario's device section; an offload arm's offload terms come
// from its offload records as compare's measured offload takes them (offload-carbon.ts). The
// scenario is the experiment's `lifecycle.scenario` file, or the built-in one below, which is an
// assumption and says so.

import { compare, type Scenario, validateScenario } from '../lifecycle/index.js';
import type { OffloadMeasurement } from '../lifecycle/measured-offload.js';
import type { AnalysisResult } from './analysis-result.js';
import { measuredOffloadProvenance, withMeasuredOffload } from './offload-carbon.js';

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

export interface ArmCarbon {
  carbonPerInferenceG: AnalysisResult['arms'][number]['carbonPerInferenceG'];
  carbonPerCorrectG: AnalysisResult['arms'][number]['carbonPerCorrectG'];
  provenance: string;
  breakeven: { arm: string; inferencesPerDay: number | null; note: string };
}

/** 95 % interval half-width → the 90 % range the scenario's `normal` numbers use. */
const Z975 = 1.959963984540054;
const Z95 = 1.6448536269514722;

/**
 * `offload`: the arm's measured offload values (offload-measures.ts); for an offload arm they
 * replace the scenario's offload terms (offload-carbon.ts). Null or absent: the scenario's.
 */
export function armCarbon(
  base: Scenario,
  measured: ArmMeasured,
  scenarioName: string,
  offload: OffloadMeasurement | null = null,
): ArmCarbon {
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
  const scenario = validateScenario(input.scenario, scenarioName);
  const result = compare(scenario, input.source);
  // Break-even only exists when the board is dedicated (idle and embodied shares depend on the rate):
  // asked of the same scenario at central values under `dedicated`, whatever the scenario's allocation.
  const breakEven =
    scenario.allocation === 'dedicated'
      ? result.breakEvenInferencesPerDay
      : compare({ ...scenario, allocation: 'dedicated', samples: 1 }, input.source).breakEvenInferencesPerDay;
  // An edge arm's carbon is the edge side on its measured energy; an offload arm's the offload side,
  // on its measured offload values when it has answered requests, else on the scenario's terms.
  const side = measured.placement === 'offload' ? result.offload.total : result.edge.total;
  const perCorrect =
    'reason' in result.perCorrectInference
      ? null
      : measured.placement === 'offload'
        ? result.perCorrectInference.offload
        : result.perCorrectInference.edge;
  return {
    carbonPerInferenceG: { central: side.central, lo: side.p5, hi: side.p95 },
    carbonPerCorrectG:
      perCorrect === null ? null : { central: perCorrect.central, lo: perCorrect.p5, hi: perCorrect.p95 },
    provenance:
      measuredOffload !== null
        ? measuredOffloadProvenance(result, measuredOffload, scenarioName)
        : measured.placement === 'offload'
          ? `life-cycle engine, scenario "${scenarioName}" (offload): the offload terms (radio, wait, network, datacenter) are the scenario's, not the energy measured in the experiment (${energy.toPrecision(4)} J per offloaded inference, device + server${measured.accuracy === null ? '' : `; accuracy ${measured.accuracy.toFixed(3)} used`}): no answered offload request of the arm was analysed; carbon intervals are the Monte Carlo 5th–95th percentiles`
          : `life-cycle engine, scenario "${scenarioName}" (${measured.placement}), device energy measured in the experiment (${energy.toPrecision(4)} J per inference${base.energyBasis === 'marginal' ? ' above idle' : ''}${measured.accuracy === null ? '' : `, accuracy ${measured.accuracy.toFixed(3)}`}); carbon intervals are the Monte Carlo 5th–95th percentiles`,
    breakeven: {
      arm: measured.arm,
      inferencesPerDay: breakEven.inferencesPerDay,
      note: `${scenario.allocation === 'dedicated' ? '' : 'for a board dedicated to this workload: '}${breakEven.reason}`,
    },
  };
}

export function defaultScenario(): Scenario {
  return validateScenario(DEFAULT_SCENARIO, 'built-in experiment scenario');
}
