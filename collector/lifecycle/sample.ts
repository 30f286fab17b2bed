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

/**
 * The draws of one parameter, block after block: the stream continues across fill() calls, so
 * filling n values in blocks gives exactly the values of one fill of n (blocks of even length keep
 * the Box-Muller pairs aligned). `total` is the whole run's length: a run of one draw is the
 * central value.
 */
export class ParameterSampler {
  private readonly rng: Xoshiro128;
  private readonly constant: boolean;

  constructor(
    private readonly value: Uncertain,
    seed: number,
    parameterId: string,
    total: number,
  ) {
    this.constant = isConstant(value) || total === 1;
    this.rng = new Xoshiro128(seed, hashString(parameterId));
  }

  fill(out: Float64Array): Float64Array {
    const { central, low, high } = this.value;
    if (this.constant) return out.fill(central);
    const rng = this.rng;
    switch (this.value.distribution) {
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
          this.value.bounds?.min ?? 0,
          this.value.bounds?.max ?? Number.POSITIVE_INFINITY,
        );
      case 'fixed':
        return out.fill(central);
    }
  }
}

/** All draws of one parameter at once. */
export function drawInto(
  out: Float64Array,
  value: Uncertain,
  seed: number,
  parameterId: string,
): Float64Array {
  return new ParameterSampler(value, seed, parameterId, out.length).fill(out);
}
