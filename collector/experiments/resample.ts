// Board-level resampling: the bootstrap interval and the randomisation p-value of a contrast. The
// board is the unit (records of one board are correlated), so boards are what is resampled.
// Interval: the expanded percentile bootstrap (Hesterberg 2015, "What teachers should know about
// the bootstrap"): the plain percentile interval is too narrow for the 5–20 boards of a lab fleet
// (it misses the √(n/(n−1)) and t corrections), so the percentiles are taken at α′ where
// Φ⁻¹(α′/2) = √(n/(n−1))·t_{α/2,n−1}. p-value: sign flips (paired) or label permutations (two
// groups), exact by enumeration when that is small, else seeded Monte Carlo.

import { Xoshiro128 } from '../lifecycle/random.js';
import { normalCdf, tQuantile } from './distributions.js';

export const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export function variance(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
}

export function covariance(xs: readonly number[], ys: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mx = mean(xs);
  const my = mean(ys);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
  return s / (xs.length - 1);
}

/** Type-7 quantile (R's and NumPy's default) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

export function quantile(values: readonly number[], p: number): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/** The percentile levels of the expanded percentile interval for n units at confidence 1 − alpha. */
export function expandedLevels(n: number, alpha: number): [number, number] {
  if (n < 2) return [alpha / 2, 1 - alpha / 2];
  const z = Math.sqrt(n / (n - 1)) * tQuantile(1 - alpha / 2, n - 1);
  const tail = 1 - normalCdf(z);
  return [tail, 1 - tail];
}

export interface BootstrapInterval {
  lo: number;
  hi: number;
}

/**
 * Bootstraps `statistic` over `n` units: each replicate passes the indices drawn (with replacement,
 * and within each stratum when `strata` is given) and gets one value. NaN replicates (a resample
 * with an empty group) are dropped.
 */
export function bootstrap(
  n: number,
  statistics: (indices: number[]) => number[],
  options: { replicates: number; seed: number; stream: number; alpha: number; strata?: readonly number[] },
): BootstrapInterval[] {
  const random = new Xoshiro128(options.seed, options.stream);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = options.strata?.[i] ?? 0;
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  }
  let columns: number[][] | undefined;
  const indices = new Array<number>(n);
  for (let r = 0; r < options.replicates; r++) {
    let k = 0;
    for (const members of groups.values()) {
      for (let j = 0; j < members.length; j++) {
        indices[k++] = members[Math.floor(random.next() * members.length)] as number;
      }
    }
    const values = statistics(indices);
    columns ??= values.map(() => []);
    values.forEach((v, i) => {
      if (Number.isFinite(v)) columns?.[i]?.push(v);
    });
  }
  // The expansion uses the smallest group: with strata (two groups), that is what limits the interval.
  const smallest = Math.min(...[...groups.values()].map((g) => g.length));
  const [pLo, pHi] = expandedLevels(smallest, options.alpha);
  return (columns ?? []).map((values) => {
    const sorted = Float64Array.from(values).sort();
    return { lo: quantileSorted(sorted, pLo), hi: quantileSorted(sorted, pHi) };
  });
}

/** Exact up to 2^16 sign patterns, else this many seeded random ones. */
const MONTE_CARLO_FLIPS = 9999;

/**
 * Two-sided sign-flip randomisation p-value of mean(d) = 0: under no effect a board's difference
 * is as likely to have either sign (its arm order was randomised). Counts |mean| ≥ observed.
 */
export function signFlipPValue(differences: readonly number[], seed: number): number {
  const n = differences.length;
  if (n === 0) return 1;
  const observed = Math.abs(differences.reduce((s, d) => s + d, 0));
  const tolerance = 1e-12 * (Math.abs(observed) + 1e-300);
  if (n <= 16) {
    let extreme = 0;
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++)
        s += mask & (1 << i) ? -(differences[i] as number) : (differences[i] as number);
      if (Math.abs(s) >= observed - tolerance) extreme++;
    }
    return extreme / total;
  }
  const random = new Xoshiro128(seed, 0x5f1);
  let extreme = 1; // the observed assignment counts (Phipson & Smyth 2010)
  for (let r = 0; r < MONTE_CARLO_FLIPS; r++) {
    let s = 0;
    for (const d of differences) s += random.next() < 0.5 ? -d : d;
    if (Math.abs(s) >= observed - tolerance) extreme++;
  }
  return extreme / (MONTE_CARLO_FLIPS + 1);
}

/** Two-sided permutation p-value of mean(b) − mean(a) = 0 over board labels (seeded Monte Carlo). */
export function permutationPValue(a: readonly number[], b: readonly number[], seed: number): number {
  if (a.length === 0 || b.length === 0) return 1;
  const all = [...a, ...b];
  const observed = Math.abs(mean(b) - mean(a));
  const tolerance = 1e-12 * (observed + 1e-300);
  const random = new Xoshiro128(seed, 0x9e7);
  let extreme = 1;
  const total = all.reduce((s, x) => s + x, 0);
  for (let r = 0; r < MONTE_CARLO_FLIPS; r++) {
    // Partial Fisher–Yates: the first |b| items are a random b group.
    for (let i = 0; i < b.length; i++) {
      const j = i + Math.floor(random.next() * (all.length - i));
      [all[i], all[j]] = [all[j] as number, all[i] as number];
    }
    let sb = 0;
    for (let i = 0; i < b.length; i++) sb += all[i] as number;
    const diff = sb / b.length - (total - sb) / a.length;
    if (Math.abs(diff) >= observed - tolerance) extreme++;
  }
  return extreme / (MONTE_CARLO_FLIPS + 1);
}
