// Break-even inferences per day under `dedicated` allocation. Only the device embodied shares depend
// on the rate N, as B / N; everything else is a constant A per inference, so
//   edge(N) = A_e + B_e / N,   offload(N) = A_o + B_o / N,
// and the totals are equal at N* = (B_o − B_e) / (A_e − A_o) when that is a positive number.

export type EdgeLowerWhen = 'above' | 'below' | 'always' | 'never' | 'equal';

export interface BreakEven {
  /** N* at central values. */
  inferencesPerDay: number | null;
  /** Where edge is lower: above or below N*, at every rate, at none, or the totals are equal. */
  edgeLowerWhen: EdgeLowerWhen | null;
  reason: string;
  /** N* of every Monte Carlo draw: the share of draws whose lines cross, and N* over those. */
  draws?: { crossing: number; median: number | null; p5: number | null; p95: number | null };
}

export interface RateLines {
  /** Per-inference parts that do not depend on the rate, g. */
  edgeConstantG: number;
  offloadConstantG: number;
  /** Embodied grams per day of the edge device and of the offloading device (B above). */
  edgePerDayG: number;
  offloadPerDayG: number;
}

export function breakEven(lines: RateLines, allocation: 'dedicated' | 'time'): BreakEven {
  if (allocation === 'time') {
    return {
      inferencesPerDay: null,
      edgeLowerWhen: null,
      reason: 'allocation is `time`: no term depends on inferences per day, so there is no break-even rate',
    };
  }
  const dA = lines.edgeConstantG - lines.offloadConstantG;
  const dB = lines.offloadPerDayG - lines.edgePerDayG;
  if (dA === 0 && dB === 0) {
    return {
      inferencesPerDay: null,
      edgeLowerWhen: 'equal',
      reason: 'the two totals are equal at every rate',
    };
  }
  const crossing = dB / dA;
  if (dA !== 0 && Number.isFinite(crossing) && crossing > 0) {
    return {
      inferencesPerDay: crossing,
      edgeLowerWhen: dA < 0 ? 'above' : 'below',
      reason:
        dA < 0
          ? 'edge costs less per inference but its board carries more embodied carbon per day: edge is lower above this rate'
          : 'offload costs less per inference but its device carries more embodied carbon per day: edge is lower below this rate',
    };
  }
  // No positive crossing: the sign of edge − offload is the same at every rate.
  const edgeLower = dA < 0 || (dA === 0 && dB > 0);
  const sameBoard = dB === 0;
  return {
    inferencesPerDay: null,
    edgeLowerWhen: edgeLower ? 'always' : 'never',
    reason: `${edgeLower ? 'edge' : 'offload'} is lower at every rate: ${
      sameBoard
        ? 'the offloading device is the same board, so its embodied share equals the edge one and cancels'
        : 'it is lower both per inference and in embodied carbon per day'
    }`,
  };
}

/** N* of each draw (NaN where the lines do not cross), from the evaluated terms and rates. */
export function breakEvenDraws(
  edgeTotal: Float64Array,
  edgeEmbodied: Float64Array,
  offloadTotal: Float64Array,
  offloadDeviceEmbodied: Float64Array,
  inferencesPerDay: Float64Array,
  n: number,
): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const rate = inferencesPerDay[i] as number;
    const eEmb = edgeEmbodied[i] as number;
    const oEmb = offloadDeviceEmbodied[i] as number;
    const dA = (edgeTotal[i] as number) - eEmb - ((offloadTotal[i] as number) - oEmb);
    const crossing = ((oEmb - eEmb) * rate) / dA;
    out[i] = Number.isFinite(crossing) && crossing > 0 ? crossing : Number.NaN;
  }
  return out;
}
