// The checks that say whether an experiment's answer can be trusted. Sample ratio: a χ² test of the
// board-periods (and records) each arm got against what the schedule planned; p < 0.001 is the usual
// bar for a broken assignment. Carry-over: if the washout is too short, the analysed part of a
// period right after a switch still leans towards the previous arm; the check compares the first
// and second halves of each such period, signed towards the previous arm's level, over boards.

import type { PeriodAggregate } from './aggregate.js';
import type { AnalysisResult } from './analysis-result.js';
import { chiSquaredSf, tCdf } from './distributions.js';
import { mean, variance } from './resample.js';

export const SRM_ALPHA = 0.001;
/** A carry-over this large (relative) and this unlikely under none fails the check. */
export const CARRYOVER_ALPHA = 0.01;

export function chiSquaredTest(
  expected: Record<string, number>,
  observed: Record<string, number>,
): { pValue: number; ok: boolean } {
  const keys = Object.keys(expected);
  const totalExpected = keys.reduce((s, k) => s + (expected[k] ?? 0), 0);
  const totalObserved = keys.reduce((s, k) => s + (observed[k] ?? 0), 0);
  if (keys.length < 2 || totalObserved === 0 || totalExpected === 0) return { pValue: 1, ok: true };
  let statistic = 0;
  for (const k of keys) {
    const e = ((expected[k] ?? 0) / totalExpected) * totalObserved;
    if (e > 0) statistic += ((observed[k] ?? 0) - e) ** 2 / e;
  }
  const pValue = chiSquaredSf(statistic, keys.length - 1);
  return { pValue, ok: pValue >= SRM_ALPHA };
}

export function sampleRatio(
  periods: readonly PeriodAggregate[],
  arms: readonly string[],
): AnalysisResult['checks']['sampleRatio'] {
  const expected: Record<string, number> = {};
  const observed: Record<string, number> = {};
  const expectedRecords: Record<string, number> = {};
  const observedRecords: Record<string, number> = {};
  for (const arm of arms) {
    expected[arm] = 0;
    observed[arm] = 0;
    expectedRecords[arm] = 0;
    observedRecords[arm] = 0;
  }
  for (const { period, analysed } of periods) {
    expected[period.arm] = (expected[period.arm] ?? 0) + 1;
    if (analysed.n > 0) observed[period.arm] = (observed[period.arm] ?? 0) + 1;
    // Records: in proportion to the analysed time the schedule gave the arm.
    expectedRecords[period.arm] =
      (expectedRecords[period.arm] ?? 0) + (period.endMs - period.washoutEndMs) / 1000;
    observedRecords[period.arm] = (observedRecords[period.arm] ?? 0) + analysed.n;
  }
  const boardPeriods = chiSquaredTest(expected, observed);
  const records = chiSquaredTest(expectedRecords, observedRecords);
  return {
    expected,
    observed,
    ...boardPeriods,
    records: { expected: expectedRecords, observed: observedRecords, ...records },
  };
}

export function carryOver(
  periods: readonly PeriodAggregate[],
  boardArmMeans: Map<string, Map<string, number>>,
): AnalysisResult['checks']['carryOver'] {
  const perBoard = new Map<string, number[]>();
  for (const { period, firstHalf, secondHalf } of periods) {
    if (period.previousArm === null || period.previousArm === period.arm) continue;
    const means = boardArmMeans.get(period.device);
    const previous = means?.get(period.previousArm);
    const current = means?.get(period.arm);
    const m1 = firstHalf.meanEnergyJ;
    const m2 = secondHalf.meanEnergyJ;
    if (previous === undefined || current === undefined || m1 === null || m2 === null || previous === current)
      continue;
    // Positive when the first half leans towards the previous arm's level.
    const towards = Math.sign(previous - current);
    const list = perBoard.get(period.device) ?? [];
    list.push((towards * (m1 - m2)) / current);
    perBoard.set(period.device, list);
  }
  const e = [...perBoard.values()].map(mean);
  if (e.length < 3) return { estimate: null, pValue: null, ok: true };
  const estimate = mean(e);
  const se = Math.sqrt(variance(e) / e.length);
  if (se === 0) return { estimate, pValue: estimate === 0 ? 1 : 0, ok: estimate <= 0 };
  const t = estimate / se;
  const pValue = 2 * (1 - tCdf(Math.abs(t), e.length - 1));
  return { estimate, pValue, ok: !(estimate > 0 && pValue < CARRYOVER_ALPHA) };
}
