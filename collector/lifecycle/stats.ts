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
 * Rearranges a[left..right] so that a[k] is the k-th smallest, nothing larger left of it and nothing
 * smaller right of it: Floyd & Rivest's SELECT (CACM 1975, algorithm 489), which first recurses on
 * a small sample around k to find tight bounds, so large arrays need about n + min(k, n − k)
 * comparisons. Runs of equal values (constant parameters) stay linear.
 */
function select(a: Float64Array, k: number, left: number, right: number): void {
  while (right > left) {
    if (right - left > 600) {
      const n = right - left + 1;
      const i = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (i - n / 2 < 0 ? -1 : 1);
      select(
        a,
        k,
        Math.max(left, Math.floor(k - (i * s) / n + sd)),
        Math.min(right, Math.floor(k + ((n - i) * s) / n + sd)),
      );
    }
    const t = a[k] as number;
    let i = left;
    let j = right;
    swap(a, left, k);
    if ((a[right] as number) > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while ((a[i] as number) < t) i++;
      while ((a[j] as number) > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
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

/**
 * Ranks 1..n, ties sharing their average rank. The values are sorted with the typed array's native
 * numeric sort (no comparator callback), and each value's rank is found by binary search: the first
 * and last positions of its value average to the tie rank.
 */
export function ranks(values: Float64Array, n = values.length): Float64Array {
  const sorted = values.slice(0, n).sort();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) < v) lo = mid + 1;
      else hi = mid;
    }
    const first = lo;
    hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) <= v) lo = mid + 1;
      else hi = mid;
    }
    out[i] = (first + lo - 1) / 2 + 1;
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
