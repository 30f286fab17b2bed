// The AnalysisResult put together from the parts computed before it: the experiment as run, its
// schedule, each board-period's figures, the arms, contrasts, checks, time series, latency
// histograms, carbon break-even points and the conclusion.

import type { Aggregates, ExperimentAggregator, PeriodAggregate } from './aggregate.js';
import type { AnalysisInput } from './analysis-input.js';
import { ANALYSIS_SCHEMA, type AnalysisResult } from './analysis-result.js';
import type { ArmSummaries } from './arm-summaries.js';
import { conclusionOf } from './conclusion.js';
import type { Contrast } from './contrast.js';

export interface AnalysisParts {
  periods: readonly PeriodAggregate[];
  contrasts: readonly Contrast[];
  checks: AnalysisResult['checks'];
  summaries: ArmSummaries;
}

export function assembleResult(
  input: AnalysisInput,
  aggregates: Aggregates,
  aggregator: ExperimentAggregator,
  { periods, contrasts, checks, summaries: { arms, carbon, latencies } }: AnalysisParts,
): AnalysisResult {
  const { experiment } = input;
  const iso = (ms: number) => new Date(ms).toISOString();
  const primary = contrasts[0]?.result;
  return {
    schema: ANALYSIS_SCHEMA,
    generatedAt: (input.now?.() ?? new Date()).toISOString(),
    experiment: {
      id: experiment.id,
      design: experiment.design,
      arms: experiment.arms.map((a) => ({
        id: a.id,
        model: a.model,
        variant: a.variant ?? a.id,
        placement: a.placement,
      })),
      seed: experiment.seed,
      periods: experiment.periods,
      periodS: experiment.periodS,
      washoutS: experiment.washoutS,
      warmupS: experiment.warmupS,
      devices: [...input.devices],
      startedAt: iso(input.startedAtMs),
      endedAt: input.endedAtMs === null ? null : iso(input.endedAtMs),
    },
    schedule: periods.map(({ period }) => ({
      device: period.device,
      period: period.period,
      arm: period.arm,
      start: iso(period.startMs),
      end: iso(period.endMs),
      washoutEnd: iso(period.washoutEndMs),
    })),
    perBoardPeriod: periods.map((p) => ({
      device: p.period.device,
      period: p.period.period,
      arm: p.period.arm,
      n: p.analysed.n,
      meanEnergyJ: p.analysed.meanEnergyJ,
      meanAboveIdleJ: p.analysed.n === 0 ? null : p.analysed.aboveIdleSumJ / p.analysed.n,
      p95LatencyMs: p.analysed.latency.quantile(0.95),
      accuracy: p.analysed.labelled === 0 ? null : p.analysed.correct / p.analysed.labelled,
      excluded: { warmup: p.warmup, washout: p.washout, wrongArm: p.wrongArm },
    })),
    arms,
    contrasts: contrasts.map((c) => c.result),
    perBoardDifferences: contrasts.flatMap((c) => c.perBoard),
    checks,
    timeSeries: [...aggregates.timeSeries.entries()]
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([device, points]) => ({
        device,
        points: points.flatMap((p, i): [number, number, string | null, boolean][] =>
          p.n === 0
            ? []
            : [[aggregator.seriesStartMs + (i + 0.5) * aggregator.bucketMs, p.sumJ / p.n, p.arm, p.washout]],
        ),
      })),
    latency: latencies.map(({ arm, histogram }) => ({ arm, histogram: histogram.bins() })),
    breakeven: carbon.map((c) => c.breakeven),
    conclusion: conclusionOf(primary, checks, experiment.design),
  };
}
