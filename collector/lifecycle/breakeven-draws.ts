// The smallest break-even rate of every Monte Carlo draw, one block of draws at a time: each draw
// has its own kinks (its latency, RTT, radio tail), so its own piece boundaries; the model is
// evaluated at every draw's boundaries (a few vectorised passes) and the crossing is solved in
// closed form on the first piece whose ends differ in sign (see breakeven.ts).

import { pieceBoundaries, RATE_RANGE, smallestCrossings } from './breakeven.js';
import { allocateTerms, evaluate, type ModelOptions, type ParameterArrays, rateKinks } from './model.js';

/** How many kinks a draw can have under these options (see rateKinks). */
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
  const points = 2 + maxKinks(options);
  const boundaries = Array.from({ length: points }, () => new Float64Array(count));
  for (let i = 0; i < count; i++) {
    const bounds = pieceBoundaries(rateKinks(p, i, options));
    // Fewer kinks inside the range: repeat the upper end (empty pieces are skipped).
    for (let j = 0; j < points; j++) (boundaries[j] as Float64Array)[i] = bounds[j] ?? RATE_RANGE[1];
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
