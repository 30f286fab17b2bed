// Summaries of Monte Carlo draws: percentiles by selection (O(n), no full sort, on a copy), and
// Spearman rank correlation for the sensitivity ranking. Percentiles interpolate linearly between
// order statistics (the "type 7" definition of R and NumPy's default).

export interface Interval {
  /** The deterministic answer at central values. */
  central: number;
  median: number;
  p5: number;
  p95: number;
}

/**
 * Rearranges a[lo..hi] so that a[k] is the k-th smallest, smaller values left of it and larger ones
 * right. Three-way partition: runs of equal values (constant parameters) cost one pass, not n².
 */
function select(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const x = a[lo] as number;
    const y = a[(lo + hi) >>> 1] as number;
    const z = a[hi] as number;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = a[i] as number;
      if (v < pivot) swap(a, lt++, i++);
      else if (v > pivot) swap(a, i, gt--);
      else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i] as number;
  a[i] = a[j] as number;
  a[j] = t;
}

/** Percentiles of the first n values (the array is not changed). */
export function percentiles(
  values: Float64Array,
  probabilities: readonly number[],
  n = values.length,
): number[] {
  const a = values.slice(0, n);
  if (a.some(Number.isNaN)) return probabilities.map(() => Number.NaN);
  // Selecting in ascending order lets each pass work only on the part right of the last one.
  const order = probabilities.map((p, index) => ({ p, index })).sort((x, y) => x.p - y.p);
  const out = new Array<number>(probabilities.length).fill(Number.NaN);
  let from = 0;
  for (const { p, index } of order) {
    const h = (n - 1) * p;
    const k = Math.floor(h);
    select(a, k, from, n - 1);
    const lower = a[k] as number;
    let upper = lower;
    if (k + 1 < n && h > k) {
      upper = Number.POSITIVE_INFINITY;
      for (let i = k + 1; i < n; i++) if ((a[i] as number) < upper) upper = a[i] as number;
    }
    out[index] = lower + (h - k) * (upper - lower);
    from = k;
  }
  return out;
}

export function interval(values: Float64Array, central: number, n = values.length): Interval {
  const [p5, median, p95] = percentiles(values, [0.05, 0.5, 0.95], n) as [number, number, number];
  return { central, median, p5, p95 };
}

/** Ranks 1..n, ties sharing their average rank. */
export function ranks(values: Float64Array, n = values.length): Float64Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => (values[x] as number) - (values[y] as number));
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k] as number] = rank;
    i = j + 1;
  }
  return out;
}

export function pearson(x: Float64Array, y: Float64Array, n = x.length): number {
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation of the first n values. */
export function spearman(x: Float64Array, y: Float64Array, n = x.length): number {
  return pearson(ranks(x, n), ranks(y, n), n);
}

/** Spearman's ρ of several x against one y, ranking y once. */
export function spearmanAgainst(xs: readonly Float64Array[], y: Float64Array, n: number): number[] {
  const yRanks = ranks(y, n);
  return xs.map((x) => pearson(ranks(x, n), yRanks, n));
}
