// Each arm's figures: records, boards, energy per inference with its board-bootstrap interval,
// p95 latency, accuracy, guardrails crossed (as warnings), and carbon per inference through the
// life-cycle scenario (the experiment's, else the built-in assumed one): an edge arm on the edge
// side, an offload arm on the offload side, an auto arm as the mixture of its two shares
// (auto-carbon.ts). And the break-even rows that mean something for each (breakeven-rows.ts).

import { LatencyHistogram, type PeriodAggregate } from './aggregate.js';
import type { AnalysisInput } from './analysis-input.js';
import type { AnalysisResult } from './analysis-result.js';
import { asArmMeasured, measureShare } from './arm-measured.js';
import { autoArmCarbon } from './auto-carbon.js';
import { type PricedAs, pairBreakEvenRows } from './breakeven-rows.js';
import { type ArmCarbon, armCarbon, defaultScenario, NO_MEASURED_OFFLOAD } from './carbon.js';
import type { Experiment } from './experiment-file.js';
import { measuredOffloadSummary } from './offload-carbon.js';
import type { ArmOffload, ArmOffloadMeasures } from './offload-measures.js';

function latencySummaries(periods: readonly PeriodAggregate[], arms: readonly string[]) {
  return arms.map((arm) => {
    const histogram = new LatencyHistogram();
    for (const p of periods) if (p.period.arm === arm) histogram.merge(p.analysed.latency);
    return { arm, histogram };
  });
}

export interface ArmSummaries {
  arms: AnalysisResult['arms'];
  carbon: ArmCarbon[];
  latencies: ReturnType<typeof latencySummaries>;
}

/** `warnings` is the result's list: crossed guardrails and arms without records are added to it. */
export function armSummaries(
  input: AnalysisInput,
  periods: readonly PeriodAggregate[],
  replicates: number,
  warnings: string[],
  /** Offload and auto arms' measured offload values: their carbon takes them instead of the scenario's terms. */
  offloadMeasures?: ArmOffloadMeasures,
): ArmSummaries {
  const { experiment } = input;
  const armIds = experiment.arms.map((a) => a.id);
  const latencies = latencySummaries(periods, armIds);
  const given = input.scenario ?? {
    scenario: defaultScenario(),
    name: 'built-in experiment scenario (assumed)',
  };
  const scenario =
    input.carbonSamples === undefined
      ? given
      : { ...given, scenario: { ...given.scenario, samples: input.carbonSamples } };
  const carbon: ArmCarbon[] = [];
  /** What each arm measured, how it was priced and its offload values: for the break-even rows. */
  const priced = new Map<string, PricedAs>();
  const arms: AnalysisResult['arms'] = experiment.arms.map((spec, index) => {
    const options = { replicates, seed: experiment.seed, stream: 100 + index, alpha: experiment.power.alpha };
    const whole = measureShare(periods, spec.id, (p) => p.analysed, options);
    const { n, energyJ, latencyP95Ms, accuracy } = whole;
    // At analysis time a crossed guardrail is a warning; the driver stops the arm at run time.
    guardrailCrossed(experiment, energyJ.mean, latencyP95Ms, accuracy, spec.id, warnings);
    if (whole.boards === 0) {
      return {
        arm: spec.id,
        n,
        boards: 0,
        energyJ: { mean: 0, lo: 0, hi: 0 },
        latencyP95Ms,
        accuracy,
        carbonPerInferenceG: { central: 0, lo: 0, hi: 0 },
        carbonPerCorrectG: null,
        provenance: 'no analysable records: nothing measured, no carbon computed',
      };
    }
    const armOffload: ArmOffload | null =
      spec.placement === 'edge'
        ? null
        : (offloadMeasures?.of(spec.id, warnings) ?? { measurement: null, unmeasured: NO_MEASURED_OFFLOAD });
    const offload = armOffload?.measurement ?? null;
    const unmeasured = armOffload?.unmeasured ?? undefined;
    let autoShares: AnalysisResult['arms'][number]['autoShares'];
    let c: ArmCarbon;
    if (spec.placement === 'auto') {
      // Each share measured as an arm of its own (same bootstrap stream as the arm), then mixed.
      const edge = measureShare(periods, spec.id, (p) => p.shares.edge, options);
      const offloaded = measureShare(periods, spec.id, (p) => p.shares.offload, options);
      const auto = autoArmCarbon(scenario.scenario, scenario.name, {
        arm: spec.id,
        edge,
        offload: offloaded,
        measurement: offload,
        ...(unmeasured === undefined ? {} : { unmeasured }),
        unanswered: n - edge.n - offloaded.n,
        whole,
      });
      c = auto.carbon;
      autoShares = auto.autoShares;
      priced.set(spec.id, { whole, as: auto.pricedAs, offload: armOffload });
    } else {
      c = armCarbon(
        scenario.scenario,
        asArmMeasured(spec.id, spec.placement, whole),
        scenario.name,
        offload,
        unmeasured,
      );
      priced.set(spec.id, { whole, as: spec.placement, offload: armOffload });
    }
    carbon.push(c);
    return {
      arm: spec.id,
      n,
      boards: whole.boards,
      energyJ,
      latencyP95Ms,
      accuracy,
      carbonPerInferenceG: c.carbonPerInferenceG,
      carbonPerCorrectG: c.carbonPerCorrectG,
      provenance: c.provenance,
      ...(offload === null ? {} : { measuredOffload: measuredOffloadSummary(offload) }),
      ...(autoShares === undefined ? {} : { autoShares }),
      ...(c.assumedOffload === undefined ? {} : { assumedOffload: c.assumedOffload }),
    };
  });
  // Each priced arm's break-even row against measured values where the experiment has them.
  pairBreakEvenRows(experiment, scenario, carbon, priced);
  const emptyArms = arms.filter((a) => a.boards === 0).map((a) => a.arm);
  if (emptyArms.length > 0) warnings.push(`no analysable records for arm(s) ${emptyArms.join(', ')}`);
  return { arms, carbon, latencies };
}

function guardrailCrossed(
  experiment: Experiment,
  energyJ: number,
  latencyP95Ms: number | null,
  accuracy: number | null,
  arm: string,
  warnings: string[],
): boolean {
  const g = experiment.guardrails;
  const crossed: string[] = [];
  if (g.maxEnergyJ !== undefined && energyJ > g.maxEnergyJ)
    crossed.push(`energy ${energyJ.toPrecision(3)} J > ${g.maxEnergyJ} J`);
  if (g.maxLatencyP95Ms !== undefined && latencyP95Ms !== null && latencyP95Ms > g.maxLatencyP95Ms)
    crossed.push(`p95 latency ${latencyP95Ms.toFixed(1)} ms > ${g.maxLatencyP95Ms} ms`);
  if (g.minAccuracy !== undefined && accuracy !== null && accuracy < g.minAccuracy)
    crossed.push(`accuracy ${accuracy.toFixed(3)} < ${g.minAccuracy}`);
  if (crossed.length > 0) warnings.push(`arm ${arm} crossed its guardrails: ${crossed.join(', ')}`);
  return crossed.length > 0;
}
