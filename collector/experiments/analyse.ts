// `edgewatt experiment analyse`: from the experiment, its start time and its records to the
// AnalysisResult. The board-period is the unit (warm-up, washout and wrong-arm records excluded);
// arms are compared on board means (paired in a crossover); intervals are board bootstraps; the
// checks say whether to trust it; the conclusion says which arm, by how much, how sure.
// The parts live beside it: analysis-input (schedule and exclusions), offload-tally, board-means,
// contrast, analysis-checks, arm-summaries (energy, latency, carbon), assemble-result, conclusion.

import {
  type RecordReader,
  readLabelledOffload,
  readLabelledRecords,
  type StoredRecord,
} from '../store/index.js';
import {
  type Aggregates,
  type ExperimentAggregator,
  offloadObservation,
  type StoredOffload,
} from './aggregate.js';
import { analysisChecks } from './analysis-checks.js';
import { type AnalysisInput, aggregatorFor, DEFAULT_REPLICATES } from './analysis-input.js';
import type { AnalysisResult } from './analysis-result.js';
import { armSummaries } from './arm-summaries.js';
import { assembleResult } from './assemble-result.js';
import { boardArmMeans } from './board-means.js';
import { type BoardArmMeans, type Contrast, pairedContrast, parallelContrast } from './contrast.js';
import { FallbackPairs } from './fallback-pairs.js';
import { ArmOffloadMeasures } from './offload-measures.js';
import {
  addUnpaired,
  newTally,
  type OffloadSource,
  type OffloadTally,
  tallyOffload,
  withPair,
} from './offload-tally.js';

// The analysis's entry points for its callers (the driver, the simulator, the CLI, tests).
export { type AnalysisInput, aggregatorFor, DEFAULT_REPLICATES, scheduleOf } from './analysis-input.js';
export type { OffloadSource } from './offload-tally.js';

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
  const measures = new ArmOffloadMeasures();
  if (offload !== undefined) {
    // Feedback joins offload records too (one seq space): an offloaded answer's label judges it.
    for await (const record of readLabelledOffload(offload, reader, {
      fleet: experiment.fleet,
      experiment: experiment.id,
    })) {
      tallyOffload(tally, record);
      measures.add(aggregator, record);
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
  return analyseAggregates(input, aggregator.result(), aggregator, tally, measures);
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
  const measures = new ArmOffloadMeasures();
  for (const record of offloaded) {
    if (record.experiment === undefined) continue;
    tallyOffload(tally, record);
    measures.add(aggregator, record);
    if (!pairs.hold(record)) aggregator.add(offloadObservation(record));
  }
  for (const record of records) {
    if (record.experiment === undefined) aggregator.addPre(record);
    else aggregator.add(withPair(pairs, record));
  }
  addUnpaired(aggregator, pairs, tally);
  return analyseAggregates(input, aggregator.result(), aggregator, tally, measures);
}

export function analyseAggregates(
  input: AnalysisInput,
  aggregates: Aggregates,
  aggregator: ExperimentAggregator,
  offloaded: OffloadTally = newTally(),
  offloadMeasures: ArmOffloadMeasures = new ArmOffloadMeasures(),
): AnalysisResult {
  const { experiment } = input;
  const replicates = input.replicates ?? DEFAULT_REPLICATES;
  const armIds = experiment.arms.map((a) => a.id);
  const periods = [...aggregates.periods].sort(
    (x, y) => x.period.device.localeCompare(y.period.device) || x.period.period - y.period.period,
  );
  const means = boardArmMeans(periods);
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
  const checks = analysisChecks(experiment, periods, means, aggregates, offloaded);
  const summaries = armSummaries(input, periods, replicates, checks.warnings, offloadMeasures);
  return assembleResult(input, aggregates, aggregator, { periods, contrasts, checks, summaries });
}
