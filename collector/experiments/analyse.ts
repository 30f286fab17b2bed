// `edgewatt experiment analyse`: from the experiment, its start time and its records to the
// AnalysisResult. The board-period is the unit (warm-up, washout and wrong-arm records excluded);
// arms are compared on board means (paired in a crossover); intervals are board bootstraps; the
// checks say whether to trust it; the conclusion says which arm, by how much, how sure.

import type { Scenario } from '../lifecycle/index.js';
import {
  type RecordFilter,
  type RecordReader,
  readLabelledRecords,
  type StoredRecord,
} from '../store/index.js';
import {
  type Aggregates,
  ExperimentAggregator,
  LatencyHistogram,
  type Observation,
  offloadObservation,
  type PeriodAggregate,
  type StoredOffload,
} from './aggregate.js';
import { ANALYSIS_SCHEMA, type AnalysisResult } from './analysis-result.js';
import { type ArmCarbon, armCarbon, defaultScenario } from './carbon.js';
import { carryOver, sampleRatio } from './checks.js';
import { type BoardArmMeans, type Contrast, pairedContrast, parallelContrast } from './contrast.js';
import type { Experiment } from './experiment-file.js';
import { FallbackPairs } from './fallback-pairs.js';
import { bootstrap, mean } from './resample.js';
import { buildSchedule } from './schedule.js';

export interface AnalysisInput {
  experiment: Experiment;
  /** The boards the experiment ran on (the file's list, or its selector resolved at start). */
  devices: readonly string[];
  startedAtMs: number;
  endedAtMs: number | null;
  /** Bootstrap replicates (9,999 as scipy's default; tests use fewer). */
  replicates?: number;
  /** The life-cycle scenario for carbon; default: the experiment's built-in one. */
  scenario?: { scenario: Scenario; name: string };
  /** Monte Carlo draws of the life-cycle engine per arm, overriding the scenario's (tests use few). */
  carbonSamples?: number;
  /** The clock for `generatedAt` (tests). */
  now?: () => Date;
}

export const DEFAULT_REPLICATES = 9999;

/** The schedule as planned, cut at the stop when the experiment was stopped early. */
export function scheduleOf(input: AnalysisInput) {
  const { experiment } = input;
  const planned = buildSchedule(
    {
      design: experiment.design,
      arms: experiment.arms.map((a) => a.id),
      periods: experiment.periods,
      periodS: experiment.periodS,
      washoutS: experiment.washoutS,
      warmupS: experiment.warmupS,
      seed: experiment.seed,
    },
    input.devices,
    input.startedAtMs,
  );
  const end = input.endedAtMs;
  if (end === null) return planned;
  return planned
    .filter((p) => p.startMs < end)
    .map((p) =>
      p.endMs <= end
        ? p
        : {
            ...p,
            endMs: end,
            washoutEndMs: Math.min(p.washoutEndMs, end),
            warmupEndMs: Math.min(p.warmupEndMs, end),
          },
    );
}

export function aggregatorFor(input: AnalysisInput): ExperimentAggregator {
  const schedule = scheduleOf(input);
  const plannedEnd = input.startedAtMs + input.experiment.periods * input.experiment.periodS * 1000;
  return new ExperimentAggregator(
    schedule,
    input.experiment.id,
    input.startedAtMs - input.experiment.preS * 1000,
    Math.min(plannedEnd, input.endedAtMs ?? plannedEnd),
    input.experiment.periodS * 1000,
  );
}

/**
 * Where offloaded inferences are read from: a store's `readOffload` (the offload record kind, issue
 * 16), with the same filter as records.
 */
export interface OffloadSource {
  readOffload(filter: RecordFilter): AsyncIterable<StoredOffload>;
}

/**
 * Offloaded inferences per arm, how many failed (no answer from the server) without and with a
 * fallback to the edge, and how many fallbacks had no edge record to pair with (lost).
 */
interface OffloadTally {
  arms: Map<string, { n: number; failed: number; fellBack: number }>;
  lostFallbacks: number;
}

const newTally = (): OffloadTally => ({ arms: new Map(), lostFallbacks: 0 });

function tallyOffload(tally: OffloadTally, record: StoredOffload): void {
  const arm = record.arm ?? '(no arm)';
  const t = tally.arms.get(arm) ?? { n: 0, failed: 0, fellBack: 0 };
  t.n++;
  if (record.outcome !== 'ok') {
    if (record.fallback === 'edge') t.fellBack++;
    else t.failed++;
  }
  tally.arms.set(arm, t);
}

/** A fallback's edge record merged with its offload record, else the record as it is. */
function withPair(pairs: FallbackPairs, record: StoredRecord): Observation | StoredRecord {
  return pairs.pair(record) ?? record;
}

/** Fallbacks left without their edge record count with the request alone. */
function addUnpaired(aggregator: ExperimentAggregator, pairs: FallbackPairs, tally: OffloadTally): void {
  for (const record of pairs.unpaired()) {
    tally.lostFallbacks++;
    aggregator.add(offloadObservation(record));
  }
}

/**
 * Reads the experiment's records (and the boards' pre-experiment ones) from a store, and with an
 * offload source its offloaded inferences too (offload arms: device + server energy per inference).
 */
export async function analyseStore(
  reader: RecordReader,
  input: AnalysisInput,
  offload?: OffloadSource,
): Promise<AnalysisResult> {
  const aggregator = aggregatorFor(input);
  const { experiment } = input;
  const tally = newTally();
  const pairs = new FallbackPairs();
  if (offload !== undefined) {
    for await (const record of offload.readOffload({ fleet: experiment.fleet, experiment: experiment.id })) {
      tallyOffload(tally, record);
      if (!pairs.hold(record)) aggregator.add(offloadObservation(record));
    }
  }
  // With feedback joined: labels given after the answer make `correct` known (accuracy per arm).
  for await (const record of readLabelledRecords(reader, {
    fleet: experiment.fleet,
    experiment: experiment.id,
  })) {
    aggregator.add(withPair(pairs, record));
  }
  addUnpaired(aggregator, pairs, tally);
  if (experiment.preS > 0) {
    const pre = {
      fleet: experiment.fleet,
      fromUs: (input.startedAtMs - experiment.preS * 1000) * 1000,
      toUs: input.startedAtMs * 1000,
    };
    for await (const record of reader.readRecords(pre)) aggregator.addPre(record);
  }
  return analyseAggregates(input, aggregator.result(), aggregator, tally);
}

/** The same from records in memory (tests, the simulator): pre-experiment and experiment records mixed. */
export function analyseRecords(
  input: AnalysisInput,
  records: Iterable<StoredRecord>,
  offloaded: Iterable<StoredOffload> = [],
): AnalysisResult {
  const aggregator = aggregatorFor(input);
  const tally = newTally();
  const pairs = new FallbackPairs();
  for (const record of offloaded) {
    if (record.experiment === undefined) continue;
    tallyOffload(tally, record);
    if (!pairs.hold(record)) aggregator.add(offloadObservation(record));
  }
  for (const record of records) {
    if (record.experiment === undefined) aggregator.addPre(record);
    else aggregator.add(withPair(pairs, record));
  }
  addUnpaired(aggregator, pairs, tally);
  return analyseAggregates(input, aggregator.result(), aggregator, tally);
}

/** Board → arm → mean over its analysed periods of each period's mean (periods weigh equally). */
export function boardArmMeans(
  periods: readonly PeriodAggregate[],
  pick = (p: PeriodAggregate) => p.analysed.meanEnergyJ,
) {
  const sums = new Map<string, Map<string, number[]>>();
  for (const p of periods) {
    const value = pick(p);
    if (value === null) continue;
    const byArm = sums.get(p.period.device) ?? new Map<string, number[]>();
    const list = byArm.get(p.period.arm) ?? [];
    list.push(value);
    byArm.set(p.period.arm, list);
    sums.set(p.period.device, byArm);
  }
  const means = new Map<string, Map<string, number>>();
  for (const [device, byArm] of sums)
    means.set(device, new Map([...byArm].map(([arm, xs]) => [arm, mean(xs)])));
  return means;
}

const percent = (x: number): string => `${(Math.abs(x) * 100).toFixed(1)} %`;
const signedPercent = (x: number): string => `${x >= 0 ? '+' : '−'}${(Math.abs(x) * 100).toFixed(1)} %`;

export function conclusionOf(
  contrast: AnalysisResult['contrasts'][number] | undefined,
  checks: AnalysisResult['checks'],
  design: string,
): string {
  if (contrast === undefined || !Number.isFinite(contrast.relDiff)) {
    return 'No conclusion yet: no board has analysable records in both arms.';
  }
  const { a, b, relDiff, relLo, relHi, pValue, boards } = contrast;
  const caveat = !checks.sampleRatio.ok
    ? ', but the sample-ratio check failed, so the assignment is suspect and the result should not be used'
    : !checks.carryOver.ok
      ? ', but the carry-over check failed, so the washout is too short and the estimate may be biased'
      : '';
  const how = `(95 % CI ${signedPercent(relLo)} to ${signedPercent(relHi)}, p = ${pValue < 0.001 ? '< 0.001' : pValue.toFixed(3)}, ${boards} boards, ${design})`;
  if (!contrast.significant) {
    return `No clear difference between ${b} and ${a}: ${b} used ${signedPercent(relDiff)} energy per inference ${how}, which this experiment cannot tell from no difference${caveat}.`;
  }
  const cheaper = relDiff < 0 ? b : a;
  const other = cheaper === b ? a : b;
  const saving = relDiff < 0 ? -relDiff : relDiff / (1 + relDiff);
  return `${cheaper} uses ${percent(saving)} less energy per inference than ${other} ${how}${caveat}.`;
}

function latencySummaries(periods: readonly PeriodAggregate[], arms: readonly string[]) {
  return arms.map((arm) => {
    const histogram = new LatencyHistogram();
    for (const p of periods) if (p.period.arm === arm) histogram.merge(p.analysed.latency);
    return { arm, histogram };
  });
}

export function analyseAggregates(
  input: AnalysisInput,
  aggregates: Aggregates,
  aggregator: ExperimentAggregator,
  offloaded: OffloadTally = newTally(),
): AnalysisResult {
  const { experiment } = input;
  const replicates = input.replicates ?? DEFAULT_REPLICATES;
  const armIds = experiment.arms.map((a) => a.id);
  const periods = [...aggregates.periods].sort(
    (x, y) => x.period.device.localeCompare(y.period.device) || x.period.period - y.period.period,
  );
  const means = boardArmMeans(periods);
  const aboveIdle = boardArmMeans(periods, (p) =>
    p.analysed.n === 0 ? null : p.analysed.aboveIdleSumJ / p.analysed.n,
  );
  const data: BoardArmMeans = { means, pre: aggregates.preMeanJ };
  const options = {
    design: experiment.design,
    replicates,
    seed: experiment.seed,
    alpha: experiment.power.alpha,
  };
  const contrasts: Contrast[] = [];
  for (let i = 0; i < armIds.length; i++) {
    for (let j = i + 1; j < armIds.length; j++) {
      const a = armIds[i] as string;
      const b = armIds[j] as string;
      contrasts.push(
        experiment.design === 'crossover'
          ? pairedContrast(data, a, b, options)
          : parallelContrast(data, a, b, options),
      );
    }
  }
  const warnings: string[] = [];
  const warmupExcluded = periods.reduce((s, p) => s + p.warmup, 0);
  const washoutExcluded = periods.reduce((s, p) => s + p.washout, 0);
  const wrongArm = periods.reduce((s, p) => s + p.wrongArm, 0);
  if (wrongArm > 0) {
    warnings.push(
      `${wrongArm} record(s) carried another arm than their period's (a switch came late): not analysed`,
    );
  }
  if (aggregates.unscheduled > 0) {
    warnings.push(
      `${aggregates.unscheduled} record(s) of the experiment fall outside every scheduled period: not analysed`,
    );
  }
  for (const [arm, t] of offloaded.arms) {
    if (t.failed > 0)
      warnings.push(
        `arm ${arm}: ${t.failed} of ${t.n} offloaded inference(s) got no answer; they count with the device's energy alone`,
      );
    if (t.fellBack > 0)
      warnings.push(
        `arm ${arm}: ${t.fellBack} of ${t.n} offloaded inference(s) got no answer and ran on the edge; each counts as the request's device energy plus its edge inference`,
      );
  }
  if (offloaded.lostFallbacks > 0)
    warnings.push(
      `${offloaded.lostFallbacks} offload fallback(s) to the edge have no edge inference record at seq + 1 (lost): they count with the request's device energy alone`,
    );
  for (const spec of experiment.arms) {
    if (spec.placement === 'offload' && !offloaded.arms.has(spec.id))
      warnings.push(
        `arm ${spec.id} is an offload arm but no offload records were read: its figures are its boards' edge records only (an agent without placement, or a store without offload records)`,
      );
  }
  const ratio = sampleRatio(periods, armIds);
  if (ratio.records !== undefined && !ratio.records.ok) {
    warnings.push(
      `record counts per arm differ from the schedule's time (χ² p = ${ratio.records.pValue.toExponential(2)}): check spool loss per arm, or whether the arms run at different rates`,
    );
  }
  const checks: AnalysisResult['checks'] = {
    sampleRatio: ratio,
    carryOver: carryOver(periods, means),
    warmupExcluded,
    washoutExcluded,
    warnings,
  };
  if (!checks.sampleRatio.ok) {
    warnings.push(
      `sample ratio mismatch: board-periods per arm ${JSON.stringify(ratio.observed)}, planned ${JSON.stringify(ratio.expected)} (p = ${ratio.pValue.toExponential(2)})`,
    );
  }
  if (!checks.carryOver.ok) {
    warnings.push(
      `carry-over: the start of periods after a switch leans ${percent(checks.carryOver.estimate ?? 0)} towards the previous arm; lengthen washoutS`,
    );
  }
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
    };
  });
  const emptyArms = arms.filter((a) => a.boards === 0).map((a) => a.arm);
  if (emptyArms.length > 0) warnings.push(`no analysable records for arm(s) ${emptyArms.join(', ')}`);
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
