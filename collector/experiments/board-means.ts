// Per-board means over board-periods: the unit every contrast, interval and check starts from.

import type { PeriodAggregate } from './aggregate.js';
import { mean } from './resample.js';

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
