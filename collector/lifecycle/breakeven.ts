// Break-even inference rates: every rate in [1e-3, 1e9] per day where edge − offload changes sign.
// The terms are piecewise in the rate N (T = 86400 / N): between two kinks (T = latency, T = rtt,
// tailW × T = requestOverheadJ; see rateKinks in model.ts) every term is a + b / N, so the difference
// d(N) = A + B / N is monotone on each piece and crosses zero at most once there, at N = −B / A.
// The pieces are found from the kinks, A and B from d at the piece's two ends, and the root is
// checked by the sign of d on both sides of it (bisection if the check fails, so a future term that
// is not a + b / N is still found, only slower).

export type EdgeLowerWhen = 'above' | 'below' | 'always' | 'never' | 'equal';

/** The rates searched, inferences per day: one every 1,000 days … 1e9 per day. */
export const RATE_RANGE: readonly [number, number] = [1e-3, 1e9];

export interface BreakEven {
  /** The smallest crossing at central values, or null (then `reason` says why). */
  inferencesPerDay: number | null;
  /** Every rate in RATE_RANGE where edge − offload changes sign at central values, ascending. */
  crossings: number[];
  /**
   * Where edge is lower relative to `inferencesPerDay` (just above or just below it), or at every
   * rate searched, at none, or the totals are equal. With several crossings `reason` lists the
   * ranges where edge is lower.
   */
  edgeLowerWhen: EdgeLowerWhen | null;
  reason: string;
  /** The smallest crossing of every Monte Carlo draw: the share of draws that cross, and over those. */
  draws?: { crossing: number; median: number | null; p5: number | null; p95: number | null };
}

/** edge − offload at a rate, g per inference. */
export type RateDifference = (inferencesPerDay: number) => number;

/** Sorted piece boundaries: the range ends and the kinks strictly inside the range. */
export function pieceBoundaries(kinks: readonly number[], range = RATE_RANGE): number[] {
  const [lo, hi] = range;
  const inside = kinks.filter((k) => k > lo && k < hi).sort((a, b) => a - b);
  return [lo, ...inside.filter((k, i) => i === 0 || k !== inside[i - 1]), hi];
}

/**
 * The root of d = A + B / N on [a, b] from d(a) = da and d(b) = db of opposite signs. A is taken at
 * the larger end, where B / N is smaller, so that A is not lost to cancellation.
 */
export function hyperbolaRoot(a: number, da: number, b: number, db: number): number {
  const B = (da - db) / (1 / a - 1 / b);
  const A = db - B / b;
  const root = -B / A;
  return root < a ? a : root > b ? b : root;
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : 0);

function bisect(d: RateDifference, a: number, da: number, b: number): number {
  // In log space: the range spans twelve decades. 200 halvings reach the doubles' resolution.
  let lo = Math.log(a);
  let hi = Math.log(b);
  const s = sign(da);
  for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (sign(d(Math.exp(mid))) === s) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

/** The crossing inside (a, b), where d(a) and d(b) have opposite signs. */
function rootOnPiece(d: RateDifference, a: number, da: number, b: number, db: number): number {
  const guess = hyperbolaRoot(a, da, b, db);
  const step = 1e-11;
  const below = d(guess * (1 - step));
  const above = d(guess * (1 + step));
  if (sign(below) !== sign(above) || below === 0 || above === 0) return guess;
  return bisect(d, a, da, b);
}

/** Every sign change of d over the range, ascending, to about 1e-11 relative. */
export function findCrossings(d: RateDifference, kinks: readonly number[], range = RATE_RANGE): number[] {
  const bounds = pieceBoundaries(kinks, range);
  const values = bounds.map(d);
  const crossings: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const a = bounds[i] as number;
    const b = bounds[i + 1] as number;
    const da = values[i] as number;
    const db = values[i + 1] as number;
    if (sign(da) * sign(db) < 0) crossings.push(rootOnPiece(d, a, da, b, db));
  }
  // A zero exactly on an inner boundary: a crossing when the pieces on either side differ in sign
  // (each piece is monotone, so its sign is that of its geometric midpoint).
  for (let i = 1; i + 1 < bounds.length; i++) {
    if (values[i] !== 0) continue;
    const x = bounds[i] as number;
    const left = sign(d(Math.sqrt((bounds[i - 1] as number) * x)));
    const right = sign(d(Math.sqrt(x * (bounds[i + 1] as number))));
    if (left * right < 0) crossings.push(x);
  }
  return crossings.sort((a, b) => a - b);
}

export interface BreakEvenContext {
  allocation: 'dedicated' | 'time';
  /** The offloading device is the edge board itself (its embodied share cancels). */
  sameBoard: boolean;
  /** A term other than the embodied shares depends on the rate (idle, radio cap). */
  rateTerms: boolean;
}

const perDay = (x: number) => `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3)}/day`;

/** Where edge is lower, as ranges of rate, from the crossings and the sign of d between them. */
function lowerRanges(d: RateDifference, crossings: readonly number[]): string {
  const [lo, hi] = RATE_RANGE;
  const points = [lo, ...crossings, hi];
  const ranges: string[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as number;
    const b = points[i + 1] as number;
    if (d(Math.sqrt(a * b)) >= 0) continue;
    ranges.push(
      i === 0
        ? `below ${perDay(b)}`
        : i + 2 === points.length
          ? `above ${perDay(a)}`
          : `between ${perDay(a)} and ${perDay(b)}`,
    );
  }
  return ranges.join(' and ');
}

/** The break-even of a scenario at central values, from its difference function and kinks. */
export function breakEven(d: RateDifference, kinks: readonly number[], context: BreakEvenContext): BreakEven {
  const crossings = findCrossings(d, kinks);
  const [lo, hi] = RATE_RANGE;
  const range = `from ${lo} to ${hi.toExponential(0)} inferences/day`;
  if (crossings.length > 0) {
    const first = crossings[0] as number;
    const next = crossings[1] ?? hi;
    const edgeLowerWhen: EdgeLowerWhen = d(Math.sqrt(first * next)) < 0 ? 'above' : 'below';
    const simple =
      crossings.length === 1 && context.rateTerms === false
        ? edgeLowerWhen === 'above'
          ? 'edge costs less per inference but its board carries more embodied carbon per day: edge is lower above this rate'
          : 'offload costs less per inference but its device carries more embodied carbon per day: edge is lower below this rate'
        : undefined;
    return {
      inferencesPerDay: first,
      crossings,
      edgeLowerWhen,
      reason:
        simple ??
        `edge − offload changes sign ${crossings.length === 1 ? 'once' : `${crossings.length} times`} ${range}: edge is lower ${lowerRanges(d, crossings)}`,
    };
  }
  // No crossing: the sign is the same over the whole range (up to pieces where d is exactly 0).
  const probes = pieceBoundaries(kinks).flatMap((x, i, all) =>
    i === 0 ? [x] : [Math.sqrt((all[i - 1] as number) * x), x],
  );
  const signs = probes.map((x) => sign(d(x)));
  if (signs.every((s) => s === 0)) {
    return {
      inferencesPerDay: null,
      crossings,
      edgeLowerWhen: 'equal',
      reason: 'the two totals are equal at every rate',
    };
  }
  if (context.allocation === 'time' && !context.rateTerms) {
    return {
      inferencesPerDay: null,
      crossings,
      edgeLowerWhen: null,
      reason: 'allocation is `time`: no term depends on inferences per day, so there is no break-even rate',
    };
  }
  const edgeLower = signs.some((s) => s < 0);
  const why = context.sameBoard
    ? 'the offloading device is the same board, so its embodied share equals the edge one and cancels'
    : 'it is lower both per inference and in the carbon that falls with the rate';
  return {
    inferencesPerDay: null,
    crossings,
    edgeLowerWhen: edgeLower ? 'always' : 'never',
    reason: `${edgeLower ? 'edge' : 'offload'} is lower at every rate ${range}: ${why}`,
  };
}

/**
 * The smallest crossing of each draw from d evaluated at the draw's piece boundaries
 * (`boundaries[j][i]` is the j-th boundary of draw i, ascending, repeated when the draw has fewer
 * kinks; `values[j][i]` is d there). NaN where the draw does not cross. Closed form per piece:
 * this runs over every draw, so it does not re-evaluate the model around the root.
 */
export function smallestCrossings(
  boundaries: readonly Float64Array[],
  values: readonly Float64Array[],
  n: number,
  out: Float64Array,
  offset = 0,
): void {
  for (let i = 0; i < n; i++) {
    let found = Number.NaN;
    for (let j = 0; j + 1 < boundaries.length; j++) {
      const a = boundaries[j]?.[i] as number;
      const b = boundaries[j + 1]?.[i] as number;
      if (!(b > a)) continue;
      const da = values[j]?.[i] as number;
      const db = values[j + 1]?.[i] as number;
      if (sign(da) * sign(db) < 0) {
        found = hyperbolaRoot(a, da, b, db);
        break;
      }
    }
    out[offset + i] = found;
  }
}
