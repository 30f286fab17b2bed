// Draws for one uncertain value: the distribution it names, on its own seeded stream. Each parameter
// has a stream derived from (seed, parameter id), so a parameter's draws do not change when another
// parameter is added or changed, and both placements are evaluated on the same draws (common random
// numbers). A zero-width range is a constant, exactly.

import {
  fillLognormal,
  fillNormal,
  fillTriangular,
  fillUniformRange,
  hashString,
  Xoshiro128,
} from './random.js';
import type { Uncertain } from './uncertain.js';

/** z of the 95th percentile: a range [low, high] is read as the central 90 % of the distribution. */
export const Z95 = 1.6448536269514722;

export function isConstant(value: Uncertain): boolean {
  return value.distribution === 'fixed' || (value.low === value.central && value.high === value.central);
}

export function drawInto(
  out: Float64Array,
  value: Uncertain,
  seed: number,
  parameterId: string,
): Float64Array {
  if (isConstant(value) || out.length === 1) return out.fill(value.central);
  const rng = new Xoshiro128(seed, hashString(parameterId));
  const { central, low, high } = value;
  switch (value.distribution) {
    case 'triangular':
      return fillTriangular(rng, out, low, central, high);
    case 'uniform':
      return fillUniformRange(rng, out, low, high);
    case 'lognormal':
      return fillLognormal(rng, out, central, (Math.log(high) - Math.log(low)) / (2 * Z95));
    case 'normal':
      return fillNormal(
        rng,
        out,
        central,
        (high - low) / (2 * Z95),
        value.bounds?.min ?? 0,
        value.bounds?.max ?? Number.POSITIVE_INFINITY,
      );
    case 'fixed':
      return out.fill(central);
  }
}
