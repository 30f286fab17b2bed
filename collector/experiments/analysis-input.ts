// What an analysis reads and which of its records count: the input (experiment, boards, start and
// stop), the schedule as run (cut at an early stop), whose periods carry their warm-up and washout
// ends, and the aggregator that sorts records into those periods and leaves the excluded ones out.

import type { Scenario } from '../lifecycle/index.js';
import { ExperimentAggregator } from './aggregate.js';
import type { Experiment } from './experiment-file.js';
import { experimentSchedule } from './schedule.js';

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
  const planned = experimentSchedule(experiment, input.devices, input.startedAtMs);
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
