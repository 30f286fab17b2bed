// Standard uncertainty (k = 1) of a window's energy, from three independent sources combined in
// quadrature: the sensor's gain error (chip gain plus shunt tolerance, bounds taken as uniform),
// the quantisation of each reading (uniform over one LSB), and the sampling interval (what the
// interpolation between two samples cannot see; bounded by the change across each interval).

import { lastAtOrBefore, type SampleSeries, unwrapCounter } from './integrate.js';

export interface SensorAccuracy {
  /** Bound of the relative gain error, e.g. 0.005 for ±0.5 % (chip and shunt combined). */
  gainErrorRel: number;
  /** One step of a reading: watts for a power sensor, joules for an energy counter. */
  quantum: number;
}

export interface UncertaintyParts {
  gainJ: number;
  quantisationJ: number;
  samplingJ: number;
  totalJ: number;
}

const SQRT3 = Math.sqrt(3);
const SQRT12 = Math.sqrt(12);

function combine(gainJ: number, quantisationJ: number, samplingJ: number): UncertaintyParts {
  return { gainJ, quantisationJ, samplingJ, totalJ: Math.hypot(gainJ, quantisationJ, samplingJ) };
}

/** Visits every sample interval [t_i, t_i+1] that overlaps [startNs, endNs], with the overlap in ns. */
function forEachInterval(
  series: SampleSeries,
  startNs: number,
  endNs: number,
  visit: (i: number, overlapNs: number, lengthNs: number) => void,
): void {
  const from = Math.max(0, lastAtOrBefore(series, startNs));
  for (let i = from; i < series.length - 1; i++) {
    const t0 = series.tNs[i] ?? 0;
    const t1 = series.tNs[i + 1] ?? 0;
    if (t0 >= endNs) break;
    const overlapNs = Math.min(t1, endNs) - Math.max(t0, startNs);
    if (overlapNs > 0) visit(i, overlapNs, t1 - t0);
  }
}

/** Uncertainty of ∫P dt over the window from power samples (watts). */
export function powerWindowUncertainty(
  series: SampleSeries,
  startNs: number,
  endNs: number,
  energyJ: number,
  accuracy: SensorAccuracy,
): UncertaintyParts {
  const gainJ = (Math.abs(energyJ) * accuracy.gainErrorRel) / SQRT3;
  let quantSq = 0;
  let samplingSq = 0;
  forEachInterval(series, startNs, endNs, (i, overlapNs) => {
    const overlapS = overlapNs / 1e9;
    quantSq += overlapS * overlapS;
    const stepW = Math.abs((series.value[i + 1] ?? 0) - (series.value[i] ?? 0));
    samplingSq += ((stepW * overlapS) / 2 / SQRT3) ** 2;
  });
  if (series.length < 2) {
    // One reading or none: the whole window is guesswork at the sampling level.
    const spanS = (endNs - startNs) / 1e9;
    quantSq = spanS * spanS;
    samplingSq = (Math.abs(energyJ) / SQRT3) ** 2;
  }
  return combine(gainJ, (accuracy.quantum / SQRT12) * Math.sqrt(quantSq), Math.sqrt(samplingSq));
}

/** Uncertainty of a counter difference (joules): two edge readings and two partly covered intervals. */
export function counterWindowUncertainty(
  series: SampleSeries,
  startNs: number,
  endNs: number,
  energyJ: number,
  accuracy: SensorAccuracy,
  rangeJ: number,
): UncertaintyParts {
  const gainJ = (Math.abs(energyJ) * accuracy.gainErrorRel) / SQRT3;
  const quantisationJ = (accuracy.quantum / SQRT12) * Math.SQRT2;
  const cumulative = unwrapCounter(series.value, series.length, rangeJ);
  let samplingSq = 0;
  forEachInterval(series, startNs, endNs, (i, overlapNs, lengthNs) => {
    if (overlapNs >= lengthNs) return;
    // The energy of a partly covered interval is split by time; the split is off by at most
    // f(1 − f) of that interval's energy when power is not uniform inside it.
    const f = overlapNs / lengthNs;
    const intervalJ = (cumulative[i + 1] ?? 0) - (cumulative[i] ?? 0);
    samplingSq += ((f * (1 - f) * Math.abs(intervalJ)) / SQRT3) ** 2;
  });
  return combine(gainJ, quantisationJ, Math.sqrt(samplingSq));
}
