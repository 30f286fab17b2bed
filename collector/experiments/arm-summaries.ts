// Each arm's figures: records, boards, energy per inference with its board-bootstrap interval,
// p95 latency, accuracy, guardrails crossed (as warnings), and carbon per inference through the
// life-cycle scenario (the experiment's, else the built-in assumed one).

import { LatencyHistogram, type PeriodAggregate } from './aggregate.js';
import type { AnalysisInput } from './analysis-input.js';
import type { AnalysisResult } from './analysis-result.js';
import { boardArmMeans } from './board-means.js';
import { type ArmCarbon, armCarbon, defaultScenario } from './carbon.js';
import type { Experiment } from './experiment-file.js';
import { measuredOffloadSummary } from './offload-carbon.js';
import type { ArmOffloadMeasures } from './offload-measures.js';
import { bootstrap, mean } from './resample.js';

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
  means: Map<string, Map<string, number>>,
  replicates: number,
  warnings: string[],
  /** Offload arms' measured offload values: their carbon takes them instead of the scenario's terms. */
  offloadMeasures?: ArmOffloadMeasures,
): ArmSummaries {
  const { experiment } = input;
  const armIds = experiment.arms.map((a) => a.id);
  const aboveIdle = boardArmMeans(periods, (p) =>
    p.analysed.n === 0 ? null : p.analysed.aboveIdleSumJ / p.analysed.n,
  );
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
  const arms: AnalysisResult['arms'] = experiment.arms.map((spec, index) => {
    const armPeriods = periods.filter((p) => p.period.arm === spec.id && p.analysed.n > 0);
    const boards = [...means.entries()]
      .filter(([, m]) => m.has(spec.id))
      .map(([, m]) => m.get(spec.id) as number);
    const idle = [...aboveIdle.values()].filter((m) => m.has(spec.id)).map((m) => m.get(spec.id) as number);
    const [ci, idleCi] = bootstrap(
      boards.length,
      (idx) => [mean(idx.map((i) => boards[i] as number)), mean(idx.map((i) => idle[i] as number))],
      {
        replicates,
        seed: experiment.seed,
        stream: 100 + index,
        alpha: experiment.power.alpha,
      },
    );
    const n = armPeriods.reduce((s, p) => s + p.analysed.n, 0);
    const labelled = armPeriods.reduce((s, p) => s + p.analysed.labelled, 0);
    const correct = armPeriods.reduce((s, p) => s + p.analysed.correct, 0);
    const accuracy = labelled > 0 ? correct / labelled : null;
    const latencyP95Ms = latencies[index]?.histogram.quantile(0.95) ?? null;
    const energyJ = {
      mean: boards.length > 0 ? mean(boards) : Number.NaN,
      lo: ci?.lo ?? Number.NaN,
      hi: ci?.hi ?? Number.NaN,
    };
    const meanLatencyS = latencies[index]?.histogram.quantile(0.5);
    // At analysis time a crossed guardrail is a warning; the driver stops the arm at run time.
    guardrailCrossed(experiment, energyJ.mean, latencyP95Ms, accuracy, spec.id, warnings);
    if (boards.length === 0) {
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
    const offload = spec.placement === 'offload' ? (offloadMeasures?.of(spec.id, warnings) ?? null) : null;
    const c = armCarbon(
      scenario.scenario,
      {
        arm: spec.id,
        placement: spec.placement,
        energyJ,
        aboveIdleJ: { mean: mean(idle), lo: idleCi?.lo ?? Number.NaN, hi: idleCi?.hi ?? Number.NaN },
        latencyP95Ms,
        meanLatencyS: meanLatencyS === null || meanLatencyS === undefined ? null : meanLatencyS / 1000,
        accuracy,
        inputBytes: null,
        outputBytes: null,
      },
      scenario.name,
      offload,
    );
    carbon.push(c);
    return {
      arm: spec.id,
      n,
      boards: boards.length,
      energyJ,
      latencyP95Ms,
      accuracy,
      carbonPerInferenceG: c.carbonPerInferenceG,
      carbonPerCorrectG: c.carbonPerCorrectG,
      provenance: c.provenance,
      ...(offload === null ? {} : { measuredOffload: measuredOffloadSummary(offload) }),
    };
  });
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
