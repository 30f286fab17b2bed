// An auto arm's carbon: each input ran where the agent's policy sent it, so the arm is a mixture of
// two placements. Its records are split by where each answer came from (aggregate.ts shares); the
// edge share is priced exactly as an edge arm and the offloaded share exactly as an offload arm
// (carbon.ts priceArm, with the arm's measured offload values), and the two are mixed by f, the
// measured share of answers that came from the server:
//   carbon per inference = (1 − f)·edge + f·offload.
// Requests that got no answer (and did not fall back) are in the arm's energy, in neither share.

import type { Scenario } from '../lifecycle/index.js';
import { resolveScenario, simulate } from '../lifecycle/index.js';
import type { OffloadMeasurement } from '../lifecycle/measured-offload.js';
import type { ParameterId } from '../lifecycle/model.js';
import { interval } from '../lifecycle/stats.js';
import type { AnalysisResult } from './analysis-result.js';
import { asArmMeasured, type MeasuredShare } from './arm-measured.js';
import {
  type ArmCarbon,
  armScenario,
  breakEvenOf,
  NO_MEASURED_OFFLOAD,
  type PricedArm,
  priceArm,
} from './carbon.js';

type AutoShares = NonNullable<AnalysisResult['arms'][number]['autoShares']>;
type Share = NonNullable<AutoShares['edge']>;
type CarbonInterval = ArmCarbon['carbonPerInferenceG'];

export interface AutoArmInput {
  arm: string;
  /** The arm's analysed records by where each answer came from. */
  edge: MeasuredShare;
  offload: MeasuredShare;
  /** The arm's measured offload values (answered requests), or null (then the scenario's terms). */
  measurement: OffloadMeasurement | null;
  /** Why `measurement` is null (offload-measures.ts), for the provenance and the break-even note. */
  unmeasured?: string;
  /** Analysed requests without an answer (no fallback): in the arm's energy, in neither share. */
  unanswered: number;
  /** All the arm's analysed records: priced on the edge side only when no share has any. */
  whole: MeasuredShare;
}

export interface AutoArmCarbon {
  carbon: ArmCarbon;
  autoShares: AutoShares;
  /** How it was priced: as a mixture, or wholly on one side (one share had no records). */
  pricedAs: 'mixture' | 'edge' | 'offload';
}

const share = (s: MeasuredShare, c: ArmCarbon): Share => ({
  n: s.n,
  boards: s.boards,
  energyJ: s.energyJ,
  accuracy: s.accuracy,
  carbonPerInferenceG: c.carbonPerInferenceG,
  carbonPerCorrectG: c.carbonPerCorrectG,
  provenance: c.provenance,
});

/**
 * One side's Monte Carlo draws, exactly those `compare` summarised for that priced share (same
 * resolved scenario, same seed, same streams): its total per inference, and its accuracy's draws.
 */
function drawsOf(p: PricedArm, side: 'edge' | 'offload') {
  const { scenario, source } = p.priced;
  const accuracyId: ParameterId = side === 'edge' ? 'device.accuracy' : 'datacenter.accuracy';
  const resolved = resolveScenario(scenario, source);
  const n = scenario.samples;
  const draws = simulate(resolved, n, scenario.seed, { [accuracyId]: n });
  return {
    total: side === 'edge' ? draws.terms.edgeTotal : draws.terms.offloadTotal,
    accuracy: draws.parameters[accuracyId],
    centralAccuracy: resolved.values[accuracyId].central,
  };
}

/**
 * The mixture's interval, per draw: both sides come from the same base scenario and seed, and the
 * engine draws each parameter from its own seeded stream, so draw i of the edge side and draw i of
 * the offload side share every factor they have in common (common random numbers: the board's
 * grid intensity, lifetime, embodied carbon). Mixing draw by draw, (1 − f)·edgeᵢ + f·offloadᵢ,
 * keeps that dependence; mixing the two intervals' ends would not be an interval of anything.
 * Per correct inference: all the carbon over all the correct answers, draw by draw,
 * ((1 − f)·edgeᵢ + f·offloadᵢ) ÷ ((1 − f)·a_edgeᵢ + f·a_offloadᵢ), each share's accuracy from the
 * feedback joined to its own records.
 */
function mixture(
  edge: PricedArm,
  offload: PricedArm,
  f: number,
): { perInference: CarbonInterval; perCorrect: CarbonInterval | null } {
  const e = drawsOf(edge, 'edge');
  const o = drawsOf(offload, 'offload');
  const n = Math.min(e.total.length, o.total.length);
  const mixed = new Float64Array(n);
  for (let i = 0; i < n; i++) mixed[i] = (1 - f) * (e.total[i] as number) + f * (o.total[i] as number);
  const central =
    (1 - f) * edge.carbon.carbonPerInferenceG.central + f * offload.carbon.carbonPerInferenceG.central;
  const perInference = interval(mixed, central);
  let perCorrect: CarbonInterval | null = null;
  const ea = e.accuracy;
  const oa = o.accuracy;
  if (edge.carbon.carbonPerCorrectG !== null && offload.carbon.carbonPerCorrectG !== null && ea && oa) {
    const correct = new Float64Array(n);
    for (let i = 0; i < n; i++)
      correct[i] = (mixed[i] as number) / ((1 - f) * (ea[i] as number) + f * (oa[i] as number));
    const c = interval(correct, central / ((1 - f) * e.centralAccuracy + f * o.centralAccuracy));
    perCorrect = { central: c.central, lo: c.p5, hi: c.p95 };
  }
  return { perInference: { central, lo: perInference.p5, hi: perInference.p95 }, perCorrect };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function autoArmCarbon(base: Scenario, scenarioName: string, input: AutoArmInput): AutoArmCarbon {
  const { arm, edge, offload, measurement, unanswered, whole } = input;
  const unmeasured = input.unmeasured ?? NO_MEASURED_OFFLOAD;
  const answered = edge.n + offload.n;
  const f = answered === 0 ? 0 : offload.n / answered;
  const lost =
    unanswered > 0
      ? `; ${unanswered} request(s) without an answer are in the arm's energy but in neither share's carbon`
      : '';
  const edgePriced = edge.n > 0 ? priceArm(base, asArmMeasured(arm, 'edge', edge), scenarioName) : null;
  const offloadPriced =
    offload.n > 0
      ? priceArm(base, asArmMeasured(arm, 'offload', offload), scenarioName, measurement, unmeasured)
      : null;
  const autoShares = (method: string): AutoShares => ({
    offloadedFraction: f,
    unanswered,
    edge: edgePriced === null ? null : share(edge, edgePriced.carbon),
    offload: offloadPriced === null ? null : share(offload, offloadPriced.carbon),
    method,
  });
  if (edgePriced !== null && offloadPriced !== null) {
    const { perInference, perCorrect } = mixture(edgePriced, offloadPriced, f);
    // Break-even of this arm: its own edge share against its own offloaded share, both measured
    // on the same boards and model (not the scenario's offload terms, unless the offload records
    // could not be taken as measured values: the note says so).
    const paired = armScenario(base, asArmMeasured(arm, 'offload', edge), scenarioName, measurement);
    const breakEven = breakEvenOf(paired);
    const method = `mixture of the arm's two placements: ${pct(f)} of its ${answered} answered inferences were offloaded (f = ${f.toPrecision(4)}); carbon per inference = (1 − f) × edge share + f × offloaded share, mixed draw by draw over the engine's Monte Carlo draws (common random numbers); per correct inference = all the carbon over all the correct answers${lost}`;
    return {
      carbon: {
        carbonPerInferenceG: perInference,
        carbonPerCorrectG: perCorrect,
        provenance: `auto arm, a ${method}. Edge share: ${edgePriced.carbon.provenance}. Offloaded share: ${offloadPriced.carbon.provenance}`,
        breakeven: {
          arm,
          inferencesPerDay: breakEven.inferencesPerDay,
          note: `its edge share against its offloaded share (${measurement === null ? `the edge share measured, the offloaded share on the scenario's ASSUMED offload terms, because ${unmeasured}` : 'both measured'}): ${breakEven.note}`,
        },
        ...(offloadPriced.carbon.assumedOffload === undefined
          ? {}
          : { assumedOffload: offloadPriced.carbon.assumedOffload }),
      },
      autoShares: autoShares(method),
      pricedAs: 'mixture',
    };
  }
  if (offloadPriced !== null) {
    const method = `every answered inference of the arm was offloaded: priced wholly as an offload arm${lost}`;
    return {
      carbon: {
        ...offloadPriced.carbon,
        provenance: `auto arm: ${method}. ${offloadPriced.carbon.provenance}`,
      },
      autoShares: autoShares(method),
      pricedAs: 'offload',
    };
  }
  // No request of the arm was answered by the server (or none at all): the edge side alone.
  const priced = edgePriced ?? priceArm(base, asArmMeasured(arm, 'edge', whole), scenarioName);
  const method =
    edgePriced === null
      ? `no analysed inference of the arm got an answer: priced on the edge side with the arm's energy${lost}`
      : `no analysed inference of the arm was offloaded: priced wholly as an edge arm${lost}`;
  return {
    carbon: { ...priced.carbon, provenance: `auto arm: ${method}. ${priced.carbon.provenance}` },
    autoShares: autoShares(method),
    pricedAs: 'edge',
  };
}
