// Contrasts between two arms on board-level means. Crossover: each board's mean under b minus its
// mean under a (paired: board-to-board spread cancels), a paired board bootstrap for the interval
// and sign flips for the p-value. Parallel: the mean of the b boards minus the mean of the a boards,
// a bootstrap within each group and label permutations; CUPED (Deng et al. 2013) adjusts each
// board's mean by θ·(its pre-experiment mean − the fleet's), θ = cov(Y, X) / var(X).

import type { ContrastResult } from './analysis-result.js';
import { bootstrap, covariance, mean, permutationPValue, signFlipPValue, variance } from './resample.js';

export interface BoardArmMeans {
  /** device → arm → mean energy per inference over that board's analysed periods of the arm, J. */
  means: Map<string, Map<string, number>>;
  /** device → pre-experiment mean energy per inference, J. */
  pre: Map<string, number>;
}

export interface ContrastOptions {
  design: 'crossover' | 'parallel';
  replicates: number;
  seed: number;
  alpha: number;
}

export interface Contrast {
  result: ContrastResult;
  perBoard: { device: string; a: string; b: string; diff: number; relDiff: number }[];
}

function cupedTheta(y: readonly number[], x: readonly number[]): number {
  const vx = variance(x);
  return vx > 0 ? covariance(y, x) / vx : 0;
}

export function pairedContrast(
  data: BoardArmMeans,
  a: string,
  b: string,
  options: ContrastOptions,
): Contrast {
  const devices = [...data.means.keys()]
    .filter((d) => data.means.get(d)?.has(a) && data.means.get(d)?.has(b))
    .sort();
  const ya = devices.map((d) => data.means.get(d)?.get(a) as number);
  const yb = devices.map((d) => data.means.get(d)?.get(b) as number);
  const d = devices.map((_, i) => (yb[i] as number) - (ya[i] as number));
  const diff = mean(d);
  const relDiff = mean(yb) / mean(ya) - 1;
  const [diffCi, relCi] = bootstrap(
    devices.length,
    (idx) => {
      let sa = 0;
      let sb = 0;
      for (const i of idx) {
        sa += ya[i] as number;
        sb += yb[i] as number;
      }
      return [(sb - sa) / idx.length, sb / sa - 1];
    },
    { replicates: options.replicates, seed: options.seed, stream: 1, alpha: options.alpha },
  );
  // The test is on log ratios: under no effect a board's log(b/a) is symmetric about 0 whatever its
  // level, so sign flips are exact, and boards weigh equally (as in the power formula).
  const pValue = signFlipPValue(
    devices.map((_, i) => Math.log((yb[i] as number) / (ya[i] as number))),
    options.seed,
  );
  return {
    result: finish(a, b, options, devices.length, diff, relDiff, diffCi, relCi, pValue, {
      applied: false,
      reason:
        'a crossover compares each board with itself: the pre-experiment covariate cancels in the paired difference',
    }),
    perBoard: devices.map((device, i) => ({
      device,
      a,
      b,
      diff: d[i] as number,
      relDiff: (yb[i] as number) / (ya[i] as number) - 1,
    })),
  };
}

export function parallelContrast(
  data: BoardArmMeans,
  a: string,
  b: string,
  options: ContrastOptions,
): Contrast {
  const boards = [...data.means.entries()]
    .filter(([, m]) => m.has(a) || m.has(b))
    .sort(([x], [y]) => x.localeCompare(y));
  const y = boards.map(([, m]) => (m.get(a) ?? m.get(b)) as number);
  const group = boards.map(([, m]) => (m.has(b) ? 1 : 0));
  const x = boards.map(([device]) => data.pre.get(device));
  const hasPre = boards.length >= 4 && x.every((v) => v !== undefined);
  const xs = x as number[];
  const groupMean = (values: readonly number[], g: number, idx: readonly number[]): number => {
    let s = 0;
    let n = 0;
    for (const i of idx) {
      if (group[i] === g) {
        s += values[i] as number;
        n++;
      }
    }
    return n === 0 ? Number.NaN : s / n;
  };
  // θ is estimated on each (re)sample, so the interval carries its uncertainty too.
  const adjusted = (idx: readonly number[]): number[] => {
    if (!hasPre) return y;
    const sy = idx.map((i) => y[i] as number);
    const sx = idx.map((i) => xs[i] as number);
    const theta = cupedTheta(sy, sx);
    const mx = mean(sx);
    return y.map((v, i) => v - theta * ((xs[i] as number) - mx));
  };
  const all = boards.map((_, i) => i);
  const stat = (idx: number[]): number[] => {
    const yAdj = adjusted(idx);
    const ma = groupMean(yAdj, 0, idx);
    const mb = groupMean(yAdj, 1, idx);
    return [mb - ma, mb / ma - 1];
  };
  const [diff, relDiff] = stat(all) as [number, number];
  const [diffCi, relCi] = bootstrap(boards.length, stat, {
    replicates: options.replicates,
    seed: options.seed,
    stream: 2,
    alpha: options.alpha,
    strata: group,
  });
  const yAdj = adjusted(all);
  const pValue = permutationPValue(
    yAdj.filter((_, i) => group[i] === 0),
    yAdj.filter((_, i) => group[i] === 1),
    options.seed,
  );
  let cuped: ContrastResult['cuped'];
  if (hasPre) {
    // Variance reduction: of the within-group residuals, what CUPED takes out of the estimate's variance.
    const within = (values: readonly number[]) =>
      values.map((v, i) => v - groupMean(values, group[i] as number, all));
    const before = variance(within(y));
    cuped = {
      applied: true,
      theta: cupedTheta(y, xs),
      varianceReduction: before > 0 ? 1 - variance(within(yAdj)) / before : 0,
    };
  } else {
    cuped = {
      applied: false,
      reason:
        boards.length < 4
          ? 'fewer than 4 boards'
          : 'no pre-experiment records for every board (set preS and keep the boards running before the start)',
    };
  }
  return {
    result: finish(a, b, options, boards.length, diff, relDiff, diffCi, relCi, pValue, cuped),
    perBoard: [],
  };
}

function finish(
  a: string,
  b: string,
  options: ContrastOptions,
  boards: number,
  diff: number,
  relDiff: number,
  diffCi: { lo: number; hi: number } | undefined,
  relCi: { lo: number; hi: number } | undefined,
  pValue: number,
  cuped: ContrastResult['cuped'],
): ContrastResult {
  return {
    a,
    b,
    metric: 'energyJ',
    diff,
    relDiff,
    lo: diffCi?.lo ?? Number.NaN,
    hi: diffCi?.hi ?? Number.NaN,
    relLo: relCi?.lo ?? Number.NaN,
    relHi: relCi?.hi ?? Number.NaN,
    pValue,
    method:
      options.design === 'crossover' ? 'paired board-level bootstrap' : 'two-group board-level bootstrap',
    bootstrapN: options.replicates,
    seed: options.seed,
    boards,
    significant: pValue < options.alpha,
    cuped,
  };
}
