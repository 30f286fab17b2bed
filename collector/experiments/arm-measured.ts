// What an arm measured, from one accumulator of each of its board-periods: records, boards, energy
// per inference (and above idle) as the mean over boards with a board-bootstrap interval, latency
// (p95, and the median the carbon takes) and accuracy. An arm is measured on its analysed records;
// an auto arm's two shares the same way on the records answered on the edge and those offloaded,
// so each share is priced exactly as an edge or an offload arm is.

import { type Accumulator, LatencyHistogram, type PeriodAggregate } from './aggregate.js';
import { boardArmMeans } from './board-means.js';
import type { ArmMeasured } from './carbon.js';
import { bootstrap, mean } from './resample.js';

export interface MeasuredShare {
  /** Records counted. */
  n: number;
  boards: number;
  energyJ: { mean: number; lo: number; hi: number };
  aboveIdleJ: { mean: number; lo: number; hi: number };
  latencyP95Ms: number | null;
  /** The median latency, s (what the scenario's device latency takes); null without records. */
  meanLatencyS: number | null;
  accuracy: number | null;
}

export interface BootstrapOptions {
  replicates: number;
  seed: number;
  stream: number;
  alpha: number;
}

/** The arm's figures over `pick` of each of its board-periods (periods weigh equally within a board). */
export function measureShare(
  periods: readonly PeriodAggregate[],
  arm: string,
  pick: (p: PeriodAggregate) => Accumulator,
  options: BootstrapOptions,
): MeasuredShare {
  const own = periods.filter((p) => p.period.arm === arm);
  const boardMeans = (of: (a: Accumulator) => number) =>
    [...boardArmMeans(own, (p) => (pick(p).n === 0 ? null : of(pick(p)))).values()]
      .filter((m) => m.has(arm))
      .map((m) => m.get(arm) as number);
  const boards = boardMeans((a) => a.energySumJ / a.n);
  const idle = boardMeans((a) => a.aboveIdleSumJ / a.n);
  const [ci, idleCi] = bootstrap(
    boards.length,
    (idx) => [mean(idx.map((i) => boards[i] as number)), mean(idx.map((i) => idle[i] as number))],
    options,
  );
  const histogram = new LatencyHistogram();
  let n = 0;
  let labelled = 0;
  let correct = 0;
  for (const p of own) {
    const a = pick(p);
    histogram.merge(a.latency);
    n += a.n;
    labelled += a.labelled;
    correct += a.correct;
  }
  const medianMs = histogram.quantile(0.5);
  return {
    n,
    boards: boards.length,
    energyJ: {
      mean: boards.length > 0 ? mean(boards) : Number.NaN,
      lo: ci?.lo ?? Number.NaN,
      hi: ci?.hi ?? Number.NaN,
    },
    aboveIdleJ: { mean: mean(idle), lo: idleCi?.lo ?? Number.NaN, hi: idleCi?.hi ?? Number.NaN },
    latencyP95Ms: histogram.quantile(0.95),
    meanLatencyS: medianMs === null ? null : medianMs / 1000,
    accuracy: labelled > 0 ? correct / labelled : null,
  };
}

/** A share as the carbon takes it, priced as `placement`. */
export const asArmMeasured = (
  arm: string,
  placement: ArmMeasured['placement'],
  share: MeasuredShare,
): ArmMeasured => ({
  arm,
  placement,
  energyJ: share.energyJ,
  aboveIdleJ: share.aboveIdleJ,
  latencyP95Ms: share.latencyP95Ms,
  meanLatencyS: share.meanLatencyS,
  accuracy: share.accuracy,
  inputBytes: null,
  outputBytes: null,
});
