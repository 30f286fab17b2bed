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
/** z of the 60th percentile: the band [40 %, 60 %] around a lognormal's median (see lognormalWarning). */
export const Z60 = 0.2533471031357997;

/**
 * The lognormal whose 5th and 95th percentiles are low and high: median √(low·high), σ =
 * ln(high / low) / (2 × 1.6449). The central value does not enter: a lognormal has one median, and
 * the range is the sourced part (round 1 centred it on `central`, so p5 and p95 missed the range
 * whenever central was not the geometric mean; issue 13).
 */
export function lognormalFromRange(low: number, high: number): { median: number; sigma: number } {
  return { median: Math.sqrt(low * high), sigma: (Math.log(high) - Math.log(low)) / (2 * Z95) };
}

/**
 * A warning when a lognormal's central value is far from √(low·high). "Far" = outside the 40th–60th
 * percentile of the distribution drawn (|ln(central / √(low·high))| > 0.2533 σ): then the `central`
 * column (the answer at central values) and the Monte Carlo median describe visibly different
 * inputs, and the triple itself is lopsided (one side of the range is over 1.36× wider in log terms
 * than the other), which a lognormal cannot honour: low and high win, central is not the median.
 */
export function lognormalWarning(id: string, value: Uncertain): string | undefined {
  if (value.distribution !== 'lognormal' || isConstant(value)) return undefined;
  const { median, sigma } = lognormalFromRange(value.low, value.high);
  const z = Math.log(value.central / median) / sigma;
  if (!(Math.abs(z) > Z60)) return undefined;
  const percentile = 50 * (1 + erf(z / Math.SQRT2));
  return `${id}: lognormal central ${value.central.toPrecision(3)} is far from √(low·high) = ${median.toPrecision(3)} (percentile ${percentile.toFixed(0)} of the draws, outside 40–60): the draws keep p5 = ${value.low.toPrecision(3)} and p95 = ${value.high.toPrecision(3)}, so their median is ${median.toPrecision(3)} while the central answer uses ${value.central.toPrecision(3)}; check the range, or give central = √(low·high)`;
}

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): enough to print a percentile. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

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
      case 'lognormal': {
        const { median, sigma } = lognormalFromRange(low, high);
        return fillLognormal(rng, out, median, sigma);
      }
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
