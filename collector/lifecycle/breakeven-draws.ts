// The smallest break-even rate of every Monte Carlo draw, one block of draws at a time: each draw
// has its own kinks (its latency, RTT, radio tail), so its own piece boundaries; the model is
// evaluated at every draw's boundaries (a few vectorised passes) and the crossing is solved in
// closed form on the first piece whose ends differ in sign (see breakeven.ts).

import { RATE_RANGE, smallestCrossings } from './breakeven.js';
import {
  allocateTerms,
  evaluate,
  MAX_KINKS,
  type ModelOptions,
  type ParameterArrays,
  rateKinksInto,
} from './model.js';

/** How many kinks a draw can have under these options (see rateKinksInto). */
function maxKinks(options: ModelOptions): number {
  return (
    (options.allocation === 'dedicated' && options.energyBasis === 'gross' ? 2 : 0) +
    (options.radioTail === true ? 1 : 0)
  );
}

/** Writes the smallest crossing (NaN: none) of draws [0, count) of `p` at out[start …]. */
export function crossingsOfBlock(
  p: ParameterArrays,
  count: number,
  options: ModelOptions,
  out: Float64Array,
  start: number,
): void {
  const [lo, hi] = RATE_RANGE;
  const points = 2 + maxKinks(options);
  const boundaries = Array.from({ length: points }, () => new Float64Array(count));
  const kinks = new Float64Array(MAX_KINKS);
  for (let i = 0; i < count; i++) {
    // The same boundaries as pieceBoundaries(), without allocating per draw (this runs per draw).
    const found = rateKinksInto(p, i, options, kinks);
    let inside = 0;
    for (let k = 0; k < found; k++) {
      const x = kinks[k] as number;
      if (x > lo && x < hi) kinks[inside++] = x;
    }
    // Insertion sort of at most MAX_KINKS values: a typed-array sort call per draw costs more.
    for (let k = 1; k < inside; k++) {
      const x = kinks[k] as number;
      let m = k - 1;
      for (; m >= 0 && (kinks[m] as number) > x; m--) kinks[m + 1] = kinks[m] as number;
      kinks[m + 1] = x;
    }
    (boundaries[0] as Float64Array)[i] = lo;
    for (let j = 1; j < points; j++)
      (boundaries[j] as Float64Array)[i] = j <= inside ? (kinks[j - 1] as number) : hi;
  }
  const terms = allocateTerms(count);
  const values = boundaries.map((rates) => {
    evaluate({ ...p, 'workload.inferencesPerDay': rates }, count, options, terms);
    const difference = new Float64Array(count);
    for (let i = 0; i < count; i++)
      difference[i] = (terms.edgeTotal[i] as number) - (terms.offloadTotal[i] as number);
    return difference;
  });
  smallestCrossings(boundaries, values, count, out, start);
}
